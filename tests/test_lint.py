"""Static checks CI enforces: ``ruff check`` (config in pyproject.toml), the import graph
(data flows sdk -> storage -> site -> templates/assets; no cycles between subpackages), and that
terminal output goes through reportgen/tell.py (escaped)."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

PKG = REPO / "reportgen"


def test_ruff_check_passes():
    ruff = shutil.which("ruff")
    cmd = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    probe = subprocess.run([*cmd, "--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("ruff is not installed (pip install '.[test]')")
    proc = subprocess.run([*cmd, "check", str(REPO)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _imports() -> dict[str, set[str]]:
    """Module -> the reportgen modules it imports (relative imports resolved; lazy ones too)."""
    graph: dict[str, set[str]] = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(REPO).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        name = ".".join(parts)
        package = parts if is_pkg else parts[:-1]
        out = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name.startswith("reportgen"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                if mod.startswith("reportgen"):
                    out.add(mod)
                    out.update(f"{mod}.{a.name}" for a in node.names)
    return graph


# reportgen/media holds the SDK's loggable objects: one layer with reportgen/sdk
LAYER = {"media": "sdk"}


def _area(module: str) -> str:
    parts = module.split(".")
    if parts[1:3] == ["compat", "shim"]:
        return "compat.shim"  # the stand-in `wandb` distribution: a top-level package of its own when installed
    return LAYER.get(parts[1], parts[1]) if len(parts) > 1 else ""


def test_the_sdk_and_storage_never_import_the_site():
    graph = _imports()
    bad = [(m, d) for m, deps in graph.items() if _area(m) in ("sdk", "storage")
           for d in deps if _area(d) in ("site", "serve", "export", "cli")]
    assert not bad, bad
    # storage is below the SDK: it knows the format, not the objects that write it
    assert not [(m, d) for m, deps in graph.items() if _area(m) == "storage" for d in deps if _area(d) == "sdk"]


def test_no_cycles_between_subpackages():
    edges: dict[str, set[str]] = {}
    known = {LAYER.get(p.name, p.name) for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    known.add("compat.shim")
    known |= {p.stem for p in PKG.glob("*.py")}
    for m, deps in _imports().items():
        a = _area(m)
        for d in deps:
            b = _area(d)
            if a and b and a != b and a in known and b in known and not a.startswith("_") and b not in ("_version", "_resources"):
                edges.setdefault(a, set()).add(b)
    # the package root (reportgen/__init__) and the CLI are entry points, not layers
    for entry in ("cli", "__main__", "demo"):
        edges.pop(entry, None)
    seen, stack, cycles = set(), [], []

    def visit(n: str) -> None:
        if n in stack:
            cycles.append(stack[stack.index(n):] + [n])
            return
        if n in seen:
            return
        seen.add(n)
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            visit(m)
        stack.pop()

    for n in sorted(edges):
        visit(n)
    assert not cycles, cycles


def test_the_site_reaches_templates_and_assets_only_through_resources():
    # the builder is the only reader of the packaged templates/assets (reportgen/_resources.py)
    users = {m.split(".")[1] for m, deps in _imports().items() if "reportgen._resources" in deps}
    assert users <= {"site", "serve"}, users


#: what writes to the terminal without reportgen.tell (say/tell escape control characters: issue 12, a run
#: folder's names, a config's URL, an exception's text rewrote the terminal): (file, call) -> (how many, why)
TERMINAL_ALLOWED = {
    ("reportgen/storage/health.py", "print"): (
        1, "storage is below reportgen.tell (importing it would be a cycle): its fallback escapes with printable"),
    ("reportgen/media/table.py", "warnings.warn"): (2, "its own words, a method's name and row counts"),
    ("reportgen/media/object3d.py", "warnings.warn"): (1, "a value's place (boxes[0]['color']) and its numbers"),
    ("reportgen/sdk/system_process.py", "print"): (
        1, "the sampling process's JSON report on its stdout, a pipe the training process reads, no terminal"),
}
#: calls that write to the terminal; warnings.warn and warn_explicit only when their message is not printable(...)
_WRITERS = {"print", "sys.stdout.write", "sys.stderr.write", "sys.stdout.writelines", "sys.stderr.writelines",
            "sys.__stdout__.write", "sys.__stderr__.write", "click.echo", "click.secho",
            "logging.StreamHandler", "traceback.print_exc", "traceback.print_exception", "traceback.print_stack"}
_WARNERS = {"warnings.warn", "warnings.warn_explicit"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _escaped(call: ast.Call) -> bool:
    message = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "message"), None)
    return (isinstance(message, ast.Constant) or
            isinstance(message, ast.Call) and _dotted(message.func).split(".")[-1] == "printable")


def test_nothing_writes_to_the_terminal_but_reportgen_tell():
    """Terminal output goes through reportgen.tell (say, tell, tell_all), which escapes control characters;
    a warning of the SDK escapes its message with printable (user_warn does). Each exception is listed
    in TERMINAL_ALLOWED with its reason (a new raw print, click.echo or sys.stderr.write fails here)."""
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel == "reportgen/tell.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func)
            if (name == "os.write" and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in (1, 2)
                    or name in _WRITERS or name in _WARNERS and not _escaped(node)):
                found.setdefault((rel, name), []).append(node.lineno)
    counts = {k: len(v) for k, v in found.items()}
    assert counts == {k: n for k, (n, _) in TERMINAL_ALLOWED.items()}, found

"""``reportgen import``: other trackers' runs -> ordinary run folders (see docs/import-export.md).

``import_source(ImportOptions(...))`` dispatches on the source kind; each module owns
one source (tensorboard, wandb_local, mlflow_store, tabular) and writes through
:class:`reportgen.importers.common.RunImport`, so imports are incremental and
idempotent whatever the source.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .common import Problems, RunImport, run_id_for

SOURCES = ("tensorboard", "wandb", "mlflow", "csv", "parquet")


@dataclass
class ImportOptions:
    source: str
    path: Path  # or an MLflow tracking server's database URI (str): postgresql://...
    out: Path  # or a URL runs root (str): s3://bucket/prefix
    project: str | None = None
    name: str | None = None  # template: {path} {name} {id} {project}
    run_col: str | None = None
    step_col: str | None = None
    time_col: str | None = None
    quiet: bool = False
    follow: bool = False  # live: runs without an end marker stay "running"
    follow_links: bool = False  # read links out of a logdir, a wandb or an mlruns folder (--follow-links)
    max_media: int | None = None  # media bytes one run may take (None: budget.RUN_MAX; an import 4x that)
    warn: Callable[[str], None] | None = None
    note: Callable[[str], None] | None = None  # informational notices (no problem: not counted by --strict)


@dataclass
class ImportResult:
    runs: list[str] = field(default_factory=list)  # run folders written (or up to date already)
    rows: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # informational: no problem of the source
    refused: list[str] = field(default_factory=list)  # runs not written: their run folder is unsafe to write
    skipped: int = 0  # source runs (or files) not imported: unreadable, hostile (their warnings say why)
    found: set[str] = field(default_factory=set)  # run ids of every source run the import came to, written or not
    # a database store whose runs this import listed to the end (each in ``found`` or deleted there): what
    # the source of each of its runs starts with (``<database>#``); None: a folder, or not listed to the end
    listed: str | None = None


def run_name(template: str | None, *, path: str, name: str, id: str, project: str) -> str:
    if not template:
        return name
    try:
        return template.format(path=path, name=name, id=id, project=project)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"--name {template!r}: expected a template using {{path}}, {{name}}, {{id}} "
                         f"or {{project}} ({exc})") from None


def detect(path: Path) -> str | None:
    """The source kind of ``path`` when it is recognisable (used by ``serve --watch``)."""
    from .common import walk
    from .mlflow_sql import sql_store
    from ..storage.remote import is_db_url
    from .tensorboard import is_event_file

    if is_db_url(path):
        return "mlflow"
    path = Path(path)
    if sql_store(path) is not None:  # mlflow.db (or a folder holding it)
        return "mlflow"
    if path.is_file():
        return {".csv": "csv", ".parquet": "parquet", ".wandb": "wandb"}.get(path.suffix.lower())
    if (path / "meta.yaml").exists() or any(p.name == "meta.yaml" for p in path.glob("*/meta.yaml")):
        return "mlflow"
    if any(path.glob("run-*.wandb")) or any(path.glob("*run-*/run-*.wandb")) \
            or any(path.glob("wandb/*run-*/run-*.wandb")):
        return "wandb"
    seen = 0
    for _folder, dirs, files in walk(path, follow_links=True):  # (bounded, linked runs too: tensorboard.py)
        if any(is_event_file(f) for f in files):
            return "tensorboard"
        seen += len(dirs) + len(files)
        if seen > 10000:
            break
    return None


def import_source(opts: ImportOptions) -> ImportResult:
    """Import ``opts.path`` into ``opts.out`` (a folder, or a URL runs root: :mod:`.to_url`)."""
    from ..storage.remote import is_url

    if is_url(str(opts.out)):
        from .to_url import import_to_url

        return import_to_url(opts, _import_local)
    return _import_local(opts)


def _import_local(opts: ImportOptions) -> ImportResult:
    from ..site.progress import Progress

    if opts.source not in SOURCES:
        raise ValueError(f"SOURCE: expected one of {', '.join(SOURCES)}, got {opts.source!r}")
    from ..storage.remote import is_db_url

    if is_db_url(opts.path):
        if opts.source != "mlflow":
            raise ValueError(f"PATH: a database URI is an MLflow tracking server's store; "
                             f"use 'reportgen import mlflow', not {opts.source!r}")
    elif not Path(opts.path).exists():
        raise FileNotFoundError(f"PATH: {opts.path} does not exist")
    from .budget import MediaBudget

    problems = Problems(opts.warn, MediaBudget(opts.max_media) if opts.max_media else None, opts.note)
    progress = Progress(quiet=opts.quiet)
    opts.out.mkdir(parents=True, exist_ok=True)
    if opts.source == "tensorboard":
        from .tensorboard import import_logdir as run
    elif opts.source == "wandb":
        from .wandb_local import import_wandb as run
    elif opts.source == "mlflow":
        from .mlflow_store import import_mlflow as run
    else:
        from .tabular import import_tabular as run
    result = ImportResult()
    try:
        run(opts, problems, progress, result)
    finally:
        progress.done()
        problems.finish()  # ("… and 297 more values skipped in <run>")
    result.warnings, result.notes = problems.items, problems.notes
    # (a run whose folder the import refused to write into is no imported run: bug, it was counted)
    result.refused = [r for r in result.runs if r in problems.refused]
    result.runs = [r for r in result.runs if r not in problems.refused]
    result.skipped = problems.skipped
    result.found = set(problems.found)
    return result


__all__ = ["ImportOptions", "ImportResult", "import_source", "detect", "Problems", "RunImport", "run_id_for"]

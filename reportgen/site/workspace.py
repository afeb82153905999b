"""Saved views: ``workspace.json`` / ``workspace.yaml`` (docs/panels.md, "Saved views").

The file sits next to the runs (the runs root) or in the reports folder and names the page's
default settings, and sections of panels (one key, or several keys overlaid) with per-panel
settings named like the URL hash's (``ymin``, ``ymax``, ``log``, ``smooth``, ``x``,
``outliers``). It is untrusted input: every problem becomes a build warning naming the file and
the key (``workspace.json: sections[0].panels[2].ymin: expected a number, got 'low'``) and that
entry is left out; the build never fails over it. The URL hash still overrides what it says.
"""
from __future__ import annotations

import json
import math
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

NAMES = ("workspace.json", "workspace.yaml", "workspace.yml")
MAX_BYTES = 1 << 20  # a layout, not a data file
MAX_PANELS = 500
MAX_KEYS = 10  # keys overlaid in one panel


@dataclass
class Panel:
    keys: list[str]
    title: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The panel's name in the URL hash (``pp``, ``zoom``): its key, or its keys joined by '+'."""
        return "+".join(self.keys)


@dataclass
class Section:
    name: str
    panels: list[Panel] = field(default_factory=list)


@dataclass
class Workspace:
    source: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def _short(v: Any) -> str:
    """A value as a warning quotes it: bounded, whatever its size. A YAML file of 1 KB can hold
    a list of 10 billion strings (aliases of aliases), and ``repr()`` of it filled 5.7 GB."""
    return _REPR.repr(v)[:60]


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# setting -> (check, what is expected)
SETTINGS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "ymin": (_number, "a number"),
    "ymax": (_number, "a number"),
    "log": (lambda v: isinstance(v, bool), "true or false"),
    "outliers": (lambda v: isinstance(v, bool), "true or false"),
    "smooth": (lambda v: _number(v) and 0 <= v < 1, "a number from 0 (off) to below 1"),
    "x": (lambda v: isinstance(v, str) and 0 < len(v) <= 200, "an x axis name (_step, _runtime, _timestamp or a counter)"),
}


def _settings(obj: dict[str, Any], where: str, warn: Callable[[str], None], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k in skip:
            continue
        if k not in SETTINGS:
            warn(f"{where}.{k}: unknown setting (expected one of {', '.join(SETTINGS)})")
            continue
        check, expected = SETTINGS[k]
        if not check(v):
            warn(f"{where}.{k}: expected {expected}, got {_short(v)}")
            continue
        out[k] = v
    if _number(out.get("ymin")) and _number(out.get("ymax")) and out["ymin"] >= out["ymax"]:
        warn(f"{where}: ymin ({out['ymin']}) must be below ymax ({out['ymax']}); both left out")
        out.pop("ymin"), out.pop("ymax")
    return out


def _keys(p: dict[str, Any], where: str, warn: Callable[[str], None]) -> list[str] | None:
    raw = p.get("keys", p.get("key"))
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(k, str) and k for k in raw):
        warn(f"{where}.keys: expected a metric key or a list of metric keys, got {_short(raw)}")
        return None
    if len(raw) > MAX_KEYS:
        warn(f"{where}.keys: at most {MAX_KEYS} keys in one panel; the rest left out")
    return list(dict.fromkeys(raw[:MAX_KEYS]))


def parse(data: Any, source: str, warn: Callable[[str], None]) -> Workspace:
    """A validated :class:`Workspace` from the file's parsed content (anything)."""
    ws = Workspace(source=source)
    if not isinstance(data, dict):
        warn(f"expected a mapping with 'sections' (and 'defaults'), got {type(data).__name__}")
        return ws
    for k in data:
        if k not in ("sections", "defaults", "version"):
            warn(f"{k}: unknown key (expected 'sections', 'defaults')")
    if "defaults" in data:
        if isinstance(data["defaults"], dict):
            ws.defaults = _settings(data["defaults"], "defaults", warn, skip=())
            for k in ("ymin", "ymax"):
                if ws.defaults.pop(k, None) is not None:
                    warn(f"defaults.{k}: a y range is set per panel, not for the page")
        else:
            warn("defaults: expected a mapping of settings")
    sections = data.get("sections", [])
    if not isinstance(sections, list):
        warn("sections: expected a list of {name, panels}")
        sections = []
    count = 0
    for i, s in enumerate(sections):
        where = f"sections[{i}]"
        if not isinstance(s, dict) or not isinstance(s.get("name"), str) or not s["name"].strip():
            warn(f"{where}.name: expected a section name (text)")
            continue
        sec = Section(name=s["name"].strip()[:200])
        panels = s.get("panels", [])
        if not isinstance(panels, list):
            warn(f"{where}.panels: expected a list of panels")
            panels = []
        for j, p in enumerate(panels):
            pw = f"{where}.panels[{j}]"
            if not isinstance(p, dict):
                warn(f"{pw}: expected a mapping with 'keys'")
                continue
            keys = _keys(p, pw, warn)
            if keys is None:
                continue
            title = p.get("title")
            if title is not None and not isinstance(title, str):
                warn(f"{pw}.title: expected text, got {_short(title)}")
                title = None
            count += 1
            if count > MAX_PANELS:
                warn(f"{pw}: more than {MAX_PANELS} panels; the rest left out")
                break
            sec.panels.append(Panel(keys, title, _settings(p, pw, warn, skip=("keys", "key", "title"))))
        ws.sections.append(sec)
    return ws


def find(runs: Path, reports: Path | None) -> list[Path]:
    """Workspace files present: the runs root first, then the reports folder (not following links)."""
    found = []
    for folder in (runs, reports if reports is not None else runs / "reports"):
        for name in NAMES:
            p = folder / name
            if p.is_file() and not p.is_symlink() and p not in found:
                found.append(p)
    return found


def load(runs: Path, reports: Path | None, warn_to: Callable[[str, str], None]) -> Workspace | None:
    """The first workspace file found (others are named in a warning), or None; never raises."""
    files = find(runs, reports)
    if not files:
        return None
    path = files[0]
    name = str(path)

    def warn(msg: str) -> None:
        warn_to(name, msg)

    if len(files) > 1:
        warn(f"used {path}; ignored {', '.join(str(f) for f in files[1:])}")
    try:
        if path.stat().st_size > MAX_BYTES:
            warn(f"larger than {MAX_BYTES} bytes; not used")
            return None
        from ..storage.safety import open_regular  # a named pipe must not block the build

        with open_regular(path) as fh:
            text = fh.read().decode("utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            try:
                import yaml
            except ImportError:
                warn("a YAML workspace needs PyYAML: pip install 'reportgen[workspace]' (or use workspace.json)")
                return None
            data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        warn(f"could not be read: {exc}")
        return None
    except Exception as exc:  # yaml.YAMLError and anything else a hostile file provokes
        warn(f"could not be parsed: {type(exc).__name__}: {str(exc)[:200]}")
        return None
    return parse(data, path.name, warn)

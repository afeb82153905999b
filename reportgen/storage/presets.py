"""Custom-chart presets: Vega-Lite templates with placeholders.

A preset is a Vega-Lite JSON template whose data is ``{"name": "table"}`` and whose
strings may contain ``"${field:NAME}"`` (replaced by a table column name) and
``"${string:NAME}"`` (replaced by a user string, e.g. a title). Lookup order for a
name such as ``"carey/new_chart"``:

1. ``presets/carey/new_chart.json`` in the current working directory;
2. ``<folder>/carey/new_chart.json`` for each folder of ``$REPORTGEN_PRESETS``
   (separated by ``os.pathsep``);
3. the built-in presets ``reportgen/<name>`` shipped in ``reportgen/storage/presets/``
   (``wandb/<name>`` and ``wandb/<name>/v0`` are aliases).

:func:`render_custom_chart` is pure: the builder calls it on the stored template
and table to get a complete Vega-Lite spec with inline data.
"""
from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

BUILTIN_DIR = Path(__file__).resolve().parent / "presets"
ENV = "REPORTGEN_PRESETS"
PLACEHOLDER = re.compile(r"\$\{(field|string):([^}]+)\}")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
ROW_FIELD = "__row"


class PresetError(ValueError):
    """An unknown preset, a bad template, or fields that do not fit."""


def builtin_names() -> list[str]:
    return sorted(f"reportgen/{p.stem}" for p in BUILTIN_DIR.glob("*.json"))


ALIASES = {"lineseries": "line_series"}  # wandb's preset names that are spelled otherwise here


def canonical_name(name: str) -> str:
    """``wandb/line/v0`` -> ``reportgen/line`` (``wandb/lineseries/v0`` -> ``reportgen/line_series``);
    other names unchanged."""
    if not isinstance(name, str) or not name:
        raise PresetError(f"vega_spec_name: expected a preset name such as 'reportgen/line', got {name!r}")
    parts = name.strip("/").split("/")
    if parts[0] in ("wandb", "reportgen") and len(parts) >= 2:
        if len(parts) == 3 and re.fullmatch(r"v\d+", parts[2]):
            parts = parts[:2]
        return "reportgen/" + "/".join([ALIASES.get(parts[1], parts[1]), *parts[2:]])
    return "/".join(parts)


def _user_dirs(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    env = os.environ if env is None else env
    dirs = [(cwd or Path.cwd()) / "presets"]
    dirs += [Path(p) for p in (env.get(ENV) or "").split(os.pathsep) if p]
    return dirs


def available(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """Every preset name that resolves: user presets first, then the built-ins."""
    names: list[str] = []
    for d in _user_dirs(cwd, env):
        if d.is_dir():
            names += sorted(p.relative_to(d).with_suffix("").as_posix() for p in d.rglob("*.json"))
    return list(dict.fromkeys(names + builtin_names()))


def find_preset(name: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
                ) -> tuple[str, Path]:
    """Return ``(canonical name, template path)``; raise PresetError listing what exists."""
    canon = canonical_name(name)
    if not _NAME.match(canon) or ".." in canon.split("/"):
        raise PresetError(f"vega_spec_name: {name!r} is not a valid preset name "
                          "(letters, digits, '_', '-', '.', separated by '/')")
    for d in _user_dirs(cwd, env):
        for candidate in (name, canon):
            p = d / f"{candidate}.json"
            if p.is_file():
                return canon, p
    if canon.startswith("reportgen/"):
        p = BUILTIN_DIR / f"{canon.split('/', 1)[1]}.json"
        if "/" not in canon.split("/", 1)[1] and p.is_file():
            return canon, p
    where = ", ".join(str(d) for d in _user_dirs(cwd, env))
    raise PresetError(f"vega_spec_name: unknown preset {name!r}. Available: {', '.join(available(cwd, env))}. "
                      f"User presets are looked up as <folder>/<name>.json in: {where}")


def load_template(path: Path) -> dict[str, Any]:
    try:
        template = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PresetError(f"preset {str(path)!r} is not valid JSON ({exc})") from None
    if not isinstance(template, dict):
        raise PresetError(f"preset {str(path)!r}: expected a Vega-Lite JSON object")
    if not any(d == {"name": "table"} for d in _walk_dicts(template)):
        raise PresetError(f"preset {str(path)!r}: expected its data to be {{\"name\": \"table\"}}")
    return template


def load_preset(name: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
                ) -> tuple[str, dict[str, Any]]:
    canon, path = find_preset(name, cwd, env)
    return canon, load_template(path)


def _walk_dicts(obj: Any) -> Iterator[dict]:
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _walk_dicts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk_dicts(v)


def _walk_strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _walk_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk_strings(v)


def placeholders(template: dict) -> tuple[list[str], list[str]]:
    """The ``field`` and ``string`` placeholder names a template uses, in order."""
    fields: list[str] = []
    strings: list[str] = []
    for s in _walk_strings(template):
        for kind, name in PLACEHOLDER.findall(s):
            (fields if kind == "field" else strings).append(name)
    return list(dict.fromkeys(fields)), list(dict.fromkeys(strings))


def optional_fields(template: dict) -> list[str]:
    meta = template.get("usermeta")
    meta = meta.get("reportgen") if isinstance(meta, dict) else None
    opt = meta.get("optional_fields") if isinstance(meta, dict) else None
    return [str(f) for f in opt] if isinstance(opt, list) else []


def check_fields(template: dict, columns: list[str], fields: Mapping[str, Any],
                 string_fields: Mapping[str, Any] | None, preset: str = "the preset") -> None:
    """Raise PresetError when ``fields`` do not fit the template or the table."""
    if not isinstance(fields, Mapping):
        raise PresetError(f"fields: expected a dict {{field: column}}, got {type(fields).__name__}")
    want, strings = placeholders(template)
    optional = optional_fields(template)
    unknown = [f for f in fields if f not in want]
    if unknown:
        raise PresetError(f"fields: {unknown} are not fields of {preset}; its fields are {want}")
    missing = [f for f in want if f not in fields and f not in optional]
    if missing:
        raise PresetError(f"fields: {preset} needs a column for {missing}; its fields are {want}")
    for f, col in fields.items():
        if col is None and f in optional:
            continue
        if not isinstance(col, str) or col not in columns:
            raise PresetError(f"fields[{f!r}]: {col!r} is not a column of the table; columns are {columns}")
    if string_fields is not None:
        if not isinstance(string_fields, Mapping):
            raise PresetError(f"string_fields: expected a dict {{name: text}}, got {type(string_fields).__name__}")
        extra = [s for s in string_fields if s not in strings]
        if extra:
            raise PresetError(f"string_fields: {extra} are not string fields of {preset}; "
                              f"its string fields are {strings}")


def _escape_field(name: str) -> str:
    """Vega-Lite reads '.' and '[]' in a field as nested access: escape them."""
    return re.sub(r"([.\[\]\\])", r"\\\1", name)


def _fill(obj: Any, fields: Mapping[str, str], strings: Mapping[str, str], key: str | None = None) -> Any:
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if isinstance(v, str) and k == "field":
                m = PLACEHOLDER.fullmatch(v)
                if m and m.group(1) == "field" and fields.get(m.group(2)) is None:
                    return None  # an unmapped optional field: drop this channel
            filled = _fill(v, fields, strings, k)
            if filled is None and isinstance(v, dict):
                continue
            out[_fill(k, fields, strings) if isinstance(k, str) else k] = filled
        return out
    if isinstance(obj, list):
        items = [_fill(v, fields, strings, key) for v in obj]
        return [v for v, orig in zip(items, obj) if not (v is None and isinstance(orig, dict))]
    if isinstance(obj, str):
        def sub(m: re.Match) -> str:
            kind, name = m.group(1), m.group(2)
            if kind == "field":
                col = fields.get(name)
                col = "" if col is None else str(col)
                return _escape_field(col) if key in ("field", "groupby", "fields") else col
            return str(strings.get(name, ""))
        return PLACEHOLDER.sub(sub, obj)
    return obj


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None  # inline Vega data must be valid JSON
    if isinstance(v, (dict, list)):
        return None  # media cells cannot be charted
    return v


def table_values(table: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of a ``{"columns", "data"}`` table as Vega data values (plus ``__row``)."""
    cols = list(table["columns"])
    return [{**{c: _json_value(v) for c, v in zip(cols, row)}, ROW_FIELD: i}
            for i, row in enumerate(table["data"])]


def _tooltips_without_row(spec: Any) -> None:
    """A mark with ``"tooltip": true`` shows every encoded field, ``__row`` too when it orders the
    line (the built-in line, PR and ROC presets): such a view gets a tooltip channel listing its
    other encoded fields instead. A view with a tooltip channel of its own is left as it is."""
    for d in list(_walk_dicts(spec)):
        enc, mark = d.get("encoding"), d.get("mark")
        if not isinstance(enc, dict) or "tooltip" in enc:
            continue
        if not isinstance(mark, dict) or mark.get("tooltip") not in (True, {"content": "encoding"}):
            continue
        defs = [v for v in enc.values() if isinstance(v, dict) and "field" in v]
        if not any(v.get("field") == ROW_FIELD for v in defs):
            continue
        enc["tooltip"] = [{k: v[k] for k in ("field", "type", "title", "format", "timeUnit") if k in v}
                          for v in defs if v.get("field") != ROW_FIELD]


def render_custom_chart(template: Mapping[str, Any], table: Mapping[str, Any],
                        fields: Mapping[str, Any], string_fields: Mapping[str, Any] | None = None
                        ) -> dict[str, Any]:
    """A complete Vega-Lite spec: placeholders filled, the table's rows inlined
    wherever the template has ``{"name": "table"}``. Pure: no files, no SDK state."""
    check_fields(dict(template), list(table["columns"]), fields, string_fields)
    spec = _fill(copy.deepcopy(dict(template)), dict(fields), dict(string_fields or {}))
    _tooltips_without_row(spec)
    values = table_values(table)
    for d in list(_walk_dicts(spec)):
        if d.get("name") == "table" and set(d) <= {"name", "format"}:
            d.pop("name")
            d["values"] = values
    return spec

"""Names and layout of a run folder, format version 1 (see docs/format.md)."""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

FORMAT_VERSION = 1

RUN_JSON = "run.json"
CONFIG_JSON = "config.json"
HISTORY_JSONL = "history.jsonl"
SUMMARY_JSON = "summary.json"
MEDIA_DIR = "media"
FILES_DIR = "files"

#: the keys a history row or a summary holds of its own (the row's step, time and runtime) and the
#: ones wandb keeps for itself (``_wandb``, and nested under it ``_wandb/...``): not metrics. Any
#: other key is the user's, ``_``-prefixed or not: wandb hides only its own ``_`` keys, so a logged
#: ``_lr`` or ``__proto__`` is charted like ``lr``.
SYSTEM_KEYS = frozenset({"_step", "_runtime", "_timestamp", "_wandb"})


#: the steps a history row may have: ``log()`` takes no negative step, and a JSON integer from 2**63 on is no
#: 64-bit step (importers leave rows at other steps out, with a warning: docs/format.md)
MAX_STEP = (1 << 63) - 1


def holds_step(step: int) -> bool:
    """Whether a history row may have the step ``step`` (0 to :data:`MAX_STEP`)."""
    return 0 <= step <= MAX_STEP


def is_system_key(key: str) -> bool:
    """A row or summary key that is not a user's metric (see :data:`SYSTEM_KEYS`)."""
    return key[:1] == "_" and (key in SYSTEM_KEYS or key.startswith("_wandb/"))


DEFAULT_ROOT = "runs"
ROOT_ENV = "REPORTGEN_DIR"
# define_metric(summary=...) aggregations; a summary key "<metric>/<op>" holds one (summary.json)
SUMMARY_OPS = ("min", "max", "mean", "first", "last", "best", "copy", "none")


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def validate_run_id(run_id: object) -> str:
    """Return ``run_id`` if it is usable as a folder name, else raise ValueError."""
    if not isinstance(run_id, str) or not _ID_RE.match(run_id) or run_id in (".", ".."):
        raise ValueError(
            f"id={run_id!r}: expected 1-64 characters of letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return run_id


def new_run_id(length: int = 8) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def resolve_root(dir: str | os.PathLike | None = None) -> Path:
    """The runs root: the ``dir`` argument, else ``$REPORTGEN_DIR``, else ``./runs``."""
    if dir is not None:
        return Path(dir)
    return Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


@dataclass(frozen=True)
class RunPaths:
    """Every path inside one run folder."""

    root: Path

    @property
    def run_json(self) -> Path:
        return self.root / RUN_JSON

    @property
    def config_json(self) -> Path:
        return self.root / CONFIG_JSON

    @property
    def history(self) -> Path:
        return self.root / HISTORY_JSONL

    @property
    def summary_json(self) -> Path:
        return self.root / SUMMARY_JSON

    @property
    def media(self) -> Path:
        return self.root / MEDIA_DIR

    @property
    def files(self) -> Path:
        return self.root / FILES_DIR

    def is_run(self) -> bool:
        """A run.json, or a history with rows. A folder holding only an empty history is a run
        being created (the SDK opens its history before it writes run.json): not a run yet, so a
        build at that moment does not show it under an "uncategorized" project."""
        try:  # (os.path.exists: Path.exists raised on a name too long for the file system)
            return os.path.exists(self.run_json) or self.history.stat().st_size > 0
        except (OSError, ValueError):  # (no history, a name too long, a NUL in it)
            return False


def flatten(d: dict[str, Any], prefix: str = "", sep: str = "/") -> dict[str, Any]:
    """Nested dicts become ``a/b`` keys (``a<sep>b``); tagged records (``_type``) stay whole."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and "_type" not in v:
            out.update(flatten(v, key + sep, sep))
        else:
            out[key] = v
    return out


def flat_rows(history: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """``(step, flattened row)`` for each history row; the step is ``_step``, else the row index."""
    for i, row in enumerate(history):
        flat = flatten(row)
        step = flat.get("_step", i)
        if not isinstance(step, (int, float)) or isinstance(step, bool):
            step = i
        yield step, flat

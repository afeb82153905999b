"""Run settings: ``init(settings=...)`` (a dict, ``reportgen.Settings`` or ``wandb.Settings``-like object).

Only the settings below mean something locally; wandb settings not listed are accepted and
ignored. The environment overrides nothing given explicitly; it fills in what was not given.

=========================  ==========================================  =======================
setting                    meaning                                     environment
=========================  ==========================================  =======================
``console``                ``"auto"``/``"redirect"`` (file-descriptor   ``REPORTGEN_CONSOLE``
                           level), ``"wrap"`` (Python streams only),
                           ``"off"``
``console_max_bytes``      bound on ``output.log`` (head + tail kept)   ``REPORTGEN_CONSOLE_MAX_BYTES``
``x_stats_sampling_        seconds between system-metric samples       ``REPORTGEN_STATS_INTERVAL``
interval``                 (wandb's name; default 10)
``x_disable_stats``        no system metrics                           ``REPORTGEN_STATS=off``
``disable_git``            no git remote/commit/diff                   ``REPORTGEN_DISABLE_GIT``
``x_disable_meta``         no requirements/host/git metadata           ``REPORTGEN_DISABLE_META``
``alert_webhook``          URL ``alert()`` posts to                    ``REPORTGEN_ALERT_WEBHOOK``
``x_label``                this writer's label in a shared run          ``REPORTGEN_LABEL``
                           (``rank1``; docs/format.md)
``x_upload_interval``      seconds between segments on a URL root       ``REPORTGEN_UPLOAD_INTERVAL``
``x_segment_bytes``        a segment is cut early at this size          ``REPORTGEN_SEGMENT_BYTES``
=========================  ==========================================  =======================
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

CONSOLE_MODES = ("auto", "redirect", "wrap", "off")
DEFAULT_STATS_INTERVAL = 10.0  # wandb's default (x_stats_sampling_interval)
DEFAULT_CONSOLE_MAX_BYTES = 8 * 1024 * 1024
_ALIASES = {"_stats_sampling_interval": "x_stats_sampling_interval", "_disable_stats": "x_disable_stats",
            "_disable_meta": "x_disable_meta", "stats_sampling_interval": "x_stats_sampling_interval"}
_OFF = ("0", "off", "false", "no")


@dataclass
class Settings:
    """Local settings for :func:`reportgen.init`; unknown wandb settings are accepted and ignored."""

    console: str | None = None
    console_max_bytes: int | None = None
    x_stats_sampling_interval: float | None = None
    x_disable_stats: bool | None = None
    disable_git: bool | None = None
    x_disable_meta: bool | None = None
    alert_webhook: str | None = None
    x_label: str | None = None  # storage20: shared runs / URL roots (reportgen.storage.staging)
    x_upload_interval: float | None = None
    x_segment_bytes: int | None = None

    def __init__(self, **kwargs: Any):
        names = {f.name for f in fields(Settings)}
        for name in names:
            setattr(self, name, None)
        for key, value in kwargs.items():
            key = _ALIASES.get(key, key)
            if key in names:
                setattr(self, key, value)


def _from_object(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return dict(obj)
    if isinstance(obj, Settings):
        return {f.name: getattr(obj, f.name) for f in fields(Settings)}
    out = {}  # a wandb.Settings (pydantic model) or any object with attributes
    for name in ({f.name for f in fields(Settings)} | set(_ALIASES)):
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: BLE001 - foreign settings objects may raise anything
            continue
        if value is not None and not callable(value):
            out[name] = value
    return out


def _env_off(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _OFF


def _env_on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def resolve(settings: Any = None, **direct: Any) -> Settings:
    """Merge ``settings=`` with direct ``init()`` keywords and the environment; validate."""
    given = Settings(**{**_from_object(settings), **{k: v for k, v in direct.items() if v is not None}})
    s = given
    if s.console is None:
        s.console = os.environ.get("REPORTGEN_CONSOLE", "").strip().lower() or "auto"
    if s.console is False:
        s.console = "off"
    if not isinstance(s.console, str) or s.console.lower() not in CONSOLE_MODES:
        raise ValueError(f"init(): console: expected one of {', '.join(CONSOLE_MODES)}, got {s.console!r}")
    s.console = s.console.lower()
    if s.console_max_bytes is None:
        raw = os.environ.get("REPORTGEN_CONSOLE_MAX_BYTES")
        s.console_max_bytes = _int(raw, "$REPORTGEN_CONSOLE_MAX_BYTES") if raw else DEFAULT_CONSOLE_MAX_BYTES
    if isinstance(s.console_max_bytes, bool) or not isinstance(s.console_max_bytes, int) or s.console_max_bytes < 1024:
        raise ValueError(f"init(): console_max_bytes: expected an integer >= 1024, got {s.console_max_bytes!r}")
    if s.x_stats_sampling_interval is None:
        raw = os.environ.get("REPORTGEN_STATS_INTERVAL")
        s.x_stats_sampling_interval = _float(raw, "$REPORTGEN_STATS_INTERVAL") if raw else DEFAULT_STATS_INTERVAL
    iv = s.x_stats_sampling_interval
    if isinstance(iv, bool) or not isinstance(iv, (int, float)) or not iv >= 0:
        raise ValueError(f"init(): x_stats_sampling_interval: expected a number of seconds >= 0, got {iv!r}")
    s.x_stats_sampling_interval = float(iv)
    if s.x_disable_stats is None:
        s.x_disable_stats = _env_off("REPORTGEN_STATS") or s.x_stats_sampling_interval == 0
    if s.disable_git is None:
        s.disable_git = _env_on("REPORTGEN_DISABLE_GIT")
    if s.x_disable_meta is None:
        s.x_disable_meta = _env_on("REPORTGEN_DISABLE_META")
    if s.alert_webhook is None:
        s.alert_webhook = os.environ.get("REPORTGEN_ALERT_WEBHOOK") or None
    if s.alert_webhook is not None and (not isinstance(s.alert_webhook, str)
                                        or not s.alert_webhook.startswith(("http://", "https://"))):
        raise ValueError(f"init(): alert_webhook: expected an http(s) URL, got {s.alert_webhook!r}")
    _resolve_storage(s)
    return s


def _resolve_storage(s: Settings) -> None:
    """Settings of the segmented layout (URL roots, shared runs): label, upload interval, segment size."""
    from ..storage.segments import DEFAULT_SEGMENT_BYTES, DEFAULT_UPLOAD_INTERVAL, validate_label

    if s.x_label is None:
        s.x_label = os.environ.get("REPORTGEN_LABEL") or None
    if s.x_label is not None:
        validate_label(s.x_label)
    if s.x_upload_interval is None:
        raw = os.environ.get("REPORTGEN_UPLOAD_INTERVAL")
        s.x_upload_interval = _float(raw, "$REPORTGEN_UPLOAD_INTERVAL") if raw else DEFAULT_UPLOAD_INTERVAL
    iv = s.x_upload_interval
    if isinstance(iv, bool) or not isinstance(iv, (int, float)) or not iv > 0:
        raise ValueError(f"init(): x_upload_interval: expected a positive number of seconds, got {iv!r}")
    if s.x_segment_bytes is None:
        raw = os.environ.get("REPORTGEN_SEGMENT_BYTES")
        s.x_segment_bytes = _int(raw, "$REPORTGEN_SEGMENT_BYTES") if raw else DEFAULT_SEGMENT_BYTES
    sb = s.x_segment_bytes
    if isinstance(sb, bool) or not isinstance(sb, int) or sb < 1024:
        raise ValueError(f"init(): x_segment_bytes: expected an integer >= 1024, got {sb!r}")


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}: expected an integer, got {raw!r}") from None


def _float(raw: str, name: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name}: expected a number of seconds, got {raw!r}") from None

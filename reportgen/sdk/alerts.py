"""``run.alert(title, text, level, wait_duration)``: recorded, printed, optionally posted to a webhook.

Each alert is one line of ``alerts.jsonl`` in the run folder (written at once), one line on
stderr, and, when a webhook URL is configured (``REPORTGEN_ALERT_WEBHOOK`` or
``init(settings={"alert_webhook": url})``), one JSON POST in the body Slack-compatible
incoming webhooks accept (``{"text": ..., "blocks": [...]}``). Posting happens on a
background thread with a timeout: training never waits for it and never fails because of
it (one warning on the first failure). ``wait_duration`` (seconds or a ``timedelta``):
an alert with the same title within that time of the last one is dropped.
"""
from __future__ import annotations

import enum
import json
import os
import queue
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from ..storage.jsonio import encode_line
from ..storage.safety import open_own
from ..tell import say
from .values import user_warn

ALERTS_JSONL = "alerts.jsonl"
POST_TIMEOUT = 5.0


class AlertLevel(str, enum.Enum):
    """wandb's alert levels (``reportgen.AlertLevel.WARN`` or the string ``"WARN"``)."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


def _level(level: Any) -> str:
    if level is None:
        return "INFO"
    if isinstance(level, AlertLevel):
        return level.value
    value = getattr(level, "value", level)  # wandb.AlertLevel members too
    if isinstance(value, str) and value.upper() in AlertLevel.__members__:
        return value.upper()
    raise ValueError(f"alert(): level: expected INFO, WARN or ERROR, got {level!r}")


def _seconds(wait: Any) -> float | None:
    if wait is None:
        return None
    if isinstance(wait, timedelta):
        return wait.total_seconds()
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or wait < 0:
        raise ValueError(f"alert(): wait_duration: expected seconds >= 0 or a timedelta, got {wait!r}")
    return float(wait)


def slack_body(title: str, text: str, level: str, run_label: str) -> dict[str, Any]:
    """The JSON body: ``text`` for any Slack-compatible hook, ``blocks`` for richer display."""
    icon = {"INFO": ":information_source:", "WARN": ":warning:", "ERROR": ":rotating_light:"}[level]
    summary = f"{icon} [{level}] {title} ({run_label})"
    return {"text": f"{summary}\n{text}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{summary}*\n{text}"}}]}


class Alerts:
    """The alerts of one run."""

    def __init__(self, run_dir: Path, run_label: str, webhook: str | None, *,
                 runtime: Callable[[], float], step: Callable[[], int], clock: Callable[[], float] = time.time,
                 reach: Callable[[], Path] | None = None):
        self.path = Path(run_dir) / ALERTS_JSONL
        self.reach = reach  # the path the run folder is written by, wherever it is (storage.moved)
        self.run_label = run_label
        self.webhook = webhook
        self._runtime, self._step, self._clock = runtime, step, clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._queue: "queue.Queue[dict | None]" = queue.Queue()
        self._thread: threading.Thread | None = None
        self._warned = False
        self.posted = 0
        self.count = 0

    def alert(self, title: str, text: str, level: Any = None, wait_duration: Any = None) -> bool:
        """Record (and post) an alert; False when ``wait_duration`` throttled it."""
        if not isinstance(title, str) or not title:
            raise TypeError(f"alert(): title: expected a non-empty string, got {title!r}")
        if not isinstance(text, str):
            raise TypeError(f"alert(): text: expected a string, got {type(text).__name__}")
        level_name, wait = _level(level), _seconds(wait_duration)
        now = self._clock()
        with self._lock:
            last = self._last.get(title)
            if wait is not None and last is not None and now - last < wait:
                return False
            self._last[title] = now
            self.count += 1
            record = {"_timestamp": now, "_runtime": self._runtime(), "_step": self._step(),
                      "title": title, "text": text, "level": level_name}
            if wait is not None:
                record["wait_duration"] = wait
            try:
                path = self.path if self.reach is None else self.reach() / ALERTS_JSONL
                with os.fdopen(open_own(path), "ab") as f:
                    f.write(encode_line(record))
            except OSError as exc:
                self._warn_once(f"alert(): could not record the alert in {path}: {exc}")
        say(f"reportgen: alert [{level_name}] {title}: {text}", err=True, lines=True)
        if self.webhook:
            self._post_later(slack_body(title, text, level_name, self.run_label))
        return True

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            user_warn(message)

    def _post_later(self, body: dict[str, Any]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="reportgen-alerts", daemon=True)
            self._thread.start()
        self._queue.put(body)

    def _loop(self) -> None:
        while True:
            body = self._queue.get()
            if body is None:
                return
            try:
                import urllib.request

                req = urllib.request.Request(self.webhook, data=json.dumps(body).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=POST_TIMEOUT) as resp:
                    resp.read()
                self.posted += 1
            except Exception as exc:  # noqa: BLE001 - an unreachable hook never reaches training
                self._warn_once(f"alert(): posting to the webhook failed ({exc.__class__.__name__}: {exc}); "
                                "alerts are still recorded in alerts.jsonl")

    def close(self, timeout: float | None = None) -> None:
        """Wait (bounded: the post timeout + 1 s by default) for alerts still being posted."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(POST_TIMEOUT + 1 if timeout is None else timeout)

"""The background parts of a run: console capture, system metrics, alerts, metadata.

:class:`RunServices` starts them at ``init()`` and stops them at ``finish()``; a failure in
any of them warns once and leaves the training loop alone.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from .alerts import Alerts
from .console import ConsoleCapture
from .settings import Settings
from .values import user_warn


class RunServices:
    def __init__(self, run_dir: Path, settings: Settings, *, run_label: str, t0: Callable[[], float],
                 step: Callable[[], int], git: bool, on_meta: Callable[[], None],
                 reach: Callable[[], Path] | None = None):
        self.settings = settings
        self._fields: dict[str, Any] = {"console": settings.console}
        self._lock = threading.RLock()  # reentrant: a signal handler's finish() annotates run.json
        runtime = lambda: time.time() - t0()  # noqa: E731
        self.console: ConsoleCapture | None = None
        try:
            self.console = ConsoleCapture.start(run_dir, settings.console, settings.console_max_bytes, reach)
        except OSError as exc:
            user_warn(f"init(): console capture is off: {exc}")
        if self.console is not None:
            self._fields["console"] = self.console.mode  # what "auto" became: redirect or wrap
        elif settings.console != "off":
            self._fields["console"] = "off"  # another run of this process captures, or no descriptors
        self.sampler = None
        if not settings.x_disable_stats:
            try:
                from .system_process import start_sampler

                self.sampler = start_sampler(run_dir, settings.x_stats_sampling_interval, t0())
                self._fields["system_metrics"] = {"interval": settings.x_stats_sampling_interval}
            except Exception as exc:  # noqa: BLE001 - psutil missing or unsupported platform
                user_warn(f"init(): system metrics are off: {exc.__class__.__name__}: {exc}")
        self.alerts = Alerts(run_dir, run_label, settings.alert_webhook, runtime=runtime, step=step, reach=reach)
        self._meta_thread: threading.Thread | None = None
        if not settings.x_disable_meta:
            self._meta_thread = threading.Thread(
                target=self._collect, args=(reach or (lambda: run_dir), git and not settings.disable_git, on_meta),
                name="reportgen-metadata", daemon=True)
            self._meta_thread.start()

    def _collect(self, reach: Callable[[], Path], git: bool, on_meta: Callable[[], None]) -> None:
        """Record the run's metadata; its files are written by ``reach()``, the path that reaches the run
        folder where it is (storage.moved: by name, files/requirements.txt made the folder anew at its
        old path when it was moved meanwhile, and run.json went there too)."""
        from . import metadata
        from .system_metrics import Gpus

        try:
            gpus = Gpus()
            names = gpus.names()
            gpus.close()
            found = metadata.collect(reach(), git=git, gpu_names=names)
        except Exception as exc:  # noqa: BLE001 - metadata is a nice-to-have
            user_warn(f"init(): could not record the run's metadata: {exc.__class__.__name__}: {exc}")
            return
        with self._lock:
            self._fields.update(found)
        try:
            on_meta()
        except OSError as exc:
            user_warn(f"init(): could not update run.json with the metadata: {exc}")

    def annotate(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Add what the services know to a run.json dict (``git`` merged, ``system``, ``console``)."""
        with self._lock:
            fields = dict(self._fields)
        git_extra = fields.pop("git_extra", None)
        meta.update(fields)
        if git_extra:
            meta["git"] = {**(meta.get("git") or {}), **git_extra} if "git" in meta else git_extra
        return meta

    def close(self, quick: bool = False) -> None:
        """Stop everything; ``quick`` (a termination signal): shorter waits, the process is ending."""
        if self._meta_thread is not None:
            self._meta_thread.join(timeout=1 if quick else 10)
        self.alerts.close(timeout=1 if quick else None)
        for name, part in (("system metrics", self.sampler), ("console capture", self.console)):
            if part is None:
                continue
            try:
                error = part.stop(timeout=0.5 if part is self.console else 1.0) if quick else part.stop()
            except Exception as exc:  # noqa: BLE001
                error = f"{exc.__class__.__name__}: {exc}"
            if error:
                user_warn(f"finish(): {name} lost data: {error}")

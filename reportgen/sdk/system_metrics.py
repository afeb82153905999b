"""System metrics: CPU, memory, disk, network and GPUs of a process, sampled every N seconds.

A run's samples are taken by a small process of their own (:mod:`.system_process`), so a training
thread that holds the interpreter never delays them; :meth:`SystemSampler.start` samples from a thread
of this process instead, where no such process can be started.

Rows go to ``system.jsonl`` (their own time axis: ``_timestamp`` and ``_runtime``, no ``_step``),
keys under ``system/`` named as wandb names them (``system/cpu``, ``system/gpu.0.temp``...).
psutil reads the counters; GPUs come from NVIDIA's management library through its official
bindings (``pip install reportgen[gpu]``, module ``pynvml``), skipped when absent.
Each row is appended with one ``write()`` as soon as it is sampled (a killed run keeps them).
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ..storage.jsonio import encode_line
from ..storage.safety import open_own

SYSTEM_JSONL = "system.jsonl"
_MB = 1024 * 1024


class Gpus:
    """Per-GPU readings through pynvml; ``count == 0`` when the library or a GPU is missing."""

    def __init__(self) -> None:
        self.handles: list[Any] = []
        self.nvml: Any = None
        self.why_not: str | None = None
        try:
            import pynvml
        except ImportError:
            self.why_not = "nvidia-ml-py not installed (pip install reportgen[gpu])"
            return
        try:
            pynvml.nvmlInit()
            self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            self.nvml = pynvml
        except Exception as exc:  # noqa: BLE001 - NVMLError when no driver/GPU
            self.why_not = f"NVML unavailable: {exc}"

    @property
    def count(self) -> int:
        return len(self.handles)

    def names(self) -> list[str]:
        out = []
        for h in self.handles:
            try:
                name = self.nvml.nvmlDeviceGetName(h)
                out.append(name.decode() if isinstance(name, bytes) else str(name))
            except Exception:  # noqa: BLE001
                out.append("unknown")
        return out

    def sample(self, row: dict[str, Any]) -> None:
        nv = self.nvml
        for i, h in enumerate(self.handles):
            p = f"system/gpu.{i}."
            for key, read in (
                ("gpu", lambda h=h: nv.nvmlDeviceGetUtilizationRates(h).gpu),
                ("memory", lambda h=h: nv.nvmlDeviceGetUtilizationRates(h).memory),
                ("memoryAllocated", lambda h=h: _pct(nv.nvmlDeviceGetMemoryInfo(h))),
                ("memoryAllocatedBytes", lambda h=h: nv.nvmlDeviceGetMemoryInfo(h).used),
                ("temp", lambda h=h: nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU)),
                ("powerWatts", lambda h=h: nv.nvmlDeviceGetPowerUsage(h) / 1000.0),
            ):
                try:
                    row[p + key] = read()
                except Exception:  # noqa: BLE001 - a reading the device does not support
                    pass

    def close(self) -> None:
        if self.nvml is not None:
            try:
                self.nvml.nvmlShutdown()
            except Exception:  # noqa: BLE001
                pass


def _pct(mem: Any) -> float:
    return 100.0 * mem.used / mem.total if mem.total else 0.0


class SystemSampler:
    """Samples process ``pid`` (this one by default) and its children, skipping the pids in ``skip``.

    ``run()`` samples until an event is set, ``start()`` does so in a thread; ``stop()`` takes a last
    sample and closes ``system.jsonl``. The file is held open from the start (``fd``: one opened by
    the training process, as the sampling process is given it), so its rows, and the disk usage read
    through it, follow a run folder that leaves its path (``mv``, ``umount -l``; storage/moved.py)."""

    def __init__(self, run_dir: Path, interval: float, *, runtime: Callable[[], float],
                 gpus: Gpus | None = None, clock: Callable[[], float] = time.time,
                 pid: int | None = None, skip: frozenset[int] = frozenset(), fd: int | None = None):
        import psutil

        self.path = Path(run_dir) / SYSTEM_JSONL
        self.interval = float(interval)
        self._runtime = runtime
        self._clock = clock
        self._psutil = psutil
        self._proc = psutil.Process(os.getpid() if pid is None else pid)
        self._skip = skip
        self.gpus = gpus if gpus is not None else Gpus()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd = open_own(self.path) if fd is None else fd
        self._lock = threading.Lock()
        self.samples = 0
        self.error: str | None = None
        self._children: dict[int, Any] = {}
        # baselines: cpu_percent() and I/O counters report the change since the previous call
        psutil.cpu_percent(None)
        self._cpu_of(self._proc)
        self._disk0 = self._io(psutil.disk_io_counters)
        self._net0 = self._io(psutil.net_io_counters)

    @staticmethod
    def _io(read: Callable[[], Any]) -> Any:
        try:
            return read()
        except Exception:  # noqa: BLE001 - containers without /proc/diskstats
            return None

    @staticmethod
    def _cpu_of(proc: Any) -> float:
        try:
            return proc.cpu_percent(None)
        except Exception:  # noqa: BLE001 - the process ended
            return 0.0

    def sample(self) -> dict[str, Any]:
        """One row of readings (also called by tests and at stop)."""
        ps = self._psutil
        row: dict[str, Any] = {}
        row["system/cpu"] = ps.cpu_percent(None)
        proc_cpu = self._cpu_of(self._proc)
        try:  # the process and its children (data loader workers, subprocesses)
            kids = self._proc.children(recursive=True)
        except Exception:  # noqa: BLE001
            kids = []
        alive = {}
        for kid in kids:
            if kid.pid in self._skip:
                continue
            known = self._children.get(kid.pid, kid)
            alive[kid.pid] = known
            proc_cpu += self._cpu_of(known)  # 0.0 the first time: a new child's baseline
        self._children = alive
        row["system/proc.cpu"] = proc_cpu
        row["system/proc.cpu.threads"] = self._proc.num_threads()
        vm = ps.virtual_memory()
        row["system/memory"] = vm.percent
        row["system/proc.memory.availableMB"] = vm.available / _MB
        mem = self._proc.memory_info()
        row["system/proc.memory.rssMB"] = mem.rss / _MB
        row["system/proc.memory.percent"] = 100.0 * mem.rss / vm.total if vm.total else 0.0
        disk = self._io(ps.disk_io_counters)
        if disk is not None and self._disk0 is not None:
            row["system/disk.in"] = (disk.read_bytes - self._disk0.read_bytes) / _MB
            row["system/disk.out"] = (disk.write_bytes - self._disk0.write_bytes) / _MB
        try:
            row["system/disk.usagePercent"] = self._disk_percent()
        except (OSError, ZeroDivisionError):
            pass
        net = self._io(ps.net_io_counters)
        if net is not None and self._net0 is not None:
            row["system/network.sent"] = net.bytes_sent - self._net0.bytes_sent
            row["system/network.recv"] = net.bytes_recv - self._net0.bytes_recv
        self.gpus.sample(row)
        return row

    def _disk_percent(self) -> float:
        """psutil.disk_usage(...).percent of the file system holding ``system.jsonl``, read through its
        descriptor (the folder's path may name another place by now)."""
        if not hasattr(os, "fstatvfs"):  # Windows: by path
            return self._psutil.disk_usage(str(self.path.parent)).percent
        with self._lock:
            if self._fd < 0:
                raise OSError("system.jsonl closed")
            st = os.fstatvfs(self._fd)
        used = (st.f_blocks - st.f_bfree) * st.f_frsize
        return round(100.0 * used / (used + st.f_bavail * st.f_frsize), 1)  # as psutil counts it

    def _record(self) -> None:
        try:
            row = self.sample()
        except Exception as exc:  # noqa: BLE001 - a sampler problem never reaches training
            self.error = self.error or f"{exc.__class__.__name__}: {exc}"
            return
        now = self._clock()
        line = encode_line({"_timestamp": now, "_runtime": self._runtime(), **row})
        with self._lock:
            if self._fd < 0:
                return
            try:
                os.write(self._fd, line)
                self.samples += 1
            except OSError as exc:
                self.error = self.error or f"{exc.__class__.__name__}: {exc}"

    def run(self, until: threading.Event, alive: Callable[[], bool] = lambda: True) -> None:
        """Sample every ``interval`` until ``until`` is set or ``alive()`` is false."""
        while not until.wait(self.interval) and alive():
            self._record()

    def start(self) -> "SystemSampler":
        self._thread = threading.Thread(target=self.run, args=(self._stop,), name="reportgen-system", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0, *, last: bool = True) -> str | None:
        """Stop sampling, take a last sample (unless not ``last``), close; the first error met, if any."""
        if self._stop.is_set():
            return None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        if last:
            self._record()  # the state at the end
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
        self.gpus.close()
        return self.error

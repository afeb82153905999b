"""The process that samples a run's system metrics, and its handle in the training process.

A sampler thread needs the interpreter lock for every ``/proc`` read it makes (about 900 a sample on
a machine of 100 processes: finding the run's child processes reads every process's ``stat``), and a
training thread spinning in Python gives it back only every ``sys.getswitchinterval()`` (5 ms), while
one long C call gives it back not at all: samples came seconds late, or not during a whole run. So,
as wandb's service process does, a small Python process of its own samples the training process (and
its children) and appends the rows to ``system.jsonl`` itself; the training process pays nothing.

It is the run's agent, not a second writer: it is started by ``init()``, which has the run's lock and
has opened ``system.jsonl`` (a linked or piped file is refused there, as before), and ends before
``finish()`` releases the lock. ``finish()`` writes ``stop`` to its stdin: it takes the last sample,
prints ``{"samples": n, "error": ...}`` and exits. When the training process dies (even by
``SIGKILL``) its stdin ends, or its parent changes, and it exits without another row: it never
outlives the run. It has a session of its own and ignores ``SIGINT``, ``SIGTERM`` and ``SIGHUP``: a
Ctrl-C, a terminal closed or a signal to the process group is the training process's to handle,
whose ``finish()`` then ends the sampler with its last sample.

Where no Python interpreter can be started (an embedding program, whose ``sys.executable`` is not
Python; a process limit), the samples are taken by a thread of the training process, as before; when
starting the process failed (an ``OSError``), ``init()`` warns once, naming the error, since that
thread's samples can pause while the training loop holds the interpreter lock.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..storage.safety import open_own
from .system_metrics import SYSTEM_JSONL, SystemSampler
from .values import user_warn

#: run in the new interpreter: the reportgen that the training process imported, not whatever the
#: working folder or the path holds
_BOOT = ("import sys; sys.path[:] = [sys.argv[1], *(p for p in sys.path if p)]; "
         "from reportgen.sdk.system_process import main; sys.exit(main(sys.argv[2]))")
_ROOT = str(Path(__file__).resolve().parent.parent.parent)


def start_sampler(run_dir: Path, interval: float, t0: float) -> Any:
    """A started sampler of this process: a :class:`SamplerProcess`, else a :class:`SystemSampler` thread.

    Raises what stops system metrics altogether (psutil missing, ``system.jsonl`` not a regular file)."""
    import psutil  # noqa: F401 - missing: init() says system metrics are off, as before

    fd = open_own(Path(run_dir) / SYSTEM_JSONL)
    exe = sys.executable
    if exe and os.path.basename(exe).lower().startswith(("python", "pypy")):
        try:
            return SamplerProcess(exe, run_dir, interval, t0, fd)
        except OSError as exc:  # no process can be started here now: sample from a thread, and say so
            user_warn(f"init(): system metrics are sampled by a thread of this process, as no sampling "
                      f"process could start ({exc.__class__.__name__}: {exc}): a busy training loop may "
                      f"delay its samples")
    try:
        return SystemSampler(run_dir, interval, runtime=lambda: time.time() - t0, fd=fd).start()
    except BaseException:
        os.close(fd)
        raise


class SamplerProcess:
    """The sampling process of one run, started at once; :meth:`stop` ends it."""

    def __init__(self, exe: str, run_dir: Path, interval: float, t0: float, fd: int):
        """``fd``: ``system.jsonl`` opened for appending, handed to the process (POSIX), which writes
        there wherever the run folder goes (a folder moved right after init() left the process, opening
        it by path, nothing to open: it died with every sample); closed here once it is started."""
        posix = os.name == "posix"
        args = {"dir": os.path.abspath(run_dir), "interval": interval, "t0": t0, "pid": os.getpid(),
                "fd": fd if posix else None}
        self._proc = subprocess.Popen(  # (when it cannot start, the thread sampling instead takes fd)
            [exe, "-c", _BOOT, _ROOT, json.dumps(args)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=posix, pass_fds=(fd,) if posix else (),  # a Ctrl-C is the run's alone
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0) | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
        os.close(fd)
        self.pid = self._proc.pid
        self._stopped = False

    def stop(self, timeout: float = 5.0) -> str | None:
        """Have the last sample taken and wait for the process; what went wrong in it, if anything."""
        proc = self._proc
        if self._stopped:
            return None
        self._stopped = True
        try:
            out, _ = proc.communicate(b"stop\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return f"the sampling process (pid {proc.pid}) did not end within {timeout:g} s and was killed"
        lines = out.decode(errors="replace").strip().splitlines()
        try:
            report = json.loads(lines[-1]) if proc.returncode == 0 else None
            return report["error"]
        except (IndexError, ValueError, TypeError, KeyError):
            last = f": {lines[-1][:500]}" if lines else ""
            return f"the sampling process (pid {proc.pid}) ended with exit code {proc.returncode}, no report{last}"


class _Stdin:
    """Reads the training process's word: ``stop`` (take a last sample) or the end of the pipe (it died)."""

    def __init__(self) -> None:
        self.said = threading.Event()
        self.stop = False
        threading.Thread(target=self._read, name="reportgen-system-stdin", daemon=True).start()

    def _read(self) -> None:
        # os.read, not sys.stdin: a process ending while this thread waited in sys.stdin's buffered
        # reader (its sampler could not be made; the training process gone) aborted at exit ("Fatal
        # Python error: _enter_buffered_busy", exit code -6) after its report, which was then not read
        said = b""
        try:
            while b"\n" not in said and len(said) < 64:
                chunk = os.read(0, 64)
                if not chunk:
                    break
                said += chunk
        except OSError:
            pass
        self.stop = said.strip() == b"stop"
        self.said.set()


def main(arg: str) -> int:
    """The sampling process: ``arg`` is the JSON of :class:`SamplerProcess`'s arguments."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    args = json.loads(arg)
    parent, t0 = int(args["pid"]), float(args["t0"])
    stdin = _Stdin()
    # os.getppid() changes when the training process dies (where the pipe outlives it: a forked child)
    alive = lambda: os.name != "posix" or os.getppid() == parent  # noqa: E731
    try:
        sampler = SystemSampler(Path(args["dir"]), float(args["interval"]), runtime=lambda: time.time() - t0,
                                pid=parent, skip=frozenset({os.getpid()}), fd=args.get("fd"))
    except Exception as exc:  # noqa: BLE001 - told to the training process, which warns at finish()
        error = f"{exc.__class__.__name__}: {exc}"
        samples = 0
    else:
        sampler.run(stdin.said, alive=alive)
        error = sampler.stop(last=stdin.stop)
        samples = sampler.samples
    try:
        print(json.dumps({"samples": samples, "error": error}), flush=True)
    except OSError:  # the training process is gone
        pass
    return 0

"""The peak memory of a ``reportgen`` command run in a subprocess (the publish tests' builds, the CSV
importer's imports)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cli_peak(*args: str, env: dict[str, str] | None = None,
             timeout: float = 600) -> tuple[subprocess.CompletedProcess, int]:
    """``reportgen ARGS`` in a subprocess, and its peak memory (resident, in bytes): its own process's,
    measured by a fresh parent, so no other child counts."""
    code = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "reportgen", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {}), "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, int(proc.stdout.strip().splitlines()[-1]) << 10  # (Linux: KiB)

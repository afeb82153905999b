"""Build the command line of a sweep run from wandb's ``program`` / ``command`` keys.

Macros (wandb's): ``${env}`` (``/usr/bin/env`` on POSIX, dropped on Windows),
``${interpreter}`` (this Python, ``sys.executable``), ``${program}``, ``${args}``
(``--name=value`` each), ``${args_no_hyphens}`` (``name=value``),
``${args_no_boolean_flags}`` (``--flag`` for True, nothing for False, else ``--name=value``),
``${args_json}`` (one JSON argument), ``${args_json_file}`` (path of a JSON file holding them).
Default command: ``${env} ${interpreter} ${program} ${args}``.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..storage.safety import write_own
from .config import SweepConfigError

DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)  # wandb passes Python's str(): True, 0.001, adam


def build(config: dict[str, Any], params: dict[str, Any], json_file: Path) -> list[str]:
    command = config.get("command") or DEFAULT_COMMAND
    program = config.get("program")
    out: list[str] = []
    for part in command:
        if part == "${env}":
            if os.name != "nt":
                out.append("/usr/bin/env")
        elif part == "${interpreter}":
            out.append(sys.executable)
        elif part == "${program}":
            if not program:
                raise SweepConfigError("program: the command uses ${program} but the sweep config has no program")
            out.append(program)
        elif part == "${args}":
            out += [f"--{k}={_text(v)}" for k, v in params.items()]
        elif part == "${args_no_hyphens}":
            out += [f"{k}={_text(v)}" for k, v in params.items()]
        elif part == "${args_no_boolean_flags}":
            for k, v in params.items():
                if v is True:
                    out.append(f"--{k}")
                elif v is not False:
                    out.append(f"--{k}={_text(v)}")
        elif part == "${args_json}":
            out.append(json.dumps(params))
        elif part == "${args_json_file}":
            # (never through a link planted under its name in the sweep folder: refused)
            write_own(json_file.parent, json_file.name, json.dumps(params).encode("utf-8"), refuse_link=True)
            out.append(str(json_file))
        else:
            out.append(part.replace("${program}", program or ""))
    return out

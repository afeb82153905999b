"""Small wandb helpers the stand-in's ``wandb.util``, ``wandb.env`` and telemetry need."""
from __future__ import annotations

import contextlib
import importlib
import os
import secrets
import string
from typing import Any, Iterator

ENV_NAMES = {
    "MODE": "WANDB_MODE", "PROJECT": "WANDB_PROJECT", "ENTITY": "WANDB_ENTITY", "DIR": "WANDB_DIR",
    "NAME": "WANDB_NAME", "NOTES": "WANDB_NOTES", "TAGS": "WANDB_TAGS", "RUN_ID": "WANDB_RUN_ID",
    "RUN_GROUP": "WANDB_RUN_GROUP", "JOB_TYPE": "WANDB_JOB_TYPE", "RESUME": "WANDB_RESUME",
    "SILENT": "WANDB_SILENT", "DISABLED": "WANDB_DISABLED", "SWEEP_ID": "WANDB_SWEEP_ID",
    "SWEEP_PARAM_PATH": "WANDB_SWEEP_PARAM_PATH", "API_KEY": "WANDB_API_KEY", "BASE_URL": "WANDB_BASE_URL",
    "CONFIG_PATHS": "WANDB_CONFIG_PATHS", "SERVICE": "WANDB_SERVICE",
}


def set_project(value: str, env: Any = None) -> None:
    (os.environ if env is None else env)["WANDB_PROJECT"] = value or "uncategorized"


def set_entity(value: str, env: Any = None) -> None:
    (os.environ if env is None else env)["WANDB_ENTITY"] = value


def generate_id(length: int = 8) -> str:
    """A random run id of lower-case letters and digits (as ``wandb.util.generate_id``)."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def get_module(name: str, required: Any = None, lazy: bool = True) -> Any:
    """Import ``name``; None when missing (an ImportError naming ``required`` when it is set)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if required:
            raise ImportError(required if isinstance(required, str) else f"{name} is required") from None
        return None


def is_numpy_array(obj: Any) -> bool:
    return type(obj).__module__ == "numpy" and type(obj).__name__ == "ndarray"


def json_friendly(obj: Any) -> tuple[Any, bool]:
    """``(value, converted)``: numpy/torch scalars and arrays as plain Python values."""
    from reportgen.sdk.config import _plain

    value = _plain("value", obj)
    return value, value is not obj


def to_forward_slash_path(path: str) -> str:
    return str(path).replace("\\", "/")


class TelemetryRecord:
    """Accepts any attribute, at any depth (``tel.feature.keras = True``)."""

    def __getattr__(self, name: str) -> "TelemetryRecord":
        if name.startswith("__"):
            raise AttributeError(name)
        value = TelemetryRecord()
        object.__setattr__(self, name, value)
        return value


@contextlib.contextmanager
def context(run: Any = None, obj: Any = None) -> Iterator[TelemetryRecord]:
    yield TelemetryRecord()

"""``wandb.sdk.lib``: ``RunDisabled`` (what ``init(mode="disabled")`` returns) and helpers."""
from reportgen.sdk.modes import DisabledRun as RunDisabled  # noqa: F401

from . import config_util, paths, runid, telemetry  # noqa: F401,E402

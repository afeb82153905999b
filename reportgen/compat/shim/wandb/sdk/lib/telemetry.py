"""wandb's usage telemetry: integrations set flags on it; reportgen records nothing."""
from reportgen.compat.glue import TelemetryRecord, context  # noqa: F401

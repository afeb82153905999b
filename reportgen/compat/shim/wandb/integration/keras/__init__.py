"""``wandb.integration.keras``: Keras 3 callbacks that log through reportgen."""
from reportgen.integrations.keras import WandbCallback, WandbMetricsLogger, WandbModelCheckpoint  # noqa: F401

from reportgen.integrations.keras import WandbMetricsLogger, WandbModelCheckpoint  # noqa: F401

from reportgen.sdk.config import Config  # noqa: F401

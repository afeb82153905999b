from reportgen.sdk.api import Api  # noqa: F401

from reportgen.sdk.summary import Summary  # noqa: F401

from reportgen.sdk.term import Settings  # noqa: F401

from reportgen.errors import ConfigError  # noqa: F401

from reportgen.compat.glue import generate_id  # noqa: F401

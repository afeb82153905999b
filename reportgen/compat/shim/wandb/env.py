"""``wandb.env``: environment variable names and the setters transformers uses."""
from reportgen.compat.glue import ENV_NAMES as _NAMES, set_entity, set_project  # noqa: F401

globals().update(_NAMES)

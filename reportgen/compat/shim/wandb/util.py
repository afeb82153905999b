"""The public helpers of ``wandb.util`` that training code uses."""
from reportgen.compat.glue import (generate_id, get_module, is_numpy_array, json_friendly,  # noqa: F401
                                   to_forward_slash_path)

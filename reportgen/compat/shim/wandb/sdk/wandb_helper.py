"""``wandb.helper`` / ``wandb.sdk.wandb_helper``: ``parse_config``, wandb's replacement for
``init(config_include_keys=, config_exclude_keys=)``."""
from typing import Any

from reportgen.sdk.config import config_to_dict, select_keys


def parse_config(params: Any, exclude: Any = None, include: Any = None) -> dict:
    """The keys of ``params`` (a dict, Namespace, flags object, object or config file path), only
    those in ``include`` or all but those in ``exclude``."""
    return select_keys(config_to_dict(params, argument="parse_config()"), include, exclude)

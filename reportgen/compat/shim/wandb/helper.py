from wandb.sdk.wandb_helper import parse_config  # noqa: F401 (wandb.helper is wandb.sdk.wandb_helper)

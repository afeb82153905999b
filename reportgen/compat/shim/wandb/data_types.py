"""``wandb.data_types``: the media classes (forwarded to reportgen)."""


def __getattr__(name):
    import reportgen
    try:
        return getattr(reportgen, name)
    except AttributeError:
        raise AttributeError(f"module 'wandb.data_types' (reportgen's stand-in) has no attribute {name!r}") from None

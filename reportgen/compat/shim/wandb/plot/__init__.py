"""``wandb.plot``: reportgen's custom charts (``line``, ``scatter``, ``bar``, ``histogram``,
``line_series``, ``pr_curve``, ``roc_curve``, ``confusion_matrix``)."""
from reportgen.media.plot import *  # noqa: F401,F403


def __getattr__(name):
    import reportgen.media.plot as plot
    return getattr(plot, name)

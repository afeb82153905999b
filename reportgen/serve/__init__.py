"""``reportgen serve``: build into a temporary folder and serve it over HTTP."""
from .server import serve

__all__ = ["serve"]

"""Loggable media and chart objects. Each type lives in its own module and
declares a ``TYPE`` tag; the stored record is ``{"_type": TYPE, ...}``."""
from .base import Media, MediaContext

__all__ = ["Media", "MediaContext"]

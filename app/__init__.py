"""GradCast: watch gradients vanish (or hold up) layer by layer while a real network trains."""

from gradcast.version import __version__

__all__ = ["__version__"]

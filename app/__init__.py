"""GradCast: watch gradients vanish (or hold up) layer by layer while a real network trains."""

__version__ = "0.1.0"

"""The client moved to the top-level `gradcast` package (torch and the standard library only): this is its alias.

Prefer `from gradcast import watch`: it works in any project, including one with its own `app/` package.
"""

from gradcast import WatchedRun, watch

__all__ = ["WatchedRun", "watch"]

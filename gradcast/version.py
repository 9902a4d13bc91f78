"""The one version number of the package (the client and the server it ships with)."""

__version__ = "0.1.0"

"""The agentlog version (single source; read by the build and by stores)."""

__version__ = "0.1.0"

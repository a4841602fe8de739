"""The ``agentlog`` command line: a thin layer over the public API.

Every command acts on the default store (``AGENTLOG_HOME``, else the per-user
data directory) unless ``--store PATH`` is given, and has ``--help``.
"""

from agentlog.cli.main import build_parser, main

__all__ = ["build_parser", "main"]

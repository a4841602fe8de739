"""The ``agentlog`` command line: a thin layer over the public API.

Every command acts on the default store (``AGENTLOG_HOME``, else the per-user
data directory) unless ``--store PATH`` is given, and has ``--help``.

* :mod:`agentlog.cli.main`: the parser and the exit statuses;
* one module per group of commands (``demo``, ``sessions``, ``search``,
  ``memory``, ``io``, ``report``);
* :mod:`agentlog.cli.stores`: opening the store a command acts on, with
  the embedder it records, and waiting for a lagging index;
* :mod:`agentlog.cli.arguments`: ``argparse`` types, so that a bad value is
  a usage error;
* :mod:`agentlog.cli.output`: tables and text safe for a terminal.
"""

from agentlog.cli.main import build_parser, main

__all__ = ["build_parser", "main"]

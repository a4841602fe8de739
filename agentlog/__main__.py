"""``python -m agentlog``: the same as the ``agentlog`` command."""

import sys

from agentlog.cli import main

sys.exit(main())

"""Where browser screenshots go, read once at import (the autouse fixture clears AGENTLOG_* variables later)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import REPO

ARTIFACTS = Path(os.environ.get("AGENTLOG_TEST_ARTIFACTS") or REPO / "artifacts")
"""Test artifacts (screenshots): ``$AGENTLOG_TEST_ARTIFACTS``, else ``artifacts/`` at the repo root (git-ignored)."""

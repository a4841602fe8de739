"""The README's promises: its two commands, and the CI script that runs the second."""

from __future__ import annotations

import re

from tests.conftest import REPO


def readme_blocks() -> list[tuple[str, str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)


def readme_commands() -> list[str]:
    return [body.strip() for _, body in readme_blocks()[:2]]


def test_readme_opens_with_two_commands() -> None:
    blocks = readme_blocks()
    assert [language for language, _ in blocks[:2]] == ["bash", "bash"]
    assert all("\n" not in body.strip() for _, body in blocks[:2]), "each is one command line"
    main_job, tests = readme_commands()
    assert main_job.endswith("agentlog demo")
    assert tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    _, tests = readme_commands()
    commands = [line for line in script.splitlines() if line and not line.startswith("#")]
    assert tests in commands

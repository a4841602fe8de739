"""How each demo agent behaves: volume, working hours, pace, error rate, favourite projects.

The numbers are chosen so the default dataset shows clear, explainable
differences in notebooks: ``claude`` runs the most sessions, ``user`` the fewest
but the longest and slowest ones, ``gpt`` the shortest and the most error-prone,
each in its own time zone, mostly during working hours on weekdays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["AGENTS", "NIGHT_HOURS", "WORK_HOURS", "AgentProfile"]


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """The habits of one agent.

    Attributes:
        name: The session's ``agent`` value.
        share: Share of all sessions (the four shares add up to 1).
        utc_offset_hours: Local time zone of the agent's working hours (no DST).
        night_share: Share of sessions started late in the evening or at night.
        weekend_factor: Weight of a weekend day relative to a weekday.
        median_events: Median number of events per session.
        median_gap_s: Median seconds between two events.
        error_rate: Chance that an event which is not about a task is an error.
        no_project: Chance that a session has no project.
        project_weights: Project name to relative weight.
        other_weights: Relative weights of decision, pattern and context events.
        app_names: Candidate ``app_name`` values (``None`` is a possible value).

    Example:
        >>> AGENTS[0].name
        'claude'
    """

    name: str
    share: float
    utc_offset_hours: int
    night_share: float
    weekend_factor: float
    median_events: float
    median_gap_s: float
    error_rate: float
    no_project: float
    project_weights: Mapping[str, float]
    other_weights: tuple[float, float, float]
    app_names: tuple[str | None, ...]


AGENTS: tuple[AgentProfile, ...] = (
    AgentProfile(
        name="claude", share=0.42, utc_offset_hours=-5, night_share=0.12, weekend_factor=0.14,
        median_events=44.0, median_gap_s=50.0, error_rate=0.06, no_project=0.13,
        project_weights={"billing-service": 3.0, "auth-gateway": 2.0, "search-indexer": 1.0,
                         "mobile-app": 1.0, "data-pipeline": 2.0, "docs-site": 0.5,
                         "web-dashboard": 1.0, "notification-service": 1.0},
        other_weights=(0.45, 0.25, 0.30), app_names=("claude-code", "claude-code", None),
    ),
    AgentProfile(
        name="gemini", share=0.22, utc_offset_hours=1, night_share=0.06, weekend_factor=0.10,
        median_events=36.0, median_gap_s=70.0, error_rate=0.08, no_project=0.14,
        project_weights={"billing-service": 1.0, "auth-gateway": 0.5, "search-indexer": 3.0,
                         "mobile-app": 0.5, "data-pipeline": 2.5, "docs-site": 1.5,
                         "web-dashboard": 0.5, "notification-service": 1.0},
        other_weights=(0.35, 0.25, 0.40), app_names=("gemini-cli", "gemini-cli", None),
    ),
    AgentProfile(
        name="gpt", share=0.24, utc_offset_hours=-8, night_share=0.08, weekend_factor=0.12,
        median_events=31.0, median_gap_s=40.0, error_rate=0.10, no_project=0.15,
        project_weights={"billing-service": 1.0, "auth-gateway": 1.0, "search-indexer": 0.5,
                         "mobile-app": 3.0, "data-pipeline": 0.5, "docs-site": 1.0,
                         "web-dashboard": 2.5, "notification-service": 1.5},
        other_weights=(0.45, 0.15, 0.40), app_names=("codex", "codex", "chatgpt", None),
    ),
    AgentProfile(
        name="user", share=0.12, utc_offset_hours=0, night_share=0.03, weekend_factor=0.08,
        median_events=72.0, median_gap_s=150.0, error_rate=0.05, no_project=0.25,
        project_weights={"billing-service": 1.5, "auth-gateway": 1.0, "search-indexer": 1.0,
                         "mobile-app": 1.0, "data-pipeline": 1.0, "docs-site": 2.0,
                         "web-dashboard": 1.0, "notification-service": 1.0},
        other_weights=(0.60, 0.10, 0.30), app_names=("jupyter", "vscode", None),
    ),
)
"""The four agents, in a fixed order.

Example:
    >>> [a.name for a in AGENTS]
    ['claude', 'gemini', 'gpt', 'user']
"""

WORK_HOURS: tuple[float, ...] = (
    0, 0, 0, 0, 0, 0, 0, 0.1,            # 00-07
    1.0, 1.6, 1.8, 1.6, 0.9, 1.2, 1.6, 1.7,  # 08-15
    1.5, 1.2, 0.8, 0.4, 0, 0, 0, 0,     # 16-23
)
"""Relative weight of each local start hour for daytime sessions.

Example:
    >>> max(range(24), key=lambda h: WORK_HOURS[h])
    10
"""

NIGHT_HOURS: tuple[float, ...] = (
    0.6, 0.4, 0.2, 0.1, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0.4, 0.7, 0.9, 0.8,
)
"""Relative weight of each local start hour for late-night sessions.

Example:
    >>> NIGHT_HOURS[22] > NIGHT_HOURS[2]
    True
"""

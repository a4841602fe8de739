"""The shape of a topic: the kinds of work demo sessions are about, as text templates.

A :class:`Topic` holds everything a session about one subject needs: task
titles, decisions with their rationale, errors with the fix that resolved them,
recognised patterns, summary sentences and the metadata lists written after
summarisation. Templates use :meth:`str.format` fields filled from the
session's project slots (``{table}``, ``{endpoint}``, ``{function}``...; see
:data:`agentlog.demo.vocabulary.SLOT_KEYS`) and a few per-session numbers
(``{n}``, ``{n2}``, ``{pct}``, ``{ms}``, ``{ms2}``, ``{version}``), so the same
topic reads differently in each project while staying on one subject.

The topics themselves live in :mod:`agentlog.demo.topics_backend` and
:mod:`agentlog.demo.topics_product`, gathered in
:data:`agentlog.demo.vocabulary.TOPICS`. They are deliberately far apart in
meaning (migrations, auth tokens, theming, performance, flaky tests,
deployment, ingestion, search relevance...) so that semantic search over the
generated summaries has real clusters to find.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ErrorTemplate", "Topic"]


@dataclass(frozen=True, slots=True)
class ErrorTemplate:
    """One error an agent can run into, and how it was fixed.

    Attributes:
        error_type: Exception or failure class, e.g. ``"TimeoutError"``.
        error: The message, as the tool printed it.
        context: What was going on when it happened.
        fix: A gerund phrase used in summaries: "Fixed X by <fix>".

    Example:
        >>> ErrorTemplate("KeyError", "'id'", "parsing input", "adding a default").error_type
        'KeyError'
    """

    error_type: str
    error: str
    context: str
    fix: str


@dataclass(frozen=True, slots=True)
class Topic:
    """Templates for sessions about one kind of work.

    Attributes:
        key: Stable identifier, e.g. ``"migration"``.
        label: Human label, used as the session's ``feature``.
        phrase: Noun phrase naming the work, e.g. "the {table} schema migration".
        tasks: Task title templates.
        decisions: ``(decision, rationale)`` templates; decisions are verb phrases.
        errors: Errors typical of this work.
        patterns: ``(pattern, instance templates)`` pairs.
        summaries: Opening sentences of a summary when the work succeeded.
        key_events: snake_case milestones for the session metadata.
        outcomes: Outcome templates for the session metadata.
        next_steps: Next-step templates for the session metadata.

    Example:
        >>> from agentlog.demo.vocabulary import TOPICS
        >>> TOPICS["migration"].label
        'Database migration'
    """

    key: str
    label: str
    phrase: str
    tasks: tuple[str, ...]
    decisions: tuple[tuple[str, str], ...]
    errors: tuple[ErrorTemplate, ...]
    patterns: tuple[tuple[str, tuple[str, ...]], ...]
    summaries: tuple[str, ...]
    key_events: tuple[str, ...]
    outcomes: tuple[str, ...]
    next_steps: tuple[str, ...]

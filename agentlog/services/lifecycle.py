"""The session lifecycle and its allowed transitions.

::

    created ──► active ◄──► paused
       │          │           │
       └──────────┴─────┬─────┘
                        ▼
                   terminated ──► archived

* A new session is ``created``; its first event makes it ``active``.
* ``active`` and ``paused`` alternate freely.
* ``terminated`` means ended: :meth:`SessionService.end_session` and
  ``update_lifecycle(..., "terminated")`` both set ``ended_at``.
* ``archived`` is final. Archived and terminated sessions take no new events
  (:class:`~agentlog.errors.SessionClosedError`); their summary and state can
  still be updated (summaries are often written after the fact).
* Asking for the state a session is already in is a no-op.
"""

from __future__ import annotations

from enum import StrEnum

from agentlog.errors import InvalidTransitionError, ValidationError

__all__ = ["ENDED", "OPEN_FOR_EVENTS", "TRANSITIONS", "Lifecycle", "check_transition", "parse_lifecycle"]


class Lifecycle(StrEnum):
    """States of a session."""

    CREATED = "created"
    ACTIVE = "active"
    PAUSED = "paused"
    TERMINATED = "terminated"
    ARCHIVED = "archived"


TRANSITIONS: dict[Lifecycle, frozenset[Lifecycle]] = {
    Lifecycle.CREATED: frozenset({Lifecycle.ACTIVE, Lifecycle.TERMINATED}),
    Lifecycle.ACTIVE: frozenset({Lifecycle.PAUSED, Lifecycle.TERMINATED}),
    Lifecycle.PAUSED: frozenset({Lifecycle.ACTIVE, Lifecycle.TERMINATED}),
    Lifecycle.TERMINATED: frozenset({Lifecycle.ARCHIVED}),
    Lifecycle.ARCHIVED: frozenset(),
}
"""Allowed moves from each state (staying in the same state is always allowed)."""

_NAMES = frozenset(state.value for state in Lifecycle)

OPEN_FOR_EVENTS = frozenset({Lifecycle.CREATED, Lifecycle.ACTIVE, Lifecycle.PAUSED})
"""States in which a session takes new events."""

ENDED = frozenset({Lifecycle.TERMINATED, Lifecycle.ARCHIVED})
"""States of an ended session (``ended_at`` is set)."""


def parse_lifecycle(value: object) -> Lifecycle:
    """Return ``value`` as a :class:`Lifecycle`.

    Raises:
        ValidationError: If it is not one of the five state names.

    Example:
        >>> parse_lifecycle("paused")
        <Lifecycle.PAUSED: 'paused'>
    """
    if isinstance(value, str) and value in _NAMES:
        return Lifecycle(value)
    names = ", ".join(state.value for state in Lifecycle)
    raise ValidationError(f"lifecycle must be one of {names}; got {value!r}", field="lifecycle", value=repr(value))


def check_transition(current: Lifecycle, requested: Lifecycle) -> None:
    """Raise if a session in ``current`` may not move to ``requested``.

    Raises:
        InvalidTransitionError: Naming both states and the allowed moves.

    Example:
        >>> check_transition(Lifecycle.ACTIVE, Lifecycle.PAUSED)
        >>> check_transition(Lifecycle.ARCHIVED, Lifecycle.ACTIVE)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.errors.InvalidTransitionError: cannot move a session from archived to active ...
    """
    if requested == current or requested in TRANSITIONS[current]:
        return
    allowed = ", ".join(sorted(state.value for state in TRANSITIONS[current])) or "nothing"
    raise InvalidTransitionError(
        f"cannot move a session from {current.value} to {requested.value} (allowed from {current.value}: {allowed})",
        current=current.value,
        requested=requested.value,
    )

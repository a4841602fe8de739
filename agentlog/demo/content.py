"""What happens inside each demo session: project, topic, events and summary.

The timeline (:mod:`agentlog.demo.timeline`) fixes when sessions start and how
many events each has; this module walks the sessions in start order and writes
coherent content for them: a project and topic, tasks that are created before
they are updated or completed, decisions, errors (more of them in the bad week),
patterns, context handed to other agents, and a summary plus summarisation
metadata built from those very events.

Every random choice comes from one :class:`random.Random` seeded by the caller
and only uses ``random()`` (whose output the standard library keeps stable), so
the content is reproducible.
"""

from __future__ import annotations

import json
import random
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, TypeVar

from agentlog.demo.profiles import AGENTS, AgentProfile
from agentlog.demo.timeline import DAY_US, Timeline
from agentlog.demo.topics import ErrorTemplate, Topic
from agentlog.demo.vocabulary import (
    CASCADE_ERROR,
    DECISION_SENTENCES,
    ERROR_FIXED_SENTENCES,
    ERROR_OPEN_SENTENCES,
    GENERAL_SLOTS,
    GENERAL_TOPICS,
    INCIDENT_PROJECT,
    PARTIAL_HEADS,
    PROJECTS,
    SLOT_KEYS,
    TASKS_DONE_SENTENCES,
    TASKS_OPEN_SENTENCES,
    TOPICS,
    USERS,
    Project,
)

__all__ = ["BAD_WEEK_ENDS_DAYS_BEFORE_END", "BAD_WEEK_STARTS_DAYS_BEFORE_END", "Content",
           "write_content"]

T = TypeVar("T")

BAD_WEEK_STARTS_DAYS_BEFORE_END = 21
BAD_WEEK_ENDS_DAYS_BEFORE_END = 14
POST_INCIDENT_DAYS = 14

# Error probability multipliers for "other" events, by where the session is.
BAD_WEEK_INCIDENT_PROJECT = 7.0
BAD_WEEK_ELSEWHERE = 3.5
POST_INCIDENT = 1.5
INCIDENT_TOPIC_WEIGHT = {"bad": 10.0, "post": 1.5}
INCIDENT_PROJECT_BOOST = 3.0  # billing-service gets 3x the sessions during the bad week
INCIDENT_ERROR_SHARE = 0.85  # of its errors in the bad week, the pool exhaustion
CASCADE_SHARE = 0.3  # of other projects' errors in the bad week, billing-service being down

COMPLETE = {"normal": 0.85, "bad": 0.6, "active": 0.3}
SUMMARY_RATE = 0.93
RESOLVED_RATE = {"normal": 0.75, "bad": 0.45}

CREATED, UPDATED, COMPLETED = "task_created", "task_updated", "task_completed"
DECISION, ERROR, PATTERN, CONTEXT = ("decision_made", "error_encountered", "pattern_identified",
                                     "context_shared")
_OTHER_KINDS = (ERROR, DECISION, PATTERN, CONTEXT)

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
EMPTY = "{}"


@dataclass(slots=True)
class Content:
    """Column values for both tables, in session order and, within a session, in seq order.

    Example:
        >>> Content().event_type
        []
    """

    project_id: list[bytes | None] = field(default_factory=list)
    user_id: list[str | None] = field(default_factory=list)
    app_name: list[str | None] = field(default_factory=list)
    summary: list[str | None] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    event_type: list[str] = field(default_factory=list)
    event_data: list[str] = field(default_factory=list)
    event_metadata: list[str] = field(default_factory=list)


class _Random(random.Random):
    """``random.Random`` with the few helpers used here, all built on ``random()``."""

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def chance(self, p: float) -> bool:
        return self.random() < p

    def between(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``."""
        return lo + int(self.random() * (hi - lo + 1))

    def weighted(self, weights: Mapping[str, float]) -> str:
        keys = list(weights)
        cumulative = list(accumulate(weights.values()))
        return keys[bisect(cumulative, self.random() * cumulative[-1])]

    def shuffled(self, items: Sequence[T]) -> list[T]:
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = int(self.random() * (i + 1))
            out[i], out[j] = out[j], out[i]
        return out


def write_content(timeline: Timeline, session_ids: Sequence[str], *, seed: int, days: int,
                  end_us: int) -> Content:
    """Write the content of every session of ``timeline``.

    Args:
        timeline: Start times, event counts and open/ended state per session.
        session_ids: The sessions' ids as strings (for ``previous_session`` links).
        seed: Seed of the content's random choices.
        days: Length of the window (for the project phase).
        end_us: End of the window, µs since the epoch.

    Returns:
        The session and event columns that are not about time.

    Example:
        >>> import numpy as np
        >>> from agentlog.demo.timeline import build_timeline
        >>> t = build_timeline(np.random.default_rng(0), 5, 30, 0)
        >>> c = write_content(t, [str(i) for i in range(5)], seed=0, days=30, end_us=0)
        >>> len(c.event_type) == int(t.counts.sum())
        True
    """
    writer = _Writer(_Random(seed), Content(), session_ids, days, end_us)
    for index in range(len(timeline.start)):
        writer.session(index, timeline)
    return writer.out


@dataclass(slots=True)
class _Session:
    """Per-session working state."""

    profile: AgentProfile
    project: Project | None
    topic: Topic
    second: Topic
    slots: dict[str, Any]
    period: str  # "normal", "bad" (the bad week) or "post" (the two weeks after it)
    tasks: list[tuple[str, str]] = field(default_factory=list)  # (task_id, title)
    decisions: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[ErrorTemplate, bool]] = field(default_factory=list)  # (error, resolved)
    done: set[int] = field(default_factory=set)  # tasks completed with success or partial
    task_order: list[str] = field(default_factory=list)  # titles, primary topic first
    decision_order: list[tuple[str, str]] = field(default_factory=list)


class _Writer:
    def __init__(self, rnd: _Random, out: Content, session_ids: Sequence[str], days: int,
                 end_us: int) -> None:
        self.rnd, self.out, self.session_ids = rnd, out, session_ids
        self.window_lo = end_us - days * DAY_US
        self.days = days
        self.bad_lo = end_us - BAD_WEEK_STARTS_DAYS_BEFORE_END * DAY_US
        self.bad_hi = end_us - BAD_WEEK_ENDS_DAYS_BEFORE_END * DAY_US
        self.post_hi = self.bad_hi + POST_INCIDENT_DAYS * DAY_US
        self.ticket = {p.key: 100 + 211 * i for i, p in enumerate(PROJECTS)} | {"T": 1}
        self.previous: dict[tuple[str, str, str], tuple[str, int]] = {}  # thread -> (id, ended)
        self.by_name = {p.name: p for p in PROJECTS}

    # -- one session --------------------------------------------------------------------

    def session(self, i: int, tl: Timeline) -> None:
        rnd, out = self.rnd, self.out
        start, active = int(tl.start[i]), bool(tl.active[i])
        s = self._begin(int(tl.agent[i]), start)
        kinds = self._plan(int(tl.counts[i]), s, active)
        for kind, task in kinds:
            data, meta = self._event(kind, task, s)
            out.event_type.append(kind)
            out.event_data.append(_encode(data))
            out.event_metadata.append(meta)

        name = s.profile.name
        out.project_id.append(s.project.id.bytes if s.project else None)
        out.user_id.append(rnd.pick(USERS[:3]) if name == "user" else
                           (rnd.pick(USERS) if rnd.chance(0.9) else None))
        out.app_name.append(rnd.pick(s.profile.app_names))
        summarised = not active and rnd.chance(SUMMARY_RATE)
        out.summary.append(self._summary(s) if summarised else None)
        out.metadata.append(_encode(self._metadata(s, start, summarised)))
        out.state.append(self._state(s, active))
        if not active:
            self.previous[_thread(s)] = (self.session_ids[i], int(tl.ended[i]))

    def _begin(self, agent: int, start: int) -> _Session:
        rnd, profile = self.rnd, AGENTS[agent]
        period = ("bad" if self.bad_lo <= start < self.bad_hi else
                  "post" if self.bad_hi <= start < self.post_hi else "normal")
        project: Project | None = None
        if not rnd.chance(profile.no_project):
            weights = dict(profile.project_weights)
            if period == "bad":
                weights[INCIDENT_PROJECT] *= INCIDENT_PROJECT_BOOST
            project = self.by_name[rnd.weighted(weights)]
        topics = dict(project.topics if project else GENERAL_TOPICS)
        if "pool_incident" in topics and period in INCIDENT_TOPIC_WEIGHT:
            topics["pool_incident"] = INCIDENT_TOPIC_WEIGHT[period]
        topic = TOPICS[rnd.weighted(topics)]
        del topics[topic.key]
        topics.pop("pool_incident", None)
        second = TOPICS[rnd.weighted(topics)] if topics else topic
        s = _Session(profile, project, topic, second, self._slots(project), period)
        s.task_order = rnd.shuffled(topic.tasks) + rnd.shuffled(second.tasks)
        s.decision_order = rnd.shuffled(topic.decisions) + rnd.shuffled(second.decisions)
        return s

    def _slots(self, project: Project | None) -> dict[str, Any]:
        rnd = self.rnd
        source = project.slots if project else GENERAL_SLOTS
        slots: dict[str, Any] = {"project": project.name if project else "internal tools"}
        for key in SLOT_KEYS:
            values = source[key]
            first = int(rnd.random() * len(values))
            other = (first + 1 + int(rnd.random() * (len(values) - 1))) % len(values)
            slots[key], slots[key + "2"] = values[first], values[other]
        ms = rnd.between(400, 3000)
        slots |= {"n": rnd.between(2, 12), "n2": rnd.between(12, 60), "pct": rnd.between(15, 80),
                  "ms": ms, "ms2": ms * rnd.between(10, 45) // 100,
                  "version": f"{rnd.between(1, 9)}.{rnd.between(0, 20)}.{rnd.between(0, 9)}"}
        return slots

    def _plan(self, n: int, s: _Session, active: bool) -> list[tuple[str, int]]:
        """The ordered event kinds of a session; tasks are created before they change."""
        rnd = self.rnd
        n_tasks = max(1, min(n // 3, round(n / (6 + 4 * rnd.random()))))
        p_complete = COMPLETE["active" if active else "bad" if s.period == "bad" else "normal"]
        tokens: list[tuple[float, int, str, int]] = []
        creations = [0.0, *sorted(rnd.random() * 0.75 for _ in range(n_tasks - 1))]
        spare = n - n_tasks
        for task, created in enumerate(creations):
            tokens.append((created, 0, CREATED, task))
            finish = 1.0
            if rnd.chance(p_complete) and spare > 0:
                finish = created + (1 - created) * (0.3 + 0.7 * rnd.random())
                tokens.append((finish, 2, COMPLETED, task))
                spare -= 1
            updates = min(spare, int(rnd.random() * 3.2))
            spare -= updates
            for _ in range(updates):
                tokens.append((created + (finish - created) * rnd.random(), 1, UPDATED, task))

        p_error = min(0.9, s.profile.error_rate * self._error_boost(s))
        weights = [p_error] + [(1 - p_error) * w / sum(s.profile.other_weights)
                               for w in s.profile.other_weights]
        cumulative = list(accumulate(weights))
        for _ in range(spare):
            kind = _OTHER_KINDS[min(3, bisect(cumulative, rnd.random() * cumulative[-1]))]
            tokens.append((rnd.random(), 1, kind, -1))
        tokens.sort()
        return [(kind, task) for _, _, kind, task in tokens]

    def _error_boost(self, s: _Session) -> float:
        incident = s.project is not None and s.project.name == INCIDENT_PROJECT
        if s.period == "bad":
            return BAD_WEEK_INCIDENT_PROJECT if incident else BAD_WEEK_ELSEWHERE
        return POST_INCIDENT if s.period == "post" and incident else 1.0

    # -- events -------------------------------------------------------------------------

    def _event(self, kind: str, task: int, s: _Session) -> tuple[dict[str, Any], str]:
        """One event's data and metadata JSON."""
        rnd, slots = self.rnd, s.slots
        if kind == CREATED:
            return self._created(s), (self._file_meta(s) if rnd.chance(0.15) else EMPTY)
        if kind == UPDATED:
            task_id = s.tasks[task][0]
            return {"task_id": task_id, "changes": self._changes(s)}, (
                self._file_meta(s) if rnd.chance(0.3) else EMPTY)
        if kind == COMPLETED:
            outcome = rnd.pick(("success",) * 30 + ("partial",) * 2 + ("failed",))
            data: dict[str, Any] = {"task_id": s.tasks[task][0], "outcome": outcome}
            if outcome != "failed":
                s.done.add(task)
            if outcome == "success" and rnd.chance(0.4):
                data["tests_passed"] = rnd.between(3, 240)
            return data, (self._file_meta(s) if rnd.chance(0.6) else EMPTY)
        if kind == DECISION:
            decision, rationale = s.decision_order[len(s.decisions) % len(s.decision_order)]
            pair = (decision.format_map(slots), rationale.format_map(slots))
            s.decisions.append(pair)
            meta = _encode({"complexity": self._complexity()}) if rnd.chance(0.25) else EMPTY
            return {"decision": pair[0], "rationale": pair[1]}, meta
        if kind == ERROR:
            error = self._error(s)
            s.errors.append((error, rnd.chance(RESOLVED_RATE["bad" if s.period == "bad" else
                                                             "normal"])))
            meta = _encode({"file": self._module(s), "line": rnd.between(12, 900)}) \
                if rnd.chance(0.7) else EMPTY
            return {"error": error.error, "context": error.context,
                    "error_type": error.error_type}, meta
        if kind == PATTERN:
            pattern, instances = rnd.pick(s.topic.patterns if rnd.chance(0.75) else
                                          s.second.patterns)
            meta = _encode({"occurrences": rnd.between(2, 14)}) if rnd.chance(0.3) else EMPTY
            return {"pattern": pattern.format_map(slots),
                    "instances": [item.format_map(slots) for item in instances]}, meta
        return {"agent": self._other_agent(s), "context": self._shared(s)}, EMPTY

    def _created(self, s: _Session) -> dict[str, Any]:
        rnd = self.rnd
        prefix = s.project.key if s.project else "T"
        self.ticket[prefix] += 1
        task_id = f"{prefix}-{self.ticket[prefix]}"
        k = len(s.tasks)
        title = s.task_order[k % len(s.task_order)].format_map(s.slots)
        if k >= len(s.task_order):
            title = f"Follow-up: {title}"
        s.tasks.append((task_id, title))
        data: dict[str, Any] = {"task_id": task_id, "title": title}
        if rnd.chance(0.35):
            data["priority"] = rnd.pick(("low", "medium", "medium", "high"))
        if rnd.chance(0.2):
            data["assignee"] = s.profile.name
        if rnd.chance(0.15):
            data["feature"] = s.topic.label
        return data

    def _changes(self, s: _Session) -> dict[str, Any]:
        rnd = self.rnd
        roll = rnd.random()
        if roll < 0.4:
            return {"status": "in_progress"}
        if roll < 0.55:
            return {"progress": round(rnd.between(1, 9) / 10, 1)}
        if roll < 0.7:
            return {"status": "in_review"}
        if roll < 0.8:
            return {"priority": "high"}
        if roll < 0.9:
            return {"estimate_hours": rnd.between(1, 16)}
        if roll < 0.95 and s.errors:
            return {"status": "blocked", "blocked_by": s.errors[-1][0].error_type}
        return {"assignee": self._other_agent(s)}

    def _error(self, s: _Session) -> ErrorTemplate:
        rnd = self.rnd
        if s.period == "bad":
            incident = s.project is not None and s.project.name == INCIDENT_PROJECT
            if incident and rnd.chance(INCIDENT_ERROR_SHARE):
                template = rnd.pick(TOPICS["pool_incident"].errors[:1] * 3 +
                                    TOPICS["pool_incident"].errors[1:])
                return _fill_error(template, s.slots)
            if not incident and rnd.chance(CASCADE_SHARE):
                return _fill_error(CASCADE_ERROR, s.slots)
        topic = s.topic if rnd.chance(0.8) else s.second
        return _fill_error(rnd.pick(topic.errors), s.slots)

    def _shared(self, s: _Session) -> dict[str, Any]:
        rnd = self.rnd
        if s.tasks and rnd.chance(0.4):
            task_id, title = s.tasks[-1]
            notes = s.decisions[-1][0] if s.decisions else title
            return {"task_id": task_id, "status": rnd.pick(("in_progress", "blocked",
                                                            "ready_for_review")), "notes": notes}
        context: dict[str, Any] = {"topic": s.topic.label}
        if s.project:
            context["project"] = s.project.name
        choices = [s.topic.phrase.format_map(s.slots)]
        choices += [title for _, title in s.tasks[-2:]] + [d for d, _ in s.decisions[-2:]]
        context["summary"] = rnd.pick(choices)
        context["files"] = [self._module(s)] if rnd.chance(0.5) else [s.slots["module"],
                                                                       s.slots["module2"]]
        return context

    def _other_agent(self, s: _Session) -> str:
        return self.rnd.pick([a.name for a in AGENTS if a.name != s.profile.name])

    def _module(self, s: _Session) -> str:
        return str(s.slots["module" if self.rnd.chance(0.7) else "module2"])

    def _complexity(self) -> str:
        return self.rnd.pick(("low", "low", "low", "medium", "medium", "medium", "high"))

    def _file_meta(self, s: _Session) -> str:
        lines = min(1200, int(3 / (1 - self.rnd.random() * 0.995) ** 0.9))
        return _encode({"file": self._module(s), "lines_changed": lines,
                        "complexity": self._complexity()})

    # -- session text -------------------------------------------------------------------

    def _succeeded(self, s: _Session) -> bool:
        return len(s.done) >= 0.6 * len(s.tasks)

    def _summary(self, s: _Session) -> str:
        rnd, slots = self.rnd, s.slots
        if self._succeeded(s):
            head = rnd.pick(s.topic.summaries).format_map(slots)
        else:
            phrase = s.topic.phrase.format_map(slots)
            head = rnd.pick(PARTIAL_HEADS).format(phrase=phrase, where=slots["project"])
        extra: list[str] = []
        if s.decisions:
            decision, rationale = s.decisions[0]
            extra.append(rnd.pick(DECISION_SENTENCES).format(decision=decision,
                                                             rationale=rationale))
        if s.errors:
            resolved = [e for e, ok in s.errors if ok]
            if resolved:
                e = resolved[0]
                extra.append(rnd.pick(ERROR_FIXED_SENTENCES).format(
                    error_type=e.error_type, error=e.error, context=e.context, fix=e.fix))
            else:
                e = s.errors[0][0]
                extra.append(rnd.pick(ERROR_OPEN_SENTENCES).format(error_type=e.error_type,
                                                                   error=e.error))
        open_titles = self._open_titles(s)
        if open_titles:
            extra.append(rnd.pick(TASKS_OPEN_SENTENCES).format(
                open=len(open_titles), total=len(s.tasks), title=open_titles[0]))
        elif len(s.tasks) > 1:
            extra.append(rnd.pick(TASKS_DONE_SENTENCES).format(total=len(s.tasks)))
        extra = rnd.shuffled(extra)[: 1 + int(rnd.random() * 2.5)]
        return " ".join([head + ".", *extra])

    def _open_titles(self, s: _Session) -> list[str]:
        return [title for k, (_, title) in enumerate(s.tasks) if k not in s.done]

    def _metadata(self, s: _Session, start: int, summarised: bool) -> dict[str, Any]:
        rnd, slots = self.rnd, s.slots
        meta: dict[str, Any] = {}
        if s.project:
            meta["project"] = s.project.name
        if rnd.chance(0.35):
            quarter = 4 * (start - self.window_lo) // (self.days * DAY_US)
            meta["phase"] = f"Phase {1 + min(3, max(0, quarter))}"
        if rnd.chance(0.45):
            meta["feature"] = s.topic.label
        previous = self.previous.get(_thread(s))
        if previous and previous[1] <= start < previous[1] + 3 * DAY_US and rnd.chance(0.6):
            meta["previous_session"] = previous[0]
            meta["context"] = "continuing from previous work"
        if summarised:
            succeeded = self._succeeded(s)
            events = s.topic.key_events
            reached = len(events) if succeeded else max(1, min(len(events) - 1, len(s.done)))
            picked = set(rnd.shuffled(range(len(events)))[: rnd.between(1, reached)])
            meta["key_events"] = [e for k, e in enumerate(events) if k in picked]
            meta["decisions"] = list(dict.fromkeys(d for d, _ in s.decisions))[:3]
            open_titles = self._open_titles(s)
            if succeeded:
                outcomes = rnd.shuffled(s.topic.outcomes)[: rnd.between(1, 3)]
                meta["outcomes"] = [o.format_map(slots) for o in outcomes]
            else:
                left = len(open_titles)
                meta["outcomes"] = ["partial progress", f"{left} task{'s' * (left != 1)} open"]
            steps = [t.format_map(slots) for t in rnd.shuffled(s.topic.next_steps)[:2]]
            meta["next_steps"] = [f"finish: {t}" for t in open_titles[:2]] + steps
        return meta

    def _state(self, s: _Session, active: bool) -> str:
        if active:
            open_tasks = len(self._open_titles(s))
            return _encode({"current_task": s.tasks[-1][0], "open_tasks": open_tasks})
        if self.rnd.chance(0.1):
            return _encode({"branch": f"{s.topic.key.replace('_', '-')}/{s.tasks[0][0].lower()}"})
        return EMPTY


def _thread(s: _Session) -> tuple[str, str, str]:
    """Sessions of one agent on one project and topic form a thread (``previous_session``)."""
    return s.profile.name, s.project.name if s.project else "", s.topic.key


def _fill_error(template: ErrorTemplate, slots: Mapping[str, Any]) -> ErrorTemplate:
    return ErrorTemplate(template.error_type, template.error.format_map(slots),
                         template.context.format_map(slots), template.fix.format_map(slots))

"""The SQL text of the analytics, in one place.

Every query here takes its values as named bind parameters (``$since``,
``$until``, ``$tz``, ``$agent``, ``$limit``, ``$session_id``); the only things
spliced into the text are fixed fragments chosen by a flag (whether an agent
filter applies, the bucket unit), never a caller's value. The functions of
:mod:`agentlog.analytics` pick a query and run it with
``store.sql(text, params).pl()``.

Definitions the queries implement (documented for users in the package docstring):

* an event is an error when ``event_type = 'error_encountered'`` or its
  ``metadata.is_error`` is the JSON boolean ``true``;
* an event happens at its ``timestamp``, or at its session's ``started_at``
  when it has none;
* a session spans ``[started_at, end)``, ``end`` being ``ended_at``, else its
  last event's timestamp, else ``started_at`` (never before ``started_at``);
* a session is "in" a window when it started in it.
"""

from __future__ import annotations

from typing import Literal

from agentlog.records import ERROR_EVENT_TYPE

__all__ = [
    "ERROR_PREDICATE",
    "activity_report_sql",
    "activity_sql",
    "agent_comparison_sql",
    "error_rate_over_time_sql",
    "errors_by_agent_sql",
    "events_by_type_sql",
    "hour_of_week_sql",
    "most_active_day_sql",
    "session_exists_sql",
    "session_stats_sql",
    "session_timeline_sql",
]

Unit = Literal["day", "week"]

ERROR_PREDICATE = (
    f"(e.event_type = '{ERROR_EVENT_TYPE}' OR coalesce(json_extract(e.metadata, '$.is_error') = 'true'::JSON, false))"
)
"""True for an error event ``e``: the documented error type, or ``metadata.is_error`` set by an importer."""

_STEP = {"day": "INTERVAL 1 day", "week": "INTERVAL 7 days"}
_FULL_DAYS = {"day": "1.0", "week": "7.0"}
_US_PER_MINUTE = 60_000_000
_US_PER_DAY = 24 * 60 * _US_PER_MINUTE


def _agent(flag: bool, alias: str = "s") -> str:
    return f"AND {alias}.agent = $agent" if flag else ""


def _bucket(unit: Unit, instant: str) -> str:
    """The calendar day / ISO week (a DATE, in ``$tz``) holding ``instant``."""
    return f"date_trunc('{unit}', timezone($tz, {instant}))::DATE"


def _started_in_window(alias: str = "s") -> str:
    return f"{alias}.started_at >= $since AND {alias}.started_at < $until"


def _window_events(agent: bool) -> str:
    """Events that happened in ``[$since, $until)``, with their agent and error flag."""
    at = "coalesce(e.timestamp, s.started_at)"
    return f"""
window_events AS (
    SELECT s.agent, {at} AS happened_at, e.event_type, {ERROR_PREDICATE} AS is_error
    FROM events AS e JOIN sessions AS s ON s.id = e.session_id
    WHERE {at} >= $since AND {at} < $until {_agent(agent)}
)"""


def _slot_start(instant: str) -> str:
    """Start of the UTC slot of ``$slot_us`` microseconds holding ``instant`` (floor, also before 1970)."""
    us = f"epoch_us({instant})"
    return f"make_timestamptz({us} - (({us} % $slot_us) + $slot_us) % $slot_us)"


def _slots() -> str:
    """``window_events`` pre-aggregated per agent and UTC slot (``$slot_us`` wide).

    Converting instants to local days and hours (ICU) is the costly part of a
    bucketed query; doing it once per slot instead of once per event makes it
    cheap. A slot never straddles a local hour: its width is 15 minutes when
    every offset change of ``$tz`` falls on a quarter hour, else one minute
    (see :func:`~agentlog.analytics.window.slot_minutes`).
    """
    return f"""
slots AS (
    SELECT agent, {_slot_start("happened_at")} AS slot, count(*) AS events,
           count(*) FILTER (WHERE is_error) AS errors, min(happened_at) AS first_at, max(happened_at) AS last_at
    FROM window_events GROUP BY ALL
)"""


def _spans(agent: bool) -> str:
    """The span ``[span_start, span_end)`` of every session that may overlap the window."""
    return f"""
spans AS (
    SELECT s.id, s.agent, s.started_at AS span_start,
           greatest(s.started_at, coalesce(s.ended_at, o.last_at, s.started_at)) AS span_end
    FROM sessions AS s
    LEFT JOIN (
        SELECT session_id, max(timestamp) AS last_at FROM events
        WHERE session_id IN (SELECT id FROM sessions WHERE ended_at IS NULL)
        GROUP BY session_id
    ) AS o ON o.session_id = s.id
    WHERE s.started_at < $until {_agent(agent)}
)"""


def _clipped_us(start: str, end: str) -> str:
    return f"epoch_us({end}) - epoch_us({start})"


def _first_instant(local: str, later: str) -> str:
    """The first instant at which the wall clock in ``$tz`` reads ``local`` (a TIMESTAMP column).

    ``later`` is the column holding ``timezone($tz, local)``, which alone is not
    enough: where the clocks fall back over ``local`` (midnight happens twice
    when they go back from 01:00 to 00:00, as in Atlantic/Azores or
    America/Havana) ICU returns the *second* such instant, so a day would start
    an hour late. The first one is ``local`` read with the offset in force a few
    hours before; it is taken when it exists (reads ``local`` again) and is
    earlier. A ``local`` that does not exist (clocks jumping over it) gives the
    instant the clocks jump to, which is where that day really starts.
    """
    before = f"({later} - INTERVAL 3 hours)"
    earlier = f"timezone('UTC', {local} - (timezone($tz, {before}) - timezone('UTC', {before})))"
    return f"CASE WHEN {earlier} < {later} AND timezone($tz, {earlier}) = {local} THEN {earlier} ELSE {later} END"


def _grid(unit: Unit) -> str:
    """Every period (local day or ISO week) that overlaps the window, with its bounds and its coverage.

    ``complete`` is true when the period lies wholly inside ``[$since, $until)``;
    ``days_in_window`` is how much of it does, in local calendar days (wall-clock
    time in ``$tz``, so a whole week is 7 even when it holds a DST change), never
    negative: a window inside the hour the clocks repeat when they fall back can
    end at an earlier wall-clock time than it starts, and then holds 0 of the day.
    Materialized: the joins read it many times, and its bounds cost ICU calls.
    """
    step = _STEP[unit]
    local_until = "least(local_end, timezone($tz, $until))"
    local_since = "greatest(local_start, timezone($tz, $since))"
    return f"""
grid AS MATERIALIZED (
    SELECT period, period_start, period_end, complete,
           CASE WHEN complete THEN {_FULL_DAYS[unit]}
                ELSE greatest(epoch_us({local_until}) - epoch_us({local_since}), 0)::DOUBLE / {_US_PER_DAY}
           END AS days_in_window
    FROM (
        SELECT *, period_start >= $since AND period_end <= $until AS complete
        FROM (
            SELECT local_start, local_end, local_start::DATE AS period,
                   {_first_instant("local_start", "start_later")} AS period_start,
                   {_first_instant("local_end", "end_later")} AS period_end
            FROM (
                SELECT local_start, local_end,
                       timezone($tz, local_start) AS start_later, timezone($tz, local_end) AS end_later
                FROM (
                    SELECT local_start, local_start + {step} AS local_end
                    FROM (
                        SELECT unnest(generate_series(
                            date_trunc('{unit}', timezone($tz, $since)),
                            timezone($tz, $until - INTERVAL 1 microsecond),
                            {step}
                        )) AS local_start
                    )
                )
            )
        )
    )
)"""


def _events_per_period(unit: Unit) -> str:
    return f"""{_slots()},
ev AS (
    SELECT agent, {_bucket(unit, "slot")} AS period, sum(events)::BIGINT AS events, sum(errors)::BIGINT AS errors
    FROM slots GROUP BY ALL
)"""


def activity_sql(unit: Unit, *, agent: bool) -> str:
    """Sessions, events, errors and active minutes per agent and period, zeros included, with its coverage."""
    minutes = _clipped_us("greatest(sp.span_start, g.period_start, $since)", "least(sp.span_end, g.period_end, $until)")
    return f"""
WITH {_window_events(agent)}, {_spans(agent)}, {_grid(unit)}, {_events_per_period(unit)},
ss AS (
    SELECT s.agent, {_bucket(unit, "s.started_at")} AS period, count(*) AS sessions
    FROM sessions AS s WHERE {_started_in_window()} {_agent(agent)} GROUP BY ALL
),
mins AS (
    -- a day's bounds can miss part of the window where the local date goes back (St John's at 00:01 until 2011)
    SELECT sp.agent, g.period, sum(greatest({minutes}, 0))::DOUBLE / {_US_PER_MINUTE} AS active_minutes
    FROM spans AS sp JOIN grid AS g
      ON sp.span_start < least(g.period_end, $until) AND sp.span_end > greatest(g.period_start, $since)
    GROUP BY ALL
),
agents AS (SELECT agent FROM ev UNION SELECT agent FROM ss UNION SELECT agent FROM mins)
SELECT a.agent, g.period, g.period_start,
       coalesce(ss.sessions, 0) AS sessions,
       coalesce(ev.events, 0) AS events,
       coalesce(ev.errors, 0) AS errors,
       coalesce(mins.active_minutes, 0) AS active_minutes,
       g.complete, g.days_in_window
FROM agents AS a CROSS JOIN grid AS g
LEFT JOIN ev ON ev.agent = a.agent AND ev.period = g.period
LEFT JOIN ss ON ss.agent = a.agent AND ss.period = g.period
LEFT JOIN mins ON mins.agent = a.agent AND mins.period = g.period
ORDER BY a.agent, g.period
"""


def error_rate_over_time_sql(unit: Unit, *, agent: bool) -> str:
    """Events, errors and error rate per agent and period, for agents with events in the window, with its coverage."""
    return f"""
WITH {_window_events(agent)}, {_grid(unit)}, {_events_per_period(unit)},
agents AS (SELECT DISTINCT agent FROM ev)
SELECT a.agent, g.period, g.period_start,
       coalesce(ev.events, 0) AS events,
       coalesce(ev.errors, 0) AS errors,
       ev.errors::DOUBLE / ev.events AS error_rate,
       g.complete, g.days_in_window
FROM agents AS a CROSS JOIN grid AS g
LEFT JOIN ev ON ev.agent = a.agent AND ev.period = g.period
ORDER BY a.agent, g.period
"""


def errors_by_agent_sql(*, agent: bool) -> str:
    """Events, errors and error rate per agent over the window."""
    return f"""
WITH {_window_events(agent)}
SELECT agent, count(*) AS events, count(*) FILTER (WHERE is_error) AS errors,
       count(*) FILTER (WHERE is_error)::DOUBLE / count(*) AS error_rate
FROM window_events GROUP BY agent ORDER BY agent
"""


def events_by_type_sql(*, agent: bool) -> str:
    """Events (and errors) per agent and event type, with each type's share of the agent's events."""
    return f"""
WITH {_window_events(agent)}
SELECT agent, event_type, count(*) AS events, count(*) FILTER (WHERE is_error) AS errors,
       count(*)::DOUBLE / sum(count(*)) OVER (PARTITION BY agent) AS share
FROM window_events GROUP BY agent, event_type
ORDER BY agent, events DESC, event_type
"""


def hour_of_week_sql(*, agent: bool) -> str:
    """Events and session starts per local (weekday, hour): all 168 cells."""
    return f"""
WITH {_window_events(agent)}, {_slots()},
cells AS (SELECT d.weekday, h.hour FROM range(7) AS d(weekday) CROSS JOIN range(24) AS h(hour)),
ev AS (
    SELECT isodow(timezone($tz, slot)) - 1 AS weekday, hour(timezone($tz, slot)) AS hour, sum(events)::BIGINT AS events
    FROM slots GROUP BY ALL
),
ss AS (
    SELECT isodow(timezone($tz, s.started_at)) - 1 AS weekday, hour(timezone($tz, s.started_at)) AS hour,
           count(*) AS sessions
    FROM sessions AS s WHERE {_started_in_window()} {_agent(agent)} GROUP BY ALL
)
SELECT c.weekday, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][c.weekday + 1] AS day_name, c.hour,
       coalesce(ev.events, 0) AS events, coalesce(ss.sessions, 0) AS sessions
FROM cells AS c
LEFT JOIN ev ON ev.weekday = c.weekday AND ev.hour = c.hour
LEFT JOIN ss ON ss.weekday = c.weekday AND ss.hour = c.hour
ORDER BY c.weekday, c.hour
"""


def _busiest_days(agent: bool) -> str:
    return f"""
days AS (
    SELECT s.agent, timezone($tz, s.started_at)::DATE AS day, count(*) AS sessions
    FROM sessions AS s WHERE {_started_in_window()} {_agent(agent)} GROUP BY ALL
),
top_day AS (
    SELECT agent, day, sessions FROM days
    QUALIFY row_number() OVER (PARTITION BY agent ORDER BY sessions DESC, day DESC) = 1
)"""


def most_active_day_sql(*, agent: bool) -> str:
    """Per agent, the local day with the most session starts (the latest such day on a tie)."""
    return f"WITH {_busiest_days(agent)} SELECT agent, day, sessions FROM top_day ORDER BY agent"


def agent_comparison_sql(*, agent: bool) -> str:
    """One row per agent: volume, errors, time and the shape of its sessions in the window."""
    minutes = _clipped_us("greatest(span_start, $since)", "least(span_end, $until)")
    duration = _clipped_us("st.started_at", "greatest(st.started_at, coalesce(st.ended_at, c.last_at, st.started_at))")
    return f"""
WITH {_window_events(agent)}, {_slots()}, {_spans(agent)}, {_busiest_days(agent)},
started AS (
    SELECT s.id, s.agent, s.started_at, s.ended_at FROM sessions AS s WHERE {_started_in_window()} {_agent(agent)}
),
counts AS (
    SELECT session_id, count(*) AS n, max(timestamp) AS last_at FROM events
    WHERE session_id IN (SELECT id FROM started) GROUP BY session_id
),
ss AS (
    SELECT st.agent, count(*) AS sessions, avg(coalesce(c.n, 0)) AS avg_events_per_session,
           median({duration})::DOUBLE / {_US_PER_MINUTE} AS median_session_minutes
    FROM started AS st LEFT JOIN counts AS c ON c.session_id = st.id GROUP BY st.agent
),
ev AS (
    SELECT agent, sum(events)::BIGINT AS events, sum(errors)::BIGINT AS errors,
           count(DISTINCT timezone($tz, slot)::DATE) AS active_days, min(first_at) AS first_event_at,
           max(last_at) AS last_event_at
    FROM slots GROUP BY agent
),
mins AS (
    SELECT agent, sum({minutes})::DOUBLE / {_US_PER_MINUTE} AS active_minutes
    FROM spans WHERE span_end > $since GROUP BY agent
),
agents AS (SELECT agent FROM ev UNION SELECT agent FROM ss UNION SELECT agent FROM mins)
SELECT a.agent,
       coalesce(ss.sessions, 0) AS sessions,
       coalesce(ev.events, 0) AS events,
       coalesce(ev.errors, 0) AS errors,
       ev.errors::DOUBLE / ev.events AS error_rate,
       coalesce(mins.active_minutes, 0) AS active_minutes,
       ss.avg_events_per_session,
       ss.median_session_minutes,
       coalesce(ev.active_days, 0) AS active_days,
       top_day.day AS most_active_day,
       top_day.sessions AS most_active_day_sessions,
       ev.first_event_at,
       ev.last_event_at
FROM agents AS a
LEFT JOIN ss ON ss.agent = a.agent
LEFT JOIN ev ON ev.agent = a.agent
LEFT JOIN mins ON mins.agent = a.agent
LEFT JOIN top_day ON top_day.agent = a.agent
ORDER BY a.agent
"""


def session_stats_sql(*, agent: bool) -> str:
    """One row per session started in the window, with its event and error counts and its duration."""
    duration = _clipped_us(
        "st.started_at", "greatest(st.started_at, coalesce(st.ended_at, c.last_event_at, st.started_at))"
    )
    return f"""
WITH started AS (
    SELECT s.id, s.agent, s.project_id, s.lifecycle, s.summary, s.started_at, s.ended_at
    FROM sessions AS s WHERE {_started_in_window()} {_agent(agent)}
),
counts AS (
    SELECT e.session_id, count(*) AS events, count(*) FILTER (WHERE {ERROR_PREDICATE}) AS errors,
           max(e.timestamp) AS last_event_at
    FROM events AS e WHERE e.session_id IN (SELECT id FROM started) GROUP BY e.session_id
)
SELECT st.id AS session_id, st.agent, st.project_id, st.lifecycle, st.summary, st.started_at, st.ended_at,
       c.last_event_at, {duration} AS duration_us,
       coalesce(c.events, 0) AS events, coalesce(c.errors, 0) AS errors
FROM started AS st LEFT JOIN counts AS c ON c.session_id = st.id
ORDER BY st.started_at, st.id
"""


def session_exists_sql() -> str:
    """How many sessions have id ``$session_id`` (0 or 1)."""
    return "SELECT count(*) FROM sessions WHERE id = $session_id"


def session_timeline_sql() -> str:
    """The events of session ``$session_id`` in ``seq`` order, with offsets and gaps in microseconds."""
    previous = (
        "last_value(e.timestamp IGNORE NULLS) OVER (ORDER BY e.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    return f"""
SELECT e.session_id, e.seq, e.id AS event_id, e.event_type, e.timestamp,
       epoch_us(e.timestamp) - epoch_us(s.started_at) AS offset_us,
       epoch_us(e.timestamp) - epoch_us({previous}) AS gap_us,
       {ERROR_PREDICATE} AS is_error,
       e.event_data
FROM events AS e JOIN sessions AS s ON s.id = e.session_id
WHERE e.session_id = $session_id
ORDER BY e.seq
"""


def activity_report_sql(*, limit: bool) -> str:
    """Workflow 5: an agent's sessions started in the window (the newest ``$limit``) per UTC day, with events."""
    cap = "LIMIT $limit" if limit else ""
    return f"""
WITH recent AS (
    SELECT s.id, s.started_at FROM sessions AS s
    WHERE s.agent = $agent AND {_started_in_window()}
    ORDER BY s.started_at DESC, s.id DESC {cap}
),
counts AS (
    SELECT session_id, count(*) AS n FROM events WHERE session_id IN (SELECT id FROM recent) GROUP BY session_id
)
SELECT timezone('UTC', r.started_at)::DATE AS day, count(*) AS sessions, coalesce(sum(c.n), 0) AS events
FROM recent AS r LEFT JOIN counts AS c ON c.session_id = r.id
GROUP BY day ORDER BY day
"""

"""When things happen: session start times, event counts and event timestamps, vectorised.

All times are integer microseconds since the Unix epoch (UTC), the storage unit
of ``timestamp[us, tz=UTC]``, so no float rounding creeps in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agentlog.demo.profiles import AGENTS, NIGHT_HOURS, WORK_HOURS, AgentProfile

__all__ = ["DAY_US", "HOUR_US", "MINUTE_US", "Timeline", "build_timeline"]

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US

I64 = npt.NDArray[np.int64]

GROWTH = 0.5                   # the last day of the window is 1.5x as busy as the first
MIN_EVENTS, MAX_EVENTS = 5, 200
EVENTS_SIGMA = 0.65            # log-normal spread of events per session
GAP_SIGMA = 0.9                # log-normal spread of gaps between events
SESSION_PACE_SIGMA = 0.35      # some sessions are brisk, some slow
MIN_GAP_S, MAX_GAP_S = 2.0, 40 * 60.0
MAX_DURATION_US = 10 * HOUR_US
QUIET_END_US = 10 * MINUTE_US  # no session starts in the last 10 minutes before `end`
HANGING_WINDOW_US = 2 * DAY_US  # sessions left open (never ended) start in the last 2 days
HANGING_RATE = 0.1
MIN_ACTIVE = 3


@dataclass(frozen=True, slots=True)
class Timeline:
    """The time skeleton of the dataset, sessions sorted by start.

    Attributes:
        agent: Index into :data:`~agentlog.demo.profiles.AGENTS`, per session.
        start: ``started_at`` per session (µs).
        ended: ``ended_at`` per session (µs); meaningless where ``active``.
        active: Whether the session is still open at ``end``.
        counts: Number of events per session.
        bounds: ``counts`` as offsets: session ``i`` owns events
            ``bounds[i]:bounds[i + 1]``.
        event_ts: Event timestamps (µs), session by session, increasing within one.

    Example:
        >>> t = build_timeline(np.random.default_rng(0), 10, 30, 0)
        >>> int(t.bounds[-1]) == len(t.event_ts) == int(t.counts.sum())
        True
    """

    agent: npt.NDArray[np.int8]
    start: I64
    ended: I64
    active: npt.NDArray[np.bool_]
    counts: I64
    bounds: I64
    event_ts: I64


def build_timeline(rng: np.random.Generator, n_sessions: int, days: int, end_us: int) -> Timeline:
    """Draw start times, event counts and event timestamps for ``n_sessions`` sessions.

    Args:
        rng: The generator every draw comes from (so the result is reproducible).
        n_sessions: How many sessions.
        days: Length of the window that ends at ``end_us``.
        end_us: End of the window, µs since the epoch; nothing happens after it.

    Returns:
        The timeline, sessions sorted by start time.

    Example:
        >>> t = build_timeline(np.random.default_rng(1), 50, 90, 1_772_755_200_000_000)
        >>> bool((t.event_ts <= 1_772_755_200_000_000).all())
        True
    """
    shares = np.array([a.share for a in AGENTS])
    agent = rng.choice(len(AGENTS), size=n_sessions, p=shares / shares.sum()).astype(np.int8)
    start = np.empty(n_sessions, dtype=np.int64)
    for index, profile in enumerate(AGENTS):
        mine = np.flatnonzero(agent == index)
        start[mine] = _sample_starts(rng, len(mine), profile, days, end_us)
    order = np.argsort(start, kind="stable")
    agent, start = agent[order], start[order]

    median_events = np.array([a.median_events for a in AGENTS])[agent]
    counts = np.rint(median_events * np.exp(EVENTS_SIGMA * rng.standard_normal(n_sessions)))
    counts = np.clip(counts, MIN_EVENTS, MAX_EVENTS).astype(np.int64)
    bounds = np.zeros(n_sessions + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    total = int(bounds[-1])
    owner = np.repeat(np.arange(n_sessions), counts)
    first = bounds[:-1]

    pace = np.exp(np.clip(SESSION_PACE_SIGMA * rng.standard_normal(n_sessions), -0.7, 0.9))
    median_gap = np.array([a.median_gap_s for a in AGENTS])[agent] * pace
    gaps_s = median_gap[owner] * np.exp(GAP_SIGMA * rng.standard_normal(total))
    gaps_s = np.clip(gaps_s, MIN_GAP_S, MAX_GAP_S)
    gaps_s[first] = rng.uniform(0.0, 20.0, n_sessions)  # the first event comes right after start
    gaps = (gaps_s * 1e6).astype(np.int64)
    cumulative = np.cumsum(gaps)
    offsets = cumulative - (cumulative[first] - gaps[first])[owner]

    last = bounds[1:] - 1
    # Cap very long sessions, then make sure open sessions stop emitting at `end`.
    room = np.full(n_sessions, MAX_DURATION_US, dtype=np.int64)
    ended = start + np.minimum(offsets[last], room) + rng.integers(5, 180, n_sessions) * 1_000_000
    crossing = ended > end_us
    last_seen = end_us - rng.integers(1_000_000, 120_000_000, n_sessions)  # open ones went quiet
    room = np.where(crossing, np.minimum(room, last_seen - start), room)
    factor = np.minimum(1.0, room / np.maximum(offsets[last], 1))
    offsets = np.floor(offsets * factor[owner]).astype(np.int64)
    event_ts = start[owner] + offsets

    recent = start >= end_us - HANGING_WINDOW_US
    active = crossing | (recent & (rng.random(n_sessions) < HANGING_RATE))
    missing = MIN_ACTIVE - int(active.sum())
    if missing > 0:  # guarantee a few open sessions whatever the weekday of `end`
        candidates = np.flatnonzero(recent & ~active)[::-1][:missing]
        active[candidates] = True
    return Timeline(agent=agent, start=start, ended=ended, active=active, counts=counts,
                    bounds=bounds, event_ts=event_ts)


def _sample_starts(rng: np.random.Generator, count: int, profile: AgentProfile, days: int,
                   end_us: int) -> I64:
    """Start times for one agent: local working hours, quiet weekends, a gentle growth trend."""
    lo, hi = end_us - days * DAY_US, end_us - QUIET_END_US
    shift = profile.utc_offset_hours * HOUR_US
    day_numbers = np.arange((lo + shift) // DAY_US, (hi + shift - 1) // DAY_US + 1, dtype=np.int64)
    weekday = (day_numbers + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    day_weights = np.where(weekday >= 5, profile.weekend_factor, 1.0)
    day_weights *= 1.0 + GROWTH * np.linspace(0.0, 1.0, len(day_numbers))
    work, night = np.array(WORK_HOURS), np.array(NIGHT_HOURS)
    hour_weights = (1 - profile.night_share) * work / work.sum()
    hour_weights += profile.night_share * night / night.sum()

    found: list[I64] = []
    needed = count
    while needed > 0:
        draws = needed + needed // 4 + 16
        day = rng.choice(day_numbers, size=draws, p=day_weights / day_weights.sum())
        hour = rng.choice(24, size=draws, p=hour_weights / hour_weights.sum())
        utc = day * DAY_US + hour * HOUR_US + rng.integers(0, HOUR_US, draws) - shift
        kept = utc[(utc >= lo) & (utc < hi)][:needed]
        found.append(kept)
        needed -= len(kept)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)

"""Deterministic, realistic demo activity for notebooks, reports and benchmarks.

:func:`generate_demo_data` makes the tables, :func:`load_demo_data` puts them in
a store, :func:`shift_demo_data` moves them by whole weeks to end in the last
seven days, and :func:`demo_store` opens a store that holds them (what the
notebooks use). The dataset of :func:`demo_store` is also committed as
agentlog's Parquet dataset (``data/demo/``, and packaged with agentlog; see
:mod:`agentlog.demo.sample`): :func:`read_sample` reads it.

Example:
    >>> from agentlog.demo import generate_demo_data
    >>> data = generate_demo_data(sessions=30)
    >>> data.sessions.num_rows
    30
"""

from agentlog.demo.generator import (
    DEFAULT_END,
    EVENTS_SCHEMA,
    SESSIONS_SCHEMA,
    DemoData,
    DemoParams,
    generate_demo_data,
)
from agentlog.demo.loader import load_demo_data, shift_demo_data
from agentlog.demo.profiles import AGENTS, AgentProfile
from agentlog.demo.sample import SAMPLE_PARAMS, read_sample, sample_path
from agentlog.demo.store import DEMO_STORE_SESSIONS, demo_store
from agentlog.demo.vocabulary import PROJECTS, Project

__all__ = [
    "AGENTS",
    "DEFAULT_END",
    "DEMO_STORE_SESSIONS",
    "EVENTS_SCHEMA",
    "PROJECTS",
    "SAMPLE_PARAMS",
    "SESSIONS_SCHEMA",
    "AgentProfile",
    "DemoData",
    "DemoParams",
    "Project",
    "demo_store",
    "generate_demo_data",
    "load_demo_data",
    "read_sample",
    "sample_path",
    "shift_demo_data",
]

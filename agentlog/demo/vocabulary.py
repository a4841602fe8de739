"""The demo's cast: projects with their themes, users, and the phrasing of summaries.

Each :class:`Project` has a stable UUID, a ticket prefix, the topics it works on
(with weights) and *slots*: the nouns its templates are filled with (its tables,
endpoints, functions, components...). A session picks one value per slot (and a
second one, ``{table2}``, ``{module2}``...), so every event of a session talks
about the same table or endpoint. Sessions without a project use
:data:`GENERAL_SLOTS` and :data:`GENERAL_TOPICS`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from agentlog.demo.topics import ErrorTemplate, Topic
from agentlog.demo.topics_backend import BACKEND_TOPICS
from agentlog.demo.topics_product import PRODUCT_TOPICS

__all__ = [
    "CASCADE_ERROR",
    "DECISION_SENTENCES",
    "ERROR_FIXED_SENTENCES",
    "ERROR_OPEN_SENTENCES",
    "GENERAL_SLOTS",
    "GENERAL_TOPICS",
    "INCIDENT_PROJECT",
    "PARTIAL_HEADS",
    "PROJECTS",
    "SLOT_KEYS",
    "TASKS_DONE_SENTENCES",
    "TASKS_OPEN_SENTENCES",
    "TOPICS",
    "USERS",
    "Project",
]

TOPICS: dict[str, Topic] = {topic.key: topic for topic in BACKEND_TOPICS + PRODUCT_TOPICS}
"""Every topic by key, in a fixed order.

Example:
    >>> TOPICS["search_relevance"].label
    'Search relevance'
"""

SLOT_KEYS = ("entity", "table", "module", "function", "endpoint", "component", "library", "job",
             "service", "field")
"""Slot names every project defines; templates may also use ``<slot>2`` for a second value.

Example:
    >>> "endpoint" in SLOT_KEYS
    True
"""


@dataclass(frozen=True, slots=True)
class Project:
    """A demo project: a stable id, a name, a theme and the words it is made of.

    Attributes:
        id: Stable UUID (the sessions' ``project_id``).
        name: Name stored in session metadata as ``{"project": name}``.
        key: Ticket prefix for task ids, e.g. ``"BILL"`` gives ``"BILL-1042"``.
        description: One-line theme.
        topics: Topic key to relative weight.
        slots: Slot name (see :data:`SLOT_KEYS`) to candidate values.

    Example:
        >>> PROJECTS[0].name
        'billing-service'
    """

    id: uuid.UUID
    name: str
    key: str
    description: str
    topics: Mapping[str, float]
    slots: Mapping[str, tuple[str, ...]]


PROJECTS: tuple[Project, ...] = (
    Project(
        id=uuid.UUID("206fa452-13da-43dc-9677-dc2eaa88e54f"),
        name="billing-service",
        key="BILL",
        description="Invoices, subscriptions and payments on Postgres",
        topics={"migration": 3.0, "performance": 2.0, "api": 2.0, "flaky_tests": 1.5,
                "observability": 1.0, "dependency_upgrade": 1.0, "pool_incident": 0.15},
        slots={
            "entity": ("invoice", "subscription", "payment", "refund"),
            "table": ("invoices", "subscriptions", "payments", "ledger_entries", "tax_rates"),
            "module": ("billing/invoices/service.py", "billing/payments/provider.py",
                       "billing/db/session.py", "billing/tax/calculator.py"),
            "function": ("create_invoice", "apply_proration", "calculate_tax", "reconcile_payments",
                         "parse_input"),
            "endpoint": ("/v1/invoices", "/v1/subscriptions", "/v1/payments/refunds"),
            "component": ("InvoiceTable", "PaymentForm", "PlanPicker"),
            "library": ("SQLAlchemy", "Alembic", "psycopg", "stripe"),
            "job": ("nightly-invoice-run", "dunning-retry", "ledger-reconcile"),
            "service": ("billing-api", "billing-worker"),
            "field": ("tax_rate", "currency", "proration_amount", "due_date"),
        },
    ),
    Project(
        id=uuid.UUID("2cc2c461-2002-48b1-b831-b5800ca52f74"),
        name="auth-gateway",
        key="AUTH",
        description="OAuth/OIDC gateway issuing and validating tokens for every service",
        topics={"auth": 4.0, "api": 1.5, "deployment": 1.5, "observability": 1.0,
                "dependency_upgrade": 1.0, "flaky_tests": 1.0},
        slots={
            "entity": ("token", "client", "user session", "signing key"),
            "table": ("oauth_clients", "refresh_tokens", "user_sessions", "signing_keys"),
            "module": ("gateway/tokens.py", "gateway/jwks.py", "gateway/middleware.py",
                       "gateway/oauth/flows.py"),
            "function": ("refresh_access_token", "validate_jwt", "rotate_keys", "revoke_session"),
            "endpoint": ("/oauth/token", "/oauth/authorize", "/.well-known/jwks.json", "/userinfo"),
            "component": ("LoginForm", "ConsentScreen", "MfaPrompt"),
            "library": ("PyJWT", "authlib", "cryptography", "FastAPI"),
            "job": ("key-rotation", "expired-token-sweeper"),
            "service": ("auth-gateway", "token-service"),
            "field": ("refresh_token_hash", "expires_at", "audience", "kid"),
        },
    ),
    Project(
        id=uuid.UUID("f91d838d-3255-480a-b144-b921605de66c"),
        name="search-indexer",
        key="SRCH",
        description="Indexes products and articles and serves search queries",
        topics={"search_relevance": 4.0, "ingestion": 2.0, "performance": 2.0, "deployment": 1.0,
                "migration": 0.5, "observability": 0.8},
        slots={
            "entity": ("product", "article", "query", "catalog"),
            "table": ("documents", "index_jobs", "synonyms", "query_log"),
            "module": ("indexer/pipeline.py", "indexer/analyzers.py", "search/ranking.py",
                       "search/api.py"),
            "function": ("build_index", "rank_results", "expand_synonyms", "tokenize_query"),
            "endpoint": ("/search", "/suggest", "/admin/reindex"),
            "component": ("SearchBox", "ResultList", "FacetPanel"),
            "library": ("opensearch-py", "lancedb", "sentence-transformers", "pyarrow"),
            "job": ("full-reindex", "incremental-indexer", "synonym-sync"),
            "service": ("search-api", "indexer-worker"),
            "field": ("title_boost", "embedding", "popularity", "language"),
        },
    ),
    Project(
        id=uuid.UUID("382bd63b-c987-42d2-b267-789989accf62"),
        name="mobile-app",
        key="MOB",
        description="The iOS and Android app (React Native)",
        topics={"theming": 3.0, "accessibility": 2.0, "auth": 1.5, "flaky_tests": 2.0,
                "performance": 1.0, "dependency_upgrade": 1.0},
        slots={
            "entity": ("profile", "notification", "cart", "onboarding step"),
            "table": ("local_cache", "offline_queue", "user_prefs"),
            "module": ("app/screens/Settings.tsx", "app/theme/tokens.ts", "app/api/client.ts",
                       "app/navigation/Root.tsx"),
            "function": ("useTheme", "refreshSession", "syncOfflineQueue", "renderCartItem"),
            "endpoint": ("/api/profile", "/api/cart", "/api/feed"),
            "component": ("SettingsScreen", "CartSheet", "OnboardingCarousel", "TabBar"),
            "library": ("react-native", "expo", "react-navigation", "detox"),
            "job": ("nightly-e2e", "release-build"),
            "service": ("mobile-bff", "push-gateway"),
            "field": ("theme_preference", "font_scale", "push_token", "locale"),
        },
    ),
    Project(
        id=uuid.UUID("1839e27c-95ab-458e-b0df-419b2eef1b41"),
        name="data-pipeline",
        key="DATA",
        description="Batch and streaming ingestion into the warehouse",
        topics={"ingestion": 4.0, "migration": 2.0, "performance": 1.5, "observability": 1.5,
                "flaky_tests": 1.0},
        slots={
            "entity": ("clickstream", "order", "shipment", "customer"),
            "table": ("raw_events", "orders_daily", "dim_customers", "shipments"),
            "module": ("pipeline/ingest/kafka_reader.py", "pipeline/transforms/orders.py",
                       "pipeline/io/parquet_writer.py", "pipeline/dq/checks.py"),
            "function": ("read_batch", "normalize_order", "write_partition", "dedupe_records"),
            "endpoint": ("/ingest/events", "/pipelines/runs"),
            "component": ("RunsTable", "LineageGraph"),
            "library": ("polars", "duckdb", "confluent-kafka", "dagster"),
            "job": ("orders-daily", "clickstream-hourly", "customer-snapshot"),
            "service": ("ingest-api", "pipeline-scheduler"),
            "field": ("event_time", "source_id", "order_total", "country_code"),
        },
    ),
    Project(
        id=uuid.UUID("71f06f5c-e7e8-4c37-9505-de50f7528214"),
        name="docs-site",
        key="DOCS",
        description="Public developer documentation and API reference",
        topics={"docs": 4.0, "theming": 1.0, "search_relevance": 1.5, "deployment": 1.0,
                "accessibility": 1.0},
        slots={
            "entity": ("SDK", "webhook", "API key", "plugin"),
            "table": ("pages", "redirects", "search_index"),
            "module": ("docs/getting-started.md", "docs/conf.py", "site/theme/layout.html",
                       "docs/reference/api.md"),
            "function": ("create_client", "verify_signature", "list_events", "render_page"),
            "endpoint": ("/v2/webhooks", "/v2/events", "/v2/api-keys"),
            "component": ("SidebarNav", "CodeTabs", "SearchModal"),
            "library": ("sphinx", "mkdocs-material", "docusaurus"),
            "job": ("link-check", "docs-publish"),
            "service": ("docs-site", "docs-search"),
            "field": ("version", "slug", "canonical_url"),
        },
    ),
    Project(
        id=uuid.UUID("27b9a767-e50f-48fb-af2e-b3c8e4baf1ed"),
        name="web-dashboard",
        key="WEB",
        description="The customer-facing analytics dashboard (React)",
        topics={"theming": 2.0, "api": 1.5, "performance": 2.0, "accessibility": 1.5,
                "flaky_tests": 1.5, "auth": 1.0},
        slots={
            "entity": ("report", "chart", "workspace", "export"),
            "table": ("reports", "saved_views", "workspace_members"),
            "module": ("src/components/ChartGrid.tsx", "src/theme/index.ts", "src/api/reports.ts",
                       "src/pages/Reports.tsx"),
            "function": ("fetchReport", "renderChart", "useWorkspace", "exportCsv"),
            "endpoint": ("/api/reports", "/api/exports", "/api/workspaces"),
            "component": ("ChartGrid", "ReportHeader", "DateRangePicker", "ExportDialog"),
            "library": ("react", "vite", "recharts", "playwright"),
            "job": ("export-worker", "report-cache-warmer"),
            "service": ("dashboard-web", "dashboard-api"),
            "field": ("date_range", "chart_type", "timezone"),
        },
    ),
    Project(
        id=uuid.UUID("0c6a87a2-a849-4a77-8eac-95572779fa85"),
        name="notification-service",
        key="NOTIF",
        description="Email, SMS and push notifications with delivery tracking",
        topics={"deployment": 2.0, "api": 1.5, "observability": 2.0, "flaky_tests": 1.0,
                "ingestion": 1.0, "dependency_upgrade": 1.0},
        slots={
            "entity": ("notification", "email template", "delivery receipt", "push message"),
            "table": ("notifications", "deliveries", "templates", "unsubscribes"),
            "module": ("notify/dispatch.py", "notify/providers/ses.py", "notify/templates.py",
                       "notify/webhooks.py"),
            "function": ("dispatch_batch", "render_template", "handle_bounce", "send_push"),
            "endpoint": ("/v1/notifications", "/v1/webhooks/delivery", "/v1/templates"),
            "component": ("TemplateEditor", "DeliveryLog"),
            "library": ("boto3", "celery", "jinja2", "firebase-admin"),
            "job": ("digest-sender", "bounce-processor"),
            "service": ("notify-api", "notify-worker"),
            "field": ("channel", "template_id", "delivered_at"),
        },
    ),
)
"""The eight demo projects, in a fixed order.

Example:
    >>> [p.key for p in PROJECTS][:3]
    ['BILL', 'AUTH', 'SRCH']
"""

INCIDENT_PROJECT = "billing-service"
"""The project whose connection pool runs dry during the bad week.

Example:
    >>> INCIDENT_PROJECT in [p.name for p in PROJECTS]
    True
"""

GENERAL_SLOTS: Mapping[str, tuple[str, ...]] = {
    "entity": ("script", "notebook", "config file", "CLI"),
    "table": ("scratch_results", "experiments"),
    "module": ("scripts/release.py", "tools/cli.py", "notebooks/analysis.ipynb", "Makefile"),
    "function": ("main", "load_config", "parse_args", "parse_input"),
    "endpoint": ("/healthz", "/internal/status"),
    "component": ("SettingsPanel", "Toolbar"),
    "library": ("pydantic", "requests", "pandas", "numpy", "pytest"),
    "job": ("weekly-report", "cleanup-cron"),
    "service": ("internal-tools", "dev-scripts"),
    "field": ("timeout", "retries", "log_level"),
}
"""Slots for sessions without a project.

Example:
    >>> "main" in GENERAL_SLOTS["function"]
    True
"""

GENERAL_TOPICS: Mapping[str, float] = {"dependency_upgrade": 2.0, "docs": 2.0, "flaky_tests": 1.0,
                                       "deployment": 1.0, "performance": 1.0}
"""Topic weights for sessions without a project.

Example:
    >>> sorted(GENERAL_TOPICS)[0]
    'dependency_upgrade'
"""

USERS = ("alice", "bob", "carol", "dmitri", "eun-ji", "farah")
"""The humans on whose behalf sessions run (``user_id``).

Example:
    >>> len(USERS)
    6
"""

CASCADE_ERROR = ErrorTemplate(
    "UpstreamUnavailable",
    "billing-service returned 503: database connection pool exhausted",
    "calling billing-service from {service}",
    "retrying with exponential backoff until billing-service recovered",
)
"""What other projects see of the billing incident during the bad week.

Example:
    >>> CASCADE_ERROR.error_type
    'UpstreamUnavailable'
"""

# Sentence templates for summaries. Fields come from the session's own events.
DECISION_SENTENCES = (
    "Decided to {decision} because {rationale}.",
    "Chose to {decision}: {rationale}.",
    "Went with the decision to {decision}, since {rationale}.",
)
"""Summary sentences about a decision the session made.

Example:
    >>> "{decision}" in DECISION_SENTENCES[0]
    True
"""

ERROR_FIXED_SENTENCES = (
    "Fixed {error_type} by {fix}.",
    "Resolved {error_type} ({context}) by {fix}.",
    "Hit {error_type} ({error}) and fixed it by {fix}.",
)
"""Summary sentences about an error that was resolved.

Example:
    >>> ERROR_FIXED_SENTENCES[0].format(error_type="TypeError", fix="adding validation")
    'Fixed TypeError by adding validation.'
"""

ERROR_OPEN_SENTENCES = (
    "{error_type} is still unresolved: {error}.",
    "Blocked by {error_type} ({error}).",
)
"""Summary sentences about an error still open when the session ended.

Example:
    >>> "{error_type}" in ERROR_OPEN_SENTENCES[1]
    True
"""

TASKS_OPEN_SENTENCES = (
    '{open} of {total} tasks still open, including "{title}".',
    'Still to do: "{title}".',
)
"""Summary sentences when some tasks were not completed.

Example:
    >>> TASKS_OPEN_SENTENCES[1].format(title="Fix login")
    'Still to do: "Fix login".'
"""

TASKS_DONE_SENTENCES = (
    "All {total} tasks completed.",
    "Closed {total} tasks.",
)
"""Summary sentences when every task was completed.

Example:
    >>> TASKS_DONE_SENTENCES[0].format(total=3)
    'All 3 tasks completed.'
"""

PARTIAL_HEADS = (
    "Worked on {phrase} ({where})",
    "Partial progress on {phrase} ({where})",
    "Started on {phrase} ({where}); work continues",
    "Looked into {phrase} ({where}) without finishing",
)
"""Opening sentences when most of a session's tasks were left open.

Example:
    >>> PARTIAL_HEADS[0].format(phrase="the upgrade", where="docs-site")
    'Worked on the upgrade (docs-site)'
"""

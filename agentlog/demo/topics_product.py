"""Topic texts for product-facing work.

Theming, search relevance, APIs, docs, dependency upgrades, observability and
accessibility.

Part of the demo vocabulary; see :mod:`agentlog.demo.topics` for what the fields
and template placeholders mean.
"""

from __future__ import annotations

from agentlog.demo.topics import ErrorTemplate as E
from agentlog.demo.topics import Topic

__all__ = ["PRODUCT_TOPICS"]

PRODUCT_TOPICS: tuple[Topic, ...] = (
    Topic(
        key="theming",
        label="UI theming",
        phrase="dark mode and design tokens in {component}",
        tasks=(
            "Add a dark mode palette to the design tokens",
            "Replace hard-coded colors in {component} with theme tokens",
            "Persist the user's theme preference",
            "Fix contrast of secondary buttons in dark mode",
            "Add a theme toggle to the settings screen",
            "Snapshot-test {component} in light and dark themes",
        ),
        decisions=(
            ("define colors as semantic tokens like surface and on-surface",
             "dark mode can then swap values without touching components"),
            ("follow the system color scheme by default",
             "most users never open the settings screen"),
            ("use CSS custom properties for theme values",
             "switching themes then needs no re-render"),
            ("drop the third accent color", "it failed contrast checks in both themes"),
        ),
        errors=(
            E("TypeError", "Cannot read properties of undefined (reading 'palette')",
              "rendering {component} outside the ThemeProvider",
              "wrapping the story and test renderers in ThemeProvider"),
            E("SnapshotMismatch", "{n} snapshots failed for {component} after the token rename",
              "the visual regression run in CI", "regenerating snapshots after reviewing the "
              "diffs"),
            E("ContrastError", "text contrast 3.1:1 below WCAG AA on {component}",
              "secondary text in dark mode", "lightening the on-surface-variant token"),
        ),
        patterns=(
            ("hard-coded hex colors bypass the theme", ("{component}", "{module}", "{module2}")),
            ("components read the theme at import time instead of render time",
             ("{component}", "{function}()")),
        ),
        summaries=(
            "Shipped dark mode for {component}: replaced {n2} hard-coded colors with semantic "
            "design tokens and added a theme toggle",
            "Reworked UI theming around design tokens; light and dark themes now pass contrast "
            "checks and follow the system setting",
            "Fixed dark mode contrast issues in {component} and persisted the user's theme "
            "preference",
        ),
        key_events=("tokens_defined", "dark_mode_added", "theme_toggle_added", "snapshots_updated"),
        outcomes=("dark mode available", "contrast checks passing",
                  "no hard-coded colors left in {component}"),
        next_steps=("theme the remaining legacy screens", "add a high-contrast theme",
                    "document the tokens in the style guide"),
    ),
    Topic(
        key="search_relevance",
        label="Search relevance",
        phrase="search relevance for {entity} queries",
        tasks=(
            "Build a judgement set of {n2} {entity} queries",
            "Tune BM25 field boosts for title and body",
            "Add a synonym list for common {entity} terms",
            "Try hybrid search with vector embeddings",
            "Measure NDCG@10 before and after the change",
            "Fix stemming for plural queries",
        ),
        decisions=(
            ("boost title matches 3x over body matches",
             "the judgement set showed titles predict relevance best"),
            ("combine BM25 and vector scores with reciprocal rank fusion",
             "no score calibration is needed between the two"),
            ("evaluate on NDCG@10 with a fixed judgement set",
             "click data is too sparse for long-tail queries"),
            ("keep synonyms in a versioned file", "changes need review like code"),
        ),
        errors=(
            E("IndexNotFound", "no such index [{entity}-v2]",
              "queries routed before the alias switched",
              "switching the alias atomically after reindexing"),
            E("ValueError", "embedding dimension 768 does not match index dimension 384",
              "the hybrid search prototype",
              "re-embedding documents with the same model as the queries"),
            E("RelevanceRegression", "NDCG@10 dropped from 0.71 to 0.64 for navigational queries",
              "the synonym expansion experiment", "limiting synonyms to the body field"),
        ),
        patterns=(
            ("exact title matches ranked below long body matches",
             ("{entity} search", "{endpoint}")),
            ("plural and singular queries return different results",
             ("{function}()", "analyzer config")),
        ),
        summaries=(
            "Improved search relevance for {entity} queries: NDCG@10 up {pct}% after tuning field "
            "boosts and adding synonyms",
            "Prototyped hybrid search combining BM25 and vector embeddings with reciprocal rank "
            "fusion; long-tail {entity} queries rank better",
            "Built a judgement set of {n2} queries and fixed stemming so plural and singular "
            "searches rank the same {entity} results",
        ),
        key_events=("judgement_set_built", "boosts_tuned", "synonyms_added",
                    "hybrid_search_prototyped"),
        outcomes=("NDCG@10 improved", "relevance regression suite in CI",
                  "hybrid search prototype working"),
        next_steps=("A/B test the new ranking", "log click-through on results",
                    "extend the judgement set to long-tail queries"),
    ),
    Topic(
        key="api",
        label="API design",
        phrase="the {endpoint} API",
        tasks=(
            "Add cursor pagination to {endpoint}",
            "Return 422 with field errors for invalid {entity} payloads",
            "Version the {entity} API as v2",
            "Add rate limiting to {endpoint}",
            "Write the OpenAPI schema for {endpoint}",
            "Deprecate the legacy {entity} fields",
        ),
        decisions=(
            ("use opaque cursors for pagination", "clients must not depend on internal ids"),
            ("version the API in the URL path",
             "it is simpler for clients and caches than headers"),
            ("rate-limit per API key with a token bucket", "bursty clients were starving others"),
            ("return RFC 7807 problem details on errors", "clients get one stable error shape"),
        ),
        errors=(
            E("ValidationError",
              "{n} validation errors for {entity} payload: {field} field required",
              "posting an old-style payload to {endpoint}",
              "accepting the legacy field name with a deprecation warning"),
            E("TypeError", "{function}() got an unexpected keyword argument 'cursor'",
              "wiring pagination into the handler", "adding the cursor parameter to the service "
              "layer"),
            E("HTTP 429", "Too Many Requests from an integration client on {endpoint}",
              "a partner's nightly sync", "raising that key's burst limit and documenting backoff"),
        ),
        patterns=(
            ("endpoints return different error shapes", ("{endpoint}", "{module}", "{module2}")),
            ("list endpoints without pagination", ("{endpoint}", "{function}()")),
        ),
        summaries=(
            "Added cursor pagination and rate limiting to {endpoint}; invalid {entity} payloads "
            "now "
            "get 422 responses with field-level errors",
            "Designed v2 of the {entity} API with URL versioning, an OpenAPI schema and consistent "
            "problem-details errors",
            "Fixed TypeError by adding validation to {function}() and passing the pagination "
            "cursor "
            "through the service layer",
        ),
        key_events=("endpoint_added", "pagination_added", "openapi_written", "rate_limit_added"),
        outcomes=("{endpoint} paginated", "OpenAPI schema published", "contract tests passing"),
        next_steps=("announce the deprecation of v1 fields", "generate the client SDK from OpenAPI",
                    "add contract tests for partners"),
    ),
    Topic(
        key="docs",
        label="Documentation",
        phrase="the {entity} documentation",
        tasks=(
            "Write a getting-started guide for {entity} users",
            "Document {endpoint} with request and response examples",
            "Fix broken links reported by the link checker",
            "Add an architecture diagram for {service}",
            "Generate the API reference from docstrings",
            "Write the migration guide from v1 to v2",
        ),
        decisions=(
            ("generate the API reference from docstrings",
             "the hand-written reference kept drifting"),
            ("test code samples in CI", "{n} examples in the docs no longer ran"),
            ("organise the docs as tutorials, how-tos, reference and explanation",
             "readers could not find task-oriented pages"),
        ),
        errors=(
            E("BuildError", "docs build failed: unknown target 'config-{field}'",
              "building the docs after renaming a page",
              "adding a redirect and fixing the cross-reference"),
            E("LinkCheckError", "{n} broken links (404) found by the link checker",
              "the nightly link check", "updating moved URLs and adding redirects"),
            E("DoctestFailure", "example for {function}() raised NameError",
              "running code samples in CI", "adding the missing import to the example"),
        ),
        patterns=(
            ("examples drift from the current API",
             ("{function}()", "{endpoint}", "getting-started.md")),
            ("pages renamed without redirects", ("reference/{entity}.md", "guides/setup.md")),
        ),
        summaries=(
            "Wrote the getting-started guide and documented {endpoint} with runnable examples; "
            "code samples are now tested in CI",
            "Restructured the documentation into tutorials, how-to guides and reference pages and "
            "fixed {n} broken links",
            "Published a v1 to v2 migration guide for {entity} users with an architecture diagram "
            "of {service}",
        ),
        key_events=("guide_written", "reference_generated", "links_fixed", "examples_tested"),
        outcomes=("docs build clean", "no broken links", "examples tested in CI"),
        next_steps=("add a troubleshooting page", "translate the getting-started guide",
                    "collect feedback from new users"),
    ),
    Topic(
        key="dependency_upgrade",
        label="Dependency upgrade",
        phrase="the {library} upgrade",
        tasks=(
            "Upgrade {library} to {version}",
            "Fix deprecation warnings after the {library} upgrade",
            "Regenerate the lock file",
            "Run the full test suite against {library} {version}",
            "Replace removed {library} APIs in {module}",
        ),
        decisions=(
            ("upgrade {library} one major version at a time",
             "the changelog lists breaking changes per major"),
            ("treat deprecation warnings as errors in tests",
             "it catches the next breaking change early"),
            ("pin {library} to a tested range", "an unpinned minor release broke the build"),
        ),
        errors=(
            E("ImportError", "cannot import name '{function}' from '{library}'",
              "the tests after upgrading {library} to {version}", "switching to the new public "
              "API"),
            E("DeprecationWarning",
              "{function}() is deprecated and will be removed in {library} {version}",
              "a test run with warnings as errors", "migrating the call sites in {module}"),
            E("ResolutionImpossible", "{library} {version} conflicts with an older transitive pin",
              "regenerating the lock file", "bumping the transitive dependency as well"),
        ),
        patterns=(
            ("private {library} APIs used directly", ("{module}", "{module2}")),
            ("deprecated calls spread across modules", ("{function}()", "{module}")),
        ),
        summaries=(
            "Upgraded {library} to {version}, replaced removed APIs in {module} and fixed {n} "
            "deprecation warnings; all tests passing",
            "Dependency upgrade: moved to {library} {version}, regenerated the lock file and "
            "pinned "
            "a tested range",
        ),
        key_events=("dependency_bumped", "lockfile_regenerated", "deprecations_fixed"),
        outcomes=("{library} {version} in use", "no deprecation warnings", "tests passing"),
        next_steps=("enable automated dependency update PRs", "upgrade the remaining services",
                    "remove the compatibility shims"),
    ),
    Topic(
        key="observability",
        label="Observability",
        phrase="monitoring for {service}",
        tasks=(
            "Add structured logging to {module}",
            "Export request latency metrics for {endpoint}",
            "Create a Grafana dashboard for {service}",
            "Alert when the error rate is above 2%",
            "Propagate trace ids through {job}",
        ),
        decisions=(
            ("log as JSON with a request id on every line",
             "logs become searchable and joinable with traces"),
            ("alert on SLO burn rate instead of raw error counts",
             "raw thresholds paged on harmless spikes"),
            ("sample traces at 10% except errors", "full tracing doubled the collector cost"),
        ),
        errors=(
            E("CardinalityError", "metric http_requests_total exceeded 10000 series",
              "labelling metrics with the user id", "dropping the user id label"),
            E("KeyError", "'trace_id' missing from log record",
              "logging from background threads in {job}",
              "passing the trace context to the thread pool"),
            E("AlertStorm", "{n2} duplicate pages for {service} in 10 minutes",
              "an alert without grouping", "grouping alerts by service and adding inhibition"),
        ),
        patterns=(
            ("high-cardinality labels on metrics", ("{endpoint}", "{module}")),
            ("errors logged without request context", ("{function}()", "{job}")),
        ),
        summaries=(
            "Added observability to {service}: structured JSON logs, latency metrics for "
            "{endpoint}, "
            "a Grafana dashboard and SLO burn-rate alerts",
            "Set up tracing across {job} and {service}; trace ids now appear in every log line",
            "Reduced alert noise for {service} by moving to burn-rate alerts and grouping pages",
        ),
        key_events=("logging_structured", "dashboard_created", "alert_added", "tracing_enabled"),
        outcomes=("dashboard live", "alerts routed to on-call", "trace ids in logs"),
        next_steps=("write a runbook for each alert", "define SLOs for {endpoint}",
                    "retire the old log pipeline"),
    ),
    Topic(
        key="accessibility",
        label="Accessibility",
        phrase="accessibility of {component}",
        tasks=(
            "Add aria labels to icon buttons in {component}",
            "Make {component} keyboard navigable",
            "Fix the focus trap in the {component} dialog",
            "Support font scaling in {component}",
            "Run a screen reader audit with VoiceOver",
        ),
        decisions=(
            ("use native buttons instead of clickable divs",
             "keyboard and screen reader support come for free"),
            ("add axe checks to the component tests", "they catch missing labels before review"),
            ("respect prefers-reduced-motion", "animations caused motion sickness reports"),
        ),
        errors=(
            E("AxeViolation",
              "{n} serious violations: buttons must have discernible text in {component}",
              "the automated accessibility check", "adding aria-label to icon buttons"),
            E("FocusTrapError", "focus escaped the modal in {component}",
              "a keyboard navigation test",
              "trapping focus inside the dialog and restoring it on close"),
        ),
        patterns=(
            ("icon-only buttons without labels", ("{component}", "{module}")),
            ("custom controls that ignore the keyboard", ("{component}", "{function}()")),
        ),
        summaries=(
            "Improved accessibility of {component}: keyboard navigation, aria labels on icon "
            "buttons "
            "and axe checks in tests; {n} violations fixed",
            "Fixed screen reader and focus issues in {component} found in a VoiceOver audit and "
            "added reduced-motion support",
        ),
        key_events=("a11y_audit_done", "aria_labels_added", "keyboard_nav_fixed"),
        outcomes=("no serious axe violations", "keyboard navigation works",
                  "screen reader audit passed"),
        next_steps=("audit the remaining screens",
                    "add an accessibility checklist to the PR template"),
    ),
)
"""The product-facing topics, in a fixed order.

Example:
    >>> PRODUCT_TOPICS[0].key
    'theming'
"""

"""Topic texts for backend and infrastructure work.

Migrations, auth tokens, performance, flaky tests, deployment, ingestion and the
bad week's connection pool incident.

Part of the demo vocabulary; see :mod:`agentlog.demo.topics` for what the fields
and template placeholders mean.
"""

from __future__ import annotations

from agentlog.demo.topics import ErrorTemplate as E
from agentlog.demo.topics import Topic

__all__ = ["BACKEND_TOPICS"]

BACKEND_TOPICS: tuple[Topic, ...] = (
    Topic(
        key="migration",
        label="Database migration",
        phrase="the {table} schema migration",
        tasks=(
            "Write migration adding {field} column to {table}",
            "Backfill {field} for existing {entity} rows",
            "Create {table2} table with foreign key to {table}",
            "Add composite index on {table} ({field}, created_at)",
            "Make the {table} migration reversible and test the downgrade",
            "Dry-run the migration against a staging snapshot",
            "Update {function}() to read the new {field} column",
        ),
        decisions=(
            ("split the {table} migration into expand and contract steps",
             "it avoids locking {table} during the deploy"),
            ("backfill {field} in batches of 5,000 rows",
             "it keeps replication lag under a second"),
            ("create the index concurrently",
             "a plain CREATE INDEX would block writes to {table} for minutes"),
            ("keep {field} nullable until the backfill finishes",
             "old workers still insert rows without it"),
            ("run DDL with a dedicated migrations role",
             "the application role should not own the schema"),
        ),
        errors=(
            E("UndefinedColumn", 'column "{field}" of relation "{table}" does not exist',
              "running {function}() against a database that was not migrated",
              "running the pending migration before the test suite"),
            E("LockNotAvailable", 'canceling statement due to lock timeout on relation "{table}"',
              "ALTER TABLE {table} during peak traffic",
              "setting lock_timeout and retrying the migration off-peak"),
            E("IntegrityError", 'null value in column "{field}" violates not-null constraint',
              "backfilling {entity} rows created before the migration",
              "adding a default for legacy {entity} rows"),
            E("MultipleHeads", "Multiple head revisions are present for given argument 'head'",
              "merging two branches that both added migrations",
              "adding a merge revision for the two migration heads"),
        ),
        patterns=(
            ("migrations that rewrite large tables hold long locks",
             ("{table}", "{table2}", "{module}")),
            ("ORM queries still select dropped columns",
             ("{function}()", "{function2}()", "{module2}")),
        ),
        summaries=(
            "Completed database migration with {n} new tables for {entity} data and backfilled "
            "{field} on {table}",
            "Migrated the {table} schema: added {field}, created {table2} and added {n} indexes",
            "Finished the {table} migration in expand and contract steps with zero downtime and a "
            "tested downgrade path",
            "Applied {n} schema migrations to {table} and {table2} and updated {function}() to use "
            "the new {field} column",
        ),
        key_events=("migration_created", "tables_created", "indexes_added", "backfill_completed",
                    "downgrade_tested"),
        outcomes=("schema migrated", "backfill of {table} complete", "tests passing",
                  "no downtime during deploy"),
        next_steps=("drop the legacy columns of {table} after one release",
                    "monitor replication lag on {table}", "update the ER diagram",
                    "remove the dual write in {function}()"),
    ),
    Topic(
        key="auth",
        label="Auth token handling",
        phrase="token refresh handling in {service}",
        tasks=(
            "Fix refresh token rotation in {function}()",
            "Reproduce 401 after access token expiry on {endpoint}",
            "Add clock-skew tolerance to JWT validation",
            "Rotate signing keys and publish the new JWKS",
            "Invalidate sessions on password reset",
            "Add tests for expired and revoked tokens",
            "Move token storage out of localStorage",
        ),
        decisions=(
            ("allow 30 seconds of clock skew when validating exp",
             "mobile clients drift and users were logged out early"),
            ("rotate refresh tokens on every use",
             "it detects token replay and limits stolen tokens"),
            ("cache the JWKS for 10 minutes", "the identity provider rate-limits key fetches"),
            ("store refresh tokens in an httpOnly cookie",
             "injected scripts cannot read them there"),
            ("reject tokens without an audience claim",
             "tokens minted for other services were being accepted"),
        ),
        errors=(
            E("ExpiredSignatureError", "Signature has expired",
              "validating the access token on {endpoint}",
              "refreshing the token before expiry and allowing clock skew"),
            E("InvalidAudienceError", "Invalid audience",
              "a token issued for another client hitting {endpoint}",
              "checking the aud claim against the configured client id"),
            E("HTTPError", "401 Unauthorized on {endpoint} right after a token refresh",
              "two tabs refreshing the token at the same time",
              "serialising refreshes behind a single in-flight request"),
            E("KeyError", "'kid' not found in JWKS",
              "signing key rotated before the JWKS cache expired",
              "refetching the JWKS when an unknown kid appears"),
        ),
        patterns=(
            ("refresh races when several requests see an expired token at once",
             ("{function}()", "{module}", "{endpoint}")),
            ("tokens validated without audience or issuer checks", ("{module}", "{module2}")),
        ),
        summaries=(
            "Fixed token refresh bug in {service}: refresh tokens now rotate on every use and "
            "expired access tokens no longer cause 401s on {endpoint}",
            "Hardened JWT validation in {function}() with audience checks, clock-skew tolerance "
            "and "
            "{n} new tests for expired and revoked tokens",
            "Rotated signing keys and fixed JWKS caching so {service} accepts tokens after key "
            "rotation",
            "Resolved a login loop caused by concurrent token refreshes; sessions are now "
            "invalidated on password reset",
        ),
        key_events=("token_bug_reproduced", "refresh_rotation_added", "jwks_cached",
                    "auth_tests_added"),
        outcomes=("no more spurious 401s", "refresh tokens rotate", "auth tests passing",
                  "signing keys rotated"),
        next_steps=("shorten the access token lifetime to 10 minutes",
                    "alert on refresh failures", "audit other services for missing aud checks",
                    "document the token lifecycle"),
    ),
    Topic(
        key="performance",
        label="Performance tuning",
        phrase="latency of {endpoint}",
        tasks=(
            "Profile slow {endpoint} requests",
            "Fix N+1 queries in {function}()",
            "Add an index for the {table} lookup by {field}",
            "Cache {entity} lookups in Redis",
            "Reduce p95 latency of {endpoint} below {ms2} ms",
            "Add a load test for {endpoint}",
            "Batch writes in {job}",
        ),
        decisions=(
            ("cache {entity} lookups for 60 seconds",
             "the data changes rarely and the lookup was {pct}% of request time"),
            ("prefetch related {table2} rows in one query",
             "it removes the N+1 pattern in {function}()"),
            ("keep the synchronous path and add a read replica",
             "an async rewrite would take weeks for a small gain"),
            ("paginate {endpoint} with keyset pagination",
             "OFFSET scans grew with the page number"),
        ),
        errors=(
            E("TimeoutError", "request to {endpoint} timed out after 30 s",
              "a load test at 200 requests per second", "adding the missing index on "
              "{table}.{field}"),
            E("MemoryError", "worker exceeded 2 GiB while building the {entity} export",
              "running {job} on the full dataset", "streaming rows instead of loading them into a "
              "list"),
            E("SlowQueryWarning", "query on {table} took {ms} ms (seq scan)",
              "the p95 investigation on {endpoint}",
              "rewriting the filter so the planner uses the index"),
        ),
        patterns=(
            ("N+1 queries when serialising lists of {entity} objects",
             ("{function}()", "{function2}()", "{module}")),
            ("sequential scans on {table} for filtered lookups", ("{table}", "{table2}")),
        ),
        summaries=(
            "Improved {endpoint} performance: p95 latency down from {ms} ms to {ms2} ms after "
            "fixing "
            "N+1 queries and adding an index on {table}",
            "Performance tuning of {function}(): cached {entity} lookups and cut database round "
            "trips by {pct}%",
            "Profiled and optimised {job}; batching writes reduced its runtime by {pct}% and "
            "halved "
            "memory use",
        ),
        key_events=("profile_captured", "n_plus_one_fixed", "index_added", "cache_added",
                    "load_test_run"),
        outcomes=("p95 latency under {ms2} ms", "fewer database queries per request",
                  "load test passing"),
        next_steps=("add a latency SLO alert for {endpoint}", "profile {job} on production data",
                    "remove the cache once the query is fast enough"),
    ),
    Topic(
        key="flaky_tests",
        label="Flaky tests",
        phrase="flaky tests in the {module} suite",
        tasks=(
            "Quarantine flaky test_{function}",
            "Find the root cause of intermittent CI failures in {module}",
            "Replace sleep() calls with explicit waits",
            "Freeze time in tests that depend on the current date",
            "Isolate the test database per worker",
            "Re-enable quarantined tests after the fix",
        ),
        decisions=(
            ("run the suite in random order in CI",
             "it surfaces hidden dependencies between tests"),
            ("freeze time with a fixture instead of patching datetime",
             "patching missed module-level imports"),
            ("give each test worker its own database schema",
             "workers were deleting each other's rows"),
            ("retry only network tests, once", "blanket retries were hiding real failures"),
        ),
        errors=(
            E("AssertionError", "expected {n} {entity} rows, got {n2} in test_{function}",
              "a test that passes alone but fails in parallel",
              "isolating the database schema per worker"),
            E("TimeoutError",
              "page did not reach idle within 5000 ms in the e2e test for {component}",
              "a CI runner under load", "waiting for the network response instead of a fixed "
              "timeout"),
            E("AssertionError", "assert '2026-02-29' == '2026-03-01' in test_{function2}",
              "date arithmetic around month end", "freezing time in the test"),
        ),
        patterns=(
            ("tests share state through a module-level fixture",
             ("test_{function}", "test_{function2}", "{module}")),
            ("fixed sleeps instead of waiting for a condition", ("{component}", "{module2}")),
        ),
        summaries=(
            "Fixed flaky tests in {module}: test_{function} depended on shared database state; CI "
            "has been green for {n} consecutive runs",
            "Stabilised the CI suite by isolating per-worker databases, freezing time and removing "
            "{n} sleep() calls",
            "Investigated intermittent CI failures; quarantined {n} flaky tests and fixed the "
            "ordering dependency in test_{function}",
        ),
        key_events=("flaky_test_reproduced", "root_cause_found", "tests_isolated", "ci_green"),
        outcomes=("CI green", "flaky tests fixed", "test runtime down {pct}%"),
        next_steps=("un-quarantine the remaining tests", "track the flaky rate on a dashboard",
                    "enable random test ordering everywhere"),
    ),
    Topic(
        key="deployment",
        label="Deployment",
        phrase="the {service} rollout",
        tasks=(
            "Write Helm chart values for {service}",
            "Set up a canary deployment for {service}",
            "Add readiness and liveness probes",
            "Roll back the failed release of {service}",
            "Move secrets to the secret manager",
            "Automate deploys from the main branch",
        ),
        decisions=(
            ("roll out {service} as a 10% canary for one hour",
             "it limits the blast radius of a bad release"),
            ("fail the deploy when readiness probes fail for 2 minutes",
             "bad pods were receiving traffic"),
            ("pin base images by digest", "a moving tag broke two builds last month"),
            ("deploy with GitHub Actions instead of the old Jenkins job",
             "one pipeline is easier to maintain and review"),
        ),
        errors=(
            E("CrashLoopBackOff", "pod {service}-7d9f crashed: missing env var DATABASE_URL",
              "the canary rollout to staging", "adding the secret reference to the Helm values"),
            E("ImagePullBackOff", "failed to pull image {service}:{version}: manifest unknown",
              "a deploy triggered before the image build finished",
              "making the deploy job wait for the build"),
            E("ProbeFailure", "readiness probe failed: HTTP 503 on /healthz",
              "new pods during the rolling update", "raising the startup grace period to 30 s"),
        ),
        patterns=(
            ("configuration drift between staging and production",
             ("values-staging.yaml", "values-prod.yaml", "{service}")),
            ("deploys racing image builds", ("{service}", ".github/workflows/deploy.yml")),
        ),
        summaries=(
            "Deployed {service} {version} to production through a 10% canary; probes and automatic "
            "rollback are now in place",
            "Set up the deployment pipeline for {service} with Helm, canary releases and secrets "
            "from the secret manager",
            "Rolled back a failed {service} release caused by a missing environment variable and "
            "added a check that prevents it",
        ),
        key_events=("pipeline_created", "canary_started", "rollout_completed", "rollback_tested"),
        outcomes=("{service} {version} in production", "zero-downtime deploy", "rollback tested"),
        next_steps=("post deploy notifications to the team channel", "promote the canary to 100%",
                    "run database migrations from the pipeline"),
    ),
    Topic(
        key="ingestion",
        label="Data ingestion",
        phrase="ingestion of {entity} data in {job}",
        tasks=(
            "Ingest {entity} events from the Kafka topic",
            "Handle schema drift in incoming {entity} records",
            "Backfill {n} days of {entity} data",
            "Deduplicate {entity} records by source id",
            "Write {entity} batches to Parquet partitioned by date",
            "Add a dead-letter queue for malformed records",
        ),
        decisions=(
            ("deduplicate on (source, source_id) at write time",
             "upstream resends the whole day after outages"),
            ("partition the Parquet output by event date",
             "queries nearly always filter on a date range"),
            ("send malformed records to a dead-letter queue",
             "one bad row was failing the whole batch"),
            ("process the backfill in daily chunks",
             "a single run exceeded the job's memory limit"),
        ),
        errors=(
            E("SchemaMismatch",
              "field '{field}' changed type from int to string in the {entity} feed",
              "the nightly {job} run", "casting {field} at ingestion and alerting on new fields"),
            E("JSONDecodeError", "Expecting value: line 1 column 1 (char 0)",
              "an empty payload from the {entity} source",
              "routing empty messages to the dead-letter queue"),
            E("DuplicateKey", "{n2} duplicate {entity} records in one source_id batch",
              "a replay after an upstream outage", "deduplicating on (source, source_id)"),
        ),
        patterns=(
            ("upstream feeds change field types without notice", ("{field}", "{job}", "{module}")),
            ("whole-batch failures caused by a single bad record", ("{job}", "{function}()")),
        ),
        summaries=(
            "Built ingestion of {entity} events into {table} with deduplication, a dead-letter "
            "queue and date-partitioned Parquet output",
            "Backfilled {n} days of {entity} data through {job} and fixed schema drift in the "
            "{field} field",
            "Made the {job} data ingestion idempotent; replays no longer create duplicate {entity} "
            "records",
        ),
        key_events=("ingestion_job_created", "backfill_completed", "dedup_added", "dlq_added"),
        outcomes=("{entity} data loaded into {table}", "backfill complete", "no duplicate records"),
        next_steps=("add data quality checks on {field}", "alert when the dead-letter queue grows",
                    "document the {entity} feed contract with upstream"),
    ),
    Topic(
        key="pool_incident",
        label="Connection pool incident",
        phrase="database connection pool exhaustion in {service}",
        tasks=(
            "Investigate database connection pool exhaustion in {service}",
            "Find connections leaked by {function}()",
            "Raise the pool size and add pool wait-time metrics",
            "Add a circuit breaker around the payment provider",
            "Write the postmortem for the pool exhaustion incident",
            "Move {job} off the primary database",
        ),
        decisions=(
            ("cap the pool at 20 connections with 10 overflow per worker",
             "the database allows 300 connections across all workers"),
            ("release connections before calling the payment provider",
             "slow provider calls held connections for seconds"),
            ("run {job} against the read replica",
             "the batch job was competing with API traffic for connections"),
            ("add a 5 s statement timeout", "runaway queries were pinning connections"),
        ),
        errors=(
            E("TimeoutError",
              "QueuePool limit of size 20 overflow 10 reached, connection timed out, timeout 30.00",
              "{function}() under peak load in {service}",
              "releasing connections before external calls"),
            E("OperationalError",
              "FATAL: remaining connection slots are reserved for non-replication superuser "
              "connections",
              "{job} starting while API traffic peaked", "moving {job} to the read replica"),
        ),
        patterns=(
            ("connections held across slow external calls",
             ("{function}()", "{module}", "payment_provider.charge()")),
            ("pool exhaustion at the top of every hour when {job} starts", ("{job}", "{service}")),
        ),
        summaries=(
            "Investigated database connection pool exhaustion in {service}: connections were held "
            "during slow payment provider calls; released them early and added pool metrics",
            "Mitigated QueuePool timeouts in {service} by moving {job} to the read replica and "
            "capping the pool size per worker",
            "Wrote the postmortem for the connection pool incident in {service} and added alerts "
            "on "
            "pool wait time",
        ),
        key_events=("incident_opened", "leak_found", "pool_resized", "postmortem_written"),
        outcomes=("pool timeouts stopped", "pool metrics on the dashboard", "incident resolved"),
        next_steps=("load test the new pool settings", "alert on pool wait time",
                    "review other services for connections held across external calls"),
    ),
)
"""The backend and infrastructure topics, in a fixed order.

Example:
    >>> BACKEND_TOPICS[0].key
    'migration'
"""

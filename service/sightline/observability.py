"""Structured JSON logs (structlog) and Prometheus metrics shared by the API and the worker."""

from __future__ import annotations

import logging
import sys
from uuid import UUID

import structlog
from prometheus_client import Counter, Histogram

REQUESTS = Counter("sightline_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "sightline_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
# Scheduled jobs run organisation by organisation: one that fails is rolled back, logged and counted here,
# and the pass goes on with the next. Rows a job cannot compute are skipped (the rest of the organisation
# is still done) and counted apart.
JOB_FAILURES = Counter(
    "sightline_job_failures_total", "Organisations whose scheduled job failed and was skipped in a pass", ["job"]
)
JOB_SKIPPED_ROWS = Counter(
    "sightline_job_skipped_rows_total", "Stored rows a scheduled job could not compute and skipped", ["job"]
)


def skip_row(job: str, *, org_id: UUID, error: BaseException | None = None, **ids: UUID) -> None:
    """Log (with `error`, else the exception being handled) and count a stored row a scheduled job cannot
    compute, e.g. a date written before input was bounded; the job goes on with the organisation's other rows."""
    JOB_SKIPPED_ROWS.labels(job).inc()
    structlog.get_logger("sightline.worker").error(
        "job_skipped_row",
        job=job,
        org_id=str(org_id),
        exc_info=error or True,
        **{name: str(value) for name, value in ids.items()},
    )


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )

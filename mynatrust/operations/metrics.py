"""Prometheus metrics: request counts and latencies (RequestMetricsMiddleware), plus gauges that
apps plug in and that are read at each scrape::

    from mynatrust.operations import metrics

    metrics.register_gauge("mynatrust_audit_backlog", "Audit events not yet sealed.", unsealed_count)
    # or several labelled values:
    metrics.register_gauge("mynatrust_delegations", "Delegations by status.", lambda: {("active",): 12},
                           labels=("status",))

Counters an app increments itself (validity answers by status…) come from ``metrics.counter``.

Served at /metrics to the maintenance role (signed in with the second factor) or to a client with
``Authorization: Bearer <METRICS_TOKEN>``. Several gunicorn workers: set PROMETHEUS_MULTIPROC_DIR
(an empty directory, before the workers start) so that counters add up across workers; see
docs/runbook.md.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

GaugeValue = float | int | dict[tuple[str, ...], float | int]

REQUESTS = Counter(
    "mynatrust_http_requests_total", "HTTP requests answered, by method, view and status.", ["method", "view", "status"]
)
LATENCY = Histogram(
    "mynatrust_http_request_duration_seconds",
    "Time from the first middleware to the response, by view.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

_gauges: dict[str, tuple[str, tuple[str, ...], Callable[[], GaugeValue]]] = {}


def register_gauge(
    name: str, documentation: str, func: Callable[[], GaugeValue], *, labels: Iterable[str] = ()
) -> None:
    """A gauge computed at scrape time by ``func``: a number, or {label values: number}."""
    _gauges[name] = (documentation, tuple(labels), func)


def unregister_gauge(name: str) -> None:
    _gauges.pop(name, None)


def counter(name: str, documentation: str, labels: Iterable[str] = ()) -> Counter:
    """A counter for an app to increment (define it once, at module level)."""
    return Counter(name, documentation, list(labels))


class _PluggedGauges(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (documentation, labels, func) in list(_gauges.items()):
            try:
                value = func()
            except Exception:  # one broken gauge must not hide the others
                log.exception("gauge %s failed", name)
                continue
            family = GaugeMetricFamily(name, documentation, labels=list(labels) if labels else None)
            if isinstance(value, dict):
                for label_values, number in value.items():
                    family.add_metric(list(label_values), float(number))
            else:
                family.add_metric([], float(value))
            yield family


_plugged = _PluggedGauges()
REGISTRY.register(_plugged)


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_plugged)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


CONTENT_TYPE = CONTENT_TYPE_LATEST


class RequestMetricsMiddleware:
    """Counts every response and its latency, labelled by the resolved view (bounded cardinality)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match: Any = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None and match.view_name else "unresolved"
        if view.startswith("admin:"):
            view = "admin"  # one label for the whole admin
        method = request.method if request.method in ("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS") else "other"
        labels = (method, view, response.status_code)
        children = _children.get(labels)
        if children is None:
            if len(_children) >= 4096:  # views and statuses are bounded; this is a safety net
                _children.clear()
            children = _children[labels] = (REQUESTS.labels(method, view, str(labels[2])), LATENCY.labels(view))
        children[0].inc()
        children[1].observe(time.perf_counter() - started)
        return response


# The metrics' children by label values: prometheus_client checks and locks at each labels() call,
# which the busiest path pays at every request.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

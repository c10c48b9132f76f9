"""/healthz through the health-check registry; /metrics for the maintenance role or a bearer token."""

from __future__ import annotations

import pytest

from conftest import make_staff, otp_login
from mynatrust.operations import health, metrics

pytestmark = pytest.mark.django_db


@pytest.fixture
def extra_check():
    """Registers checks for one test only, then puts back the registry as the apps left it."""
    before = health.registered()

    def add(name, func):
        health.register(name, func)

    yield add
    for name in set(health.registered()) - set(before):
        health.unregister(name)
    for name, func in before.items():
        health.register(name, func)


@pytest.fixture
def only_database(extra_check):
    for name in set(health.registered()) - {"database"}:
        health.unregister(name)


def test_healthz_reports_every_registered_check(client, only_database, extra_check):
    extra_check("audit_backlog", lambda: health.WARN)
    extra_check("revocation_data", lambda: True)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "audit_backlog": "warn", "revocation_data": "ok"},
    }


@pytest.mark.parametrize("failing", [lambda: health.ERROR, lambda: False, lambda: 1 / 0, lambda: "nonsense"])
def test_one_failing_check_makes_the_host_unhealthy_without_a_500(client, only_database, extra_check, failing):
    extra_check("key_files", failing)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["key_files"] == "error"


def test_metrics_need_the_maintenance_role(client):
    assert client.get("/metrics").status_code == 302
    otp_login(client, make_staff("auditor", "auditor@staff.example.jp"))
    assert client.get("/metrics").status_code == 403


def test_the_maintenance_role_reads_request_counts_and_latencies(client):
    otp_login(client, make_staff("maintenance", "maint@staff.example.jp"))
    client.get("/repository/")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert 'mynatrust_http_requests_total{method="GET",status="200",view="repository:index"}' in body
    assert 'mynatrust_http_request_duration_seconds_bucket{le="0.005",view="repository:index"}' in body


def test_a_bearer_token_opens_metrics_to_prometheus(client, settings):
    settings.METRICS_TOKEN = "s3cret-token-for-prometheus"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus").status_code == 200
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")


def test_no_token_configured_means_no_token_works(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_apps_plug_in_gauges(client, settings):
    settings.METRICS_TOKEN = "t0ken-for-the-test"
    metrics.register_gauge("mynatrust_test_backlog", "Unsealed audit events.", lambda: 7)
    metrics.register_gauge(
        "mynatrust_test_answers", "Answers by status.", lambda: {("valid",): 3, ("revoked",): 1}, labels=("status",)
    )
    metrics.register_gauge("mynatrust_test_broken", "Broken.", lambda: 1 / 0)
    try:
        body = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t0ken-for-the-test").content.decode()
    finally:
        for name in ("mynatrust_test_backlog", "mynatrust_test_answers", "mynatrust_test_broken"):
            metrics.unregister_gauge(name)
    assert "mynatrust_test_backlog 7.0" in body
    assert 'mynatrust_test_answers{status="valid"} 3.0' in body
    assert "mynatrust_test_broken" not in body

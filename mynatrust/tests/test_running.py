"""The service as production runs it: gunicorn with the production settings on PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from audit.models import AuditEvent
from mynatrust import processes

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.django_db
def test_start_and_stop_of_a_process_are_audit_events(monkeypatch):
    monkeypatch.setattr(processes, "_started", False)
    processes.process_started()
    processes.process_started()  # idempotent per process
    processes.process_stopping()
    types = list(AuditEvent.objects.values_list("event_type", flat=True))
    assert types.count("system.start") == 1 and types.count("system.stop") == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_with_production_settings_and_records_start_and_stop():
    if connection.vendor != "postgresql":
        pytest.skip("production runs on PostgreSQL")
    db = connection.settings_dict
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))},
        "MYNATRUST_PRODUCTION": "true",
        "SECRET_KEY": "gunicorn-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESS_LOG": "-",
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("AUDIT_")})
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "mynatrust.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = b""
        for _ in range(100):
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}
                )
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 (loopback)
                    body = response.read()
                    hsts = response.headers["Strict-Transport-Security"]
                break
            except OSError:
                time.sleep(0.1)
        assert b'"database": "ok"' in body
        assert "max-age=" in hsts
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, output
    types = list(AuditEvent.objects.values_list("event_type", flat=True))
    assert types.count("system.start") >= 1, output
    assert types.count("system.stop") == types.count("system.start"), output


@pytest.mark.parametrize(
    ("unsafe", "told"),
    [
        ({"ALLOWED_HOSTS": ""}, "環境変数 ALLOWED_HOSTS が必要です"),
        ({"DB_CONN_MAX_AGE": "sixty"}, "環境変数 DB_CONN_MAX_AGE の値を読めません（整数を指定してください）"),
        ({"DATABASE_URL": "postgres://u:pw-not-shown@db:port/x"}, "環境変数 DATABASE_URL の形式を読めません"),
        ({"DATABASE_URL": "pgsql-typo://u:pw-not-shown@db/x"}, "環境変数 DATABASE_URL の形式を読めません"),
    ],
)
def test_gunicorn_refuses_unsafe_settings_with_one_message_and_no_traceback(unsafe, told):
    """An operator who starts the service with a missing or unsafe production setting reads why,
    once, in Japanese: not a traceback from every worker that tried to load the settings."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))},
        "MYNATRUST_PRODUCTION": "true",
        "SECRET_KEY": "gunicorn-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/never_opened",
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "GUNICORN_WORKERS": "3",
        **unsafe,
    }
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "mynatrust.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output and "Booting worker" not in output, output
    assert output.count(told) == 1, output
    assert "起動できません" in output and "pw-not-shown" not in output, output

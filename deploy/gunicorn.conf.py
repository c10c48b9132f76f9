"""gunicorn configuration: gunicorn -c deploy/gunicorn.conf.py mynatrust.wsgi"""

import multiprocessing
import os
import subprocess
import sys

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Sync workers: threads of one process would fill the moments a worker waits for its commit, but
# take turns at the interpreter's lock; measured with two threads per worker, every answer's p99
# grew by half or more (docs/validity-api.md).
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
limit_request_line = 8190
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# Client address, request ID, request line, status, size, duration in microseconds.
access_log_format = '%({x-forwarded-for}i)s %(h)s [%(t)s] %({x-request-id}o)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s"'


def on_starting(server):
    """Before any worker: the settings must load. A missing or unreadable setting is told once, in
    one line, rather than as a traceback from every worker that tries. A separate process, so that
    the master keeps no settings of its own and a reload (HUP) reads them afresh."""
    done = subprocess.run([sys.executable, "-m", "mynatrust.lib.environment"], check=False)
    if done.returncode:
        raise SystemExit(done.returncode)


def worker_exit(server, worker):
    try:
        from mynatrust.processes import process_stopping

        process_stopping()
    except Exception:  # noqa: BLE001, S110  (Django may not have loaded in a failed worker)
        pass

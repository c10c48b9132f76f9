"""Soak: mixed load against gunicorn with the production settings, then the audit chain verified.

    .venv/bin/python bench/soak.py                      # 10 minutes, 4 workers, 6 clients
    .venv/bin/python bench/soak.py --minutes 1 --workers 2 --clients 3 --uploads 12

Needs PostgreSQL (DATABASE_URL's server; works in its own database, ``mynatrust_soak`` by default,
created, migrated and dropped here) and Redis on 127.0.0.1:6379 (db 5, keys under a prefix of this
run). gunicorn runs ``deploy/gunicorn.conf.py`` with MYNATRUST_PRODUCTION=true, behind nothing:
the clients send the headers the TLS proxy adds. The audit sequencer runs as production runs it:
in each worker after commits (``--sealer thread``, the default) or as one ``audit_seal --loop``
process beside workers with AUDIT_SEALER=off (``--sealer loop``).

Set-up (not timed): a subscriber with delegations of every validity status (valid, not yet valid,
expired, revoked, superseded, and some still awaiting signatures), a recipient organisation with an
API key, and ``--uploads`` finalised delegations whose PDFs the test PKI's representative and agent
have signed (the test PKI root is trusted as the demo trusts it). Worker recycling
(GUNICORN_MAX_REQUESTS) is off so that each worker's memory can be followed from start to end.

Load: ``--clients`` processes, each sending one request at a time, of four kinds:
``api`` (the validity API with the key, JSON and sometimes JWS, over the stored IDs and unknown
ones; every answer's status is checked), ``member`` (signed-in subscriber pages), ``public``
(public pages) and ``upload`` (the signed PDFs, principal then agent, spread over the run).

Printed: requests/s, p50 and p99 per kind, 5xx and other unexpected answers, each worker's RSS
at the start (after a warm-up), the middle and the end with its growth, that every uploaded
delegation is active with both signed files and their audit events, and ``audit_verify`` over the
whole chain afterwards. ``--json PATH`` writes the same figures for a test to check.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.procs import children, rss_mb  # noqa: E402

PY = sys.executable
MEMBER = "soak@subscriber.example.jp"
KINDS = ("api", "member", "public", "upload")
WEIGHTS = {"api": 70, "member": 15, "public": 15}
PUBLIC_PAGES = (
    "/",
    "/repository/",
    "/repository/notices/",
    "/app/login/",
    "/recipient/login/",
    "/api/v1/openapi.json",
    "/.well-known/jwks.json",
    "/healthz",
)


# --- the service -------------------------------------------------------------------------------------
@dataclass
class Service:
    """One database, its keys and test PKI, and gunicorn (plus the sequencer) serving it."""

    database_url: str
    port: int
    workers: int
    tmp: Path
    sealer: str = "thread"
    redis_db: int = 5
    gunicorn: subprocess.Popen[bytes] | None = None
    sequencer: subprocess.Popen[bytes] | None = None
    world: dict[str, Any] = field(default_factory=dict)  # what prepare() made, for the clients

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, *, production: bool = True) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "AUDIT_"))}
        env = {
            **keep,
            "DJANGO_SETTINGS_MODULE": "mynatrust.settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "soak-only-" + "s" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CACHE_URL": f"rediscache://127.0.0.1:6379/{self.redis_db}",
            "SERVICE_BASE_URL": "https://127.0.0.1",
            "AUDIT_CHECKPOINT_KEY_PATH": str(self.tmp / "audit-checkpoint.pem"),
            "AUDIT_SEALER": "off" if self.sealer == "loop" or not production else "thread",
            "VALIDITY_SIGNING_KEY_FILE": str(self.tmp / "answer-key.pem"),
            # The limits would answer 429 to a load from one address; they are not what is measured.
            "VALIDITY_RATE_PER_KEY": "100000000/60",
            "VALIDITY_RATE_PER_IP": "100000000/60",
            "VALIDITY_UNKNOWN_LIMIT": "100000000/60",
            "STATIC_ROOT": str(self.tmp / "static"),
            "SIGNATURE_REVOCATION_SOURCE": "crl",
            "SIGNATURE_TEST_PKI_DIR": str(self.tmp / "testpki"),
            "EMAIL_SMTP": "false",  # no relay here: notices go to the console backend (discarded)
            "LOG_LEVEL": "WARNING",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(self.workers),
            "GUNICORN_MAX_REQUESTS": "0",
            "GUNICORN_ACCESS_LOG": "-",
            "MYNATRUST_PRODUCTION": "true" if production else "false",
            "DEMO_MODE": "false" if production else "true",
        }
        return env

    def manage(self, *args: str, production: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env(production=production),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if check and done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return done

    def prepare(self, uploads: int, *, each: int = 4) -> dict[str, Any]:
        """Migrate, make the keys, and create the world; returns what the clients need."""
        self.manage("migrate", "-v0", "--skip-checks")
        self.manage("collectstatic", "--no-input", "-v0", production=True)
        self.manage("audit_key", "--generate", str(self.tmp / "audit-checkpoint.pem"))
        self.manage("validity_signing_key", "create", str(self.tmp / "answer-key.pem"))
        out = self.tmp / "world"
        out.mkdir()
        self.manage(
            "shell",
            "-c",
            SETUP.replace("@OUT@", str(out))
            .replace("@UPLOADS@", str(uploads))
            .replace("@MEMBER@", MEMBER)
            .replace("@EACH@", str(each)),
        )
        self.world = json.loads((out / "world.json").read_text())
        self.world["upload_dir"] = str(out)
        return self.world

    @property
    def log(self) -> Path:
        return self.tmp / "gunicorn.log"

    def start(self) -> None:
        env, log = self.env(), self.log
        with log.open("ab") as fh:
            self.gunicorn = subprocess.Popen(
                [PY, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "mynatrust.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,  # the access log and the console mail backend
                stderr=fh,
            )
            if self.sealer == "loop":
                self.sequencer = subprocess.Popen(
                    [PY, "manage.py", "audit_seal", "--loop"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=fh,
                )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
            with suppress(OSError):
                if (
                    request(self.port, "GET", "/healthz", timeout=2)[0] == 200
                    and len(self.worker_pids()) == self.workers
                ):
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not come up:\n{log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        return children(self.gunicorn.pid) if self.gunicorn else []

    def stop(self) -> None:
        for proc in (self.sequencer, self.gunicorn):
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()  # gunicorn's workers leave when their master is gone
                proc.wait(timeout=10)

    def seal_and_verify(self) -> dict[str, Any]:
        """Seal what the stopped service left, then verify the whole chain as an auditor would."""
        self.manage("audit_seal", production=True)
        done = self.manage("audit_verify", production=True, check=False)
        text = (done.stdout + done.stderr).strip()
        found = re.search(r"#(\d+)–#(\d+): 記録 (\d+) 件とチェックポイント (\d+) 件", text)
        return {
            "ok": done.returncode == 0 and "監査ログを検証しました" in text,
            "entries": int(found.group(3)) if found else 0,
            "checkpoints": int(found.group(4)) if found else 0,
            "output": text.splitlines()[-1] if text else "",
        }

    def integrity(self, uploaded: list[str]) -> dict[str, Any]:
        """Every delegation's stored state has its signed files and its audit events; and the
        delegations uploaded during the load are active."""
        done = self.manage("shell", "-c", INTEGRITY.replace("@UPLOADED@", json.dumps(uploaded)), production=True)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


SETUP = """
import json, random
from datetime import date, timedelta
from pathlib import Path
import audit
from conftest import PASSWORD, make_user
from delegations import services, trust
from delegations.models import Delegation
from delegations.signatures.testpki import TestPKI
from delegations.tests.lifecycle import make_active, make_finalised, make_subscriber, signed_pair
from mynatrust.lib import delegation_id as ids
from validity import services as validity_services
from validity.models import RecipientMember, RecipientOrganisation

out = Path("@OUT@")
pki = TestPKI.generate()
pki.save(out.parent / "testpki")
trust.install_demo_anchor(pki.root_der)
trust.import_crl(pki.crl(), actor=audit.SYSTEM)
member = make_user("@MEMBER@", "subscriber")
subscriber = make_subscriber(member)
today = date.today()
ids_by_status = {s: [] for s in ["valid", "not_yet_valid", "expired", "revoked", "superseded", "unknown"]}
for i in range(@EACH@):
    ids_by_status["valid"].append(make_active(subscriber, member, pki).delegation_id)
    later = make_active(subscriber, member, pki, valid_from=today + timedelta(days=30), valid_until=today + timedelta(days=400))
    ids_by_status["not_yet_valid"].append(later.delegation_id)
    ended = make_active(subscriber, member, pki)
    # A period that has ended: written to the row, as the calendar would have done it.
    Delegation.objects.filter(pk=ended.pk).update(valid_from=today - timedelta(days=400), valid_until=today - timedelta(days=1))
    ids_by_status["expired"].append(ended.delegation_id)
    gone = make_active(subscriber, member, pki)
    services.revoke_delegation(gone, actor=member, reason="soak")
    ids_by_status["revoked"].append(gone.delegation_id)
    old = make_active(subscriber, member, pki)
    draft = services.start_update(old, actor=member)
    new = services.finalise_draft(draft, actor=member)
    principal, agent = signed_pair(new, pki)
    services.submit_signed_file(new, principal, actor=member, role="principal")
    services.submit_signed_file(new, agent, actor=member, role="agent")
    ids_by_status["superseded"].append(old.delegation_id)
    ids_by_status["valid"].append(Delegation.objects.get(pk=new.pk).delegation_id)
    ids_by_status["unknown"].append(make_finalised(subscriber, member).delegation_id)  # awaiting signatures
    ids_by_status["unknown"].append(ids.generate())  # never issued
detail_ids = [d.public_id for d in Delegation.objects.filter(subscriber=subscriber)[:10]]
uploads = []
for i in range(@UPLOADS@):
    d = make_finalised(subscriber, member)
    principal, agent = signed_pair(d, pki)
    (out / f"{i}-principal.pdf").write_bytes(principal)
    (out / f"{i}-agent.pdf").write_bytes(agent)
    uploads.append(d.public_id)
user = make_user("soak@recipient.example.jp", "recipient")
org = RecipientOrganisation.objects.create(name="負荷試験株式会社", address="東京都", representative_name="a",
    representative_address="b", declarant_name="c", status="approved")
RecipientMember.objects.create(organisation=org, user=user, role="applicant")
key, plaintext = validity_services.create_api_key(org, label="soak", actor=user)
(out / "world.json").write_text(json.dumps({"api_key": plaintext, "ids": ids_by_status, "details": detail_ids,
    "uploads": uploads, "member": member.email, "password": PASSWORD}))
"""

INTEGRITY = """
import json
from audit.models import AuditEvent
from delegations.models import Delegation, SignedFile
uploaded = set(json.loads('@UPLOADED@'))
stored = {(e.subject_id, e.data.get("role")) for e in AuditEvent.objects.filter(event_type="delegations.signed_file.stored")}
files = list(SignedFile.objects.select_related("delegation"))
orphans = [f.pk for f in files if (str(getattr(f.delegation, "audit_id", None) or f.delegation.pk), f.role) not in stored]
by_delegation = {}
for f in files:
    by_delegation.setdefault(f.delegation_id, set()).add(f.role)
half = [d.public_id for d in Delegation.objects.filter(status__in=["submitted", "active", "superseded", "revoked"])
        if by_delegation.get(d.pk) != {"principal", "agent"}]
active = set(Delegation.objects.filter(status="active").values_list("public_id", flat=True))
print(json.dumps({"signed_files": len(files), "files_without_event": len(orphans), "states_without_files": len(half),
    "uploaded": len(uploaded), "uploaded_active": len(uploaded & active)}))
"""


def server_errors(log: Path) -> list[str]:
    """Each logged error with the exception that ended its traceback."""
    found: list[str] = []
    lines = log.read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        if " ERROR " in line or " CRITICAL " in line:
            end = next((x for x in lines[i + 1 : i + 200] if x and not x.startswith((" ", "Traceback"))), "")
            found.append(f"{line[:160]} | {end[:200]}")
    return found


# --- the clients -------------------------------------------------------------------------------------
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, list[str]], bytes]:
    """One request on a fresh connection (gunicorn's sync workers close each one)."""
    conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={**PROXY_HEADERS, **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        got: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            got.setdefault(name.lower(), []).append(value)
        return response.status, got, data
    finally:
        conn.close()


class Browser:
    """A signed-in subscriber member: cookies and CSRF token, as a browser keeps them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, *, body: bytes | None = None, content_type: str = "") -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if method == "POST":
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
            headers["Content-Type"] = content_type
        status, got, data = request(self.port, method, path, headers=headers, body=body)
        for cookie in got.get("set-cookie", []):
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, data

    def token(self, page: bytes) -> str:
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not found:
            raise RuntimeError("no CSRF token on the page")
        return found.group(1).decode()

    def login(self, email: str, password: str) -> None:
        status, page = self.send("GET", "/app/login/")
        form = {"csrfmiddlewaretoken": self.token(page), "username": email, "password": password}
        status, _ = self.send(
            "POST", "/app/login/", body=_urlencode(form), content_type="application/x-www-form-urlencoded"
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"sign-in failed: {status}")

    def upload(self, public_id: str, role: str, data: bytes) -> tuple[int, bytes]:
        status, page = self.send("GET", f"/app/delegations/{public_id}/")
        if status != 200:
            return status, page
        boundary = uuid.uuid4().hex
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'.encode(),
                self.token(page).encode(),
                f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{role}.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n".encode(),
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        return self.send(
            "POST",
            f"/app/delegations/{public_id}/upload/{role}/",
            body=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )


def _urlencode(form: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(form).encode()


@dataclass
class Plan:
    """What every client process is told: where, what, and when."""

    port: int
    world: dict[str, Any]
    until: float  # the end of the run (wall clock)
    due_times: list[float]  # when each upload falls due
    measure_from: float  # the end of the warm-up


def client(index: int, plan: Plan, next_upload: Any, out: Any) -> None:
    """One client process: one request at a time until ``plan.until``; results to ``out``."""
    try:
        out.put(_client(index, plan, next_upload))
    except Exception as err:  # noqa: BLE001  (reported by the parent)
        out.put({"times": {}, "statuses": {}, "problems": [f"client {index} stopped: {err!r}"], "uploaded": []})


def _client(index: int, plan: Plan, next_upload: Any) -> dict[str, Any]:
    port, world, until, due_times, measure_from = plan.port, plan.world, plan.until, plan.due_times, plan.measure_from
    rng = random.Random(index)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    statuses: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    problems: list[str] = []
    uploaded: list[str] = []
    browser = Browser(port)
    browser.login(world["member"], world["password"])
    answers = [(status, did) for status, dids in world["ids"].items() for did in dids]
    member_pages = ["/app/", "/app/info/", "/app/delegations/", "/app/delegations/?status=active"] + [
        f"/app/delegations/{pid}/" for pid in world["details"]
    ]
    auth = {"Authorization": f"Bearer {world['api_key']}"}
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())

    def note(kind: str, status: int, began: float, what: str) -> None:
        if time.time() >= measure_from:  # every answer's status counts; times only after the warm-up
            times[kind].append((time.perf_counter() - began) * 1000)
        statuses[kind][str(status)] = statuses[kind].get(str(status), 0) + 1
        if status >= 500 and len(problems) < 20:
            problems.append(f"{status} {what}")

    while time.time() < until:
        kind = rng.choices(kinds, weights)[0]
        # Uploads are spread evenly over the run: the next one is claimed when it falls due.
        with next_upload.get_lock():
            i = next_upload.value
            due = i < len(due_times) and time.time() >= due_times[i]
            if due:
                next_upload.value += 1
        began = time.perf_counter()
        try:
            if due:
                kind, public_id = "upload", world["uploads"][i]
                for role in ("principal", "agent"):
                    began = time.perf_counter()
                    data = Path(world["upload_dir"], f"{i}-{role}.pdf").read_bytes()
                    status, body = browser.upload(public_id, role, data)
                    ok = status == 302
                    note(kind, status if ok or status >= 500 else 299, began, f"upload {public_id} {role}")
                    if not ok and status < 500 and len(problems) < 20:
                        problems.append(f"upload {public_id} {role}: {status}")
                uploaded.append(public_id)
            elif kind == "api":
                expected, did = rng.choice(answers)
                jws = rng.random() < 0.2
                headers = {**auth, **({"Accept": "application/jose"} if jws else {})}
                status, _, body = request(port, "GET", f"/api/v1/delegations/{did}/validity", headers=headers)
                if status == 200 and not jws:
                    got = json.loads(body).get("status")
                    wanted = "valid" if expected == "valid" else expected
                    if got != wanted and len(problems) < 20:
                        problems.append(f"answer for a {expected} ID was {got}")
                        status = 299  # counted as unexpected
                note(kind, status, began, f"api {did}")
            elif kind == "member":
                path = rng.choice(member_pages)
                status, _ = browser.send("GET", path)
                note(kind, status, began, path)
            else:
                path = rng.choice(PUBLIC_PAGES)
                status, _, _ = request(port, "GET", path)
                note(kind, status, began, path)
        except OSError as err:
            times[kind].append((time.perf_counter() - began) * 1000)
            statuses[kind]["error"] = statuses[kind].get("error", 0) + 1
            if len(problems) < 20:
                problems.append(f"{kind}: {err!r}")
    return {"times": times, "statuses": statuses, "problems": problems, "uploaded": uploaded}


# --- the run -----------------------------------------------------------------------------------------
def _admin_args(server: str) -> list[str]:
    from urllib.parse import urlsplit

    parts = urlsplit(server)
    return ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]


def drop_database(server: str, name: str) -> None:
    subprocess.run(["dropdb", *_admin_args(server), "--if-exists", "--force", name], check=False)


@contextmanager
def database(server: str, name: str) -> Iterator[str]:
    """A fresh database ``name`` on ``server`` (a URL without the database), dropped afterwards."""
    drop_database(server, name)
    subprocess.run(["createdb", *_admin_args(server), name], check=True)
    try:
        yield f"{server}/{name}"
    finally:
        drop_database(server, name)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mynatrust").rsplit("/", 1)[0]
    duration = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp, database(server, args.database) as url:
        service = Service(url, args.port, args.workers, Path(tmp), sealer=args.sealer, redis_db=args.redis_db)
        began = time.monotonic()
        world = service.prepare(args.uploads)
        setup_seconds = time.monotonic() - began
        log = service.log
        try:
            service.start()
            memory: dict[str, dict[int, float | None]] = {}
            warmup = min(30.0, max(15.0, duration * 0.05))
            start = time.time()
            until = start + warmup + duration
            # A few uploads in the warm-up, so that every worker has verified signatures before its
            # memory is first read; the rest evenly over the run.
            warm = min(2 * args.workers, len(world["uploads"]) // 4)
            rest = len(world["uploads"]) - warm
            due_times = [start + i * warmup / max(1, warm) for i in range(warm)] + [
                start + warmup + i * duration / max(1, rest) for i in range(rest)
            ]
            next_upload = multiprocessing.Value("i", 0)
            results: multiprocessing.Queue[dict[str, Any]] = multiprocessing.Queue()
            procs = [
                multiprocessing.Process(
                    target=client,
                    args=(i, Plan(args.port, world, until, due_times, start + warmup), next_upload, results),
                    daemon=True,
                )
                for i in range(args.clients)
            ]
            for proc in procs:
                proc.start()
            time.sleep(warmup)
            pids = service.worker_pids()
            memory["start"] = {pid: rss_mb(pid) for pid in pids}
            time.sleep(duration / 2)
            memory["middle"] = {pid: rss_mb(pid) for pid in service.worker_pids()}
            collected = [results.get(timeout=duration + warmup + 600) for _ in procs]
            memory["end"] = {pid: rss_mb(pid) for pid in service.worker_pids()}
            for proc in procs:
                proc.join(timeout=30)
            replaced = sorted(set(pids) ^ set(service.worker_pids()))
        finally:
            service.stop()
        failures = server_errors(log)
        uploaded = [pid for part in collected for pid in part["uploaded"]]
        verified = service.seal_and_verify()
        integrity = service.integrity(uploaded)
    summary: dict[str, Any] = {"kinds": {}, "duration": duration, "workers": args.workers, "clients": args.clients}
    for kind in KINDS:
        times = [t for part in collected for t in part["times"].get(kind, [])]
        statuses: dict[str, int] = {}
        for part in collected:
            for status, count in part["statuses"].get(kind, {}).items():
                statuses[status] = statuses.get(status, 0) + count
        summary["kinds"][kind] = {
            "requests": len(times),
            "rps": len(times) / duration,
            "p50": percentile(times, 0.5),
            "p99": percentile(times, 0.99),
            "statuses": statuses,
        }
    all_statuses = [(s, n) for k in summary["kinds"].values() for s, n in k["statuses"].items()]
    summary["five_xx"] = sum(n for s, n in all_statuses if s.isdigit() and int(s) >= 500)
    summary["connection_errors"] = sum(n for s, n in all_statuses if s == "error")
    summary["unexpected"] = sum(n for s, n in all_statuses if s == "299")
    summary["problems"] = [p for part in collected for p in part["problems"]][:20]
    summary["server_errors_logged"] = failures[:10]
    summary["memory"] = {
        str(pid): {stage: memory[stage].get(pid) for stage in ("start", "middle", "end")} for pid in memory["start"]
    }
    growth = [(m["end"] or 0) - (m["start"] or 0) for m in summary["memory"].values() if m["start"] and m["end"]]
    summary["max_growth_mb"] = max(growth) if growth else float("nan")
    summary["workers_replaced"] = replaced
    summary["audit"] = verified
    summary["integrity"] = integrity
    summary["setup_seconds"] = setup_seconds
    summary["load_average"] = os.getloadavg()
    return summary


def report(summary: dict[str, Any]) -> None:
    d = summary["duration"]
    print(
        f"gunicorn {summary['workers']} sync workers (production settings, PostgreSQL, Redis), "
        f"{summary['clients']} clients, {d / 60:.1f} min after a warm-up; set-up {summary['setup_seconds']:.0f} s; "
        f"load average at the end {' '.join(f'{x:.1f}' for x in summary['load_average'])} on {os.cpu_count()} cores"
    )
    print(f"{'kind':<10}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    total = 0
    for kind, k in summary["kinds"].items():
        total += k["requests"]
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(k["statuses"].items()))
        print(f"{kind:<10}{k['requests']:>10}{k['rps']:>9.1f}{k['p50']:>9.1f}{k['p99']:>9.1f}  {statuses}")
    print(f"{'all':<10}{total:>10}{total / d:>9.1f}")
    print(
        f"5xx: {summary['five_xx']}; connection errors: {summary['connection_errors']}; "
        f"wrong answers or refused uploads: {summary['unexpected']}"
    )
    for problem in summary["problems"]:
        print(f"  {problem}")
    for line in summary["server_errors_logged"]:
        print(f"  server log: {line}")
    print("worker RSS (MB)      start   middle      end   growth")
    for pid, m in summary["memory"].items():
        start, middle, end = (m[s] for s in ("start", "middle", "end"))
        grown = f"{end - start:+8.1f}" if start and end else "     n/a"
        print(f"  pid {pid:<10}{start or 0:>9.1f}{middle or 0:>9.1f}{end or 0:>9.1f} {grown}")
    print(
        f"  largest growth {summary['max_growth_mb']:+.1f} MB; workers replaced during the run: {summary['workers_replaced'] or 'none'}"
    )
    i = summary["integrity"]
    print(
        f"uploads: {i['uploaded_active']} of {i['uploaded']} delegations uploaded during the load are active; "
        f"{i['signed_files']} signed files, {i['files_without_event']} without their audit event, "
        f"{i['states_without_files']} stored states without both files"
    )
    a = summary["audit"]
    print(
        f"audit_verify (whole chain): {'passed' if a['ok'] else 'FAILED'}, {a['entries']} events, {a['checkpoints']} checkpoints"
    )
    print(f"  {a['output']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=6, help="client processes, one request at a time each")
    parser.add_argument("--uploads", type=int, default=120, help="delegations uploaded (two signed files each)")
    parser.add_argument("--sealer", choices=["thread", "loop"], default="thread")
    parser.add_argument("--port", type=int, default=8795)
    parser.add_argument("--database", default="mynatrust_soak")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    summary = run(args)
    report(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    healthy = (
        summary["five_xx"] == 0
        and summary["connection_errors"] == 0
        and summary["audit"]["ok"]
        and summary["integrity"]["files_without_event"] == 0
        and summary["integrity"]["states_without_files"] == 0
    )
    sys.exit(0 if healthy else 1)


if __name__ == "__main__":
    main()

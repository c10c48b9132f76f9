"""GET /api/v1/delegations/<id>/validity: keys, statuses, digests, errors, signed answers, audit."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent
from mynatrust.lib import delegation_id as ids
from validity import ratelimit, services
from validity.answer import JST
from validity.models import ApiKey

from .conftest import facts, make_organisation

_spec = importlib.util.spec_from_file_location("verify_answer", settings.BASE_DIR / "docs/examples/verify_answer.py")
assert _spec and _spec.loader
verify_answer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verify_answer)


def rejections() -> int:
    """Rejected keys counted (one event per client address and minute, with its count)."""
    from datetime import timedelta

    from django.utils import timezone

    from audit import tally

    tally.flush(now=timezone.now() + timedelta(minutes=2))
    return sum(e.data["count"] for e in AuditEvent.objects.filter(event_type="validity.api_key_rejected"))


def url(delegation_id: str) -> str:
    return f"/api/v1/delegations/{delegation_id}/validity"


def ask(client, delegation_id: str, key: str | None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.get(url(delegation_id), extra.pop("data", None), **headers, **extra)


# --- keys -----------------------------------------------------------------------------------------


def test_without_a_key_it_answers_401_json_and_names_the_scheme(client, db):
    response = ask(client, ids.generate(), None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"]["code"] == "missing_api_key"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer mtv_000000000000_" + "0" * 64,  # well-formed, never issued
        "Bearer not-a-key",  # malformed
        "Basic dXNlcjpwYXNz",  # another scheme
    ],
)
def test_a_wrong_key_is_refused_and_recorded(client, api_key, header):
    response = client.get(url(ids.generate()), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert rejections() == 1


def test_a_key_with_the_right_prefix_but_a_wrong_secret_is_refused(client, api_key):
    forged = api_key[:-4] + ("0000" if not api_key.endswith("0000") else "1111")
    assert ask(client, ids.generate(), forged).status_code == 401


def test_a_revoked_key_is_refused(client, api_key, recipient):
    services.revoke_api_key(ApiKey.objects.get(), actor=recipient)
    assert ask(client, ids.generate(), api_key).json()["error"]["code"] == "invalid_api_key"


def test_an_expired_key_is_refused_from_its_expiry_on(client, organisation, recipient):
    expiry = timezone.now() + timedelta(days=1)
    _key, plaintext = services.create_api_key(organisation, label="短期", expires_at=expiry, actor=recipient)
    with time_machine.travel(expiry - timedelta(seconds=1), tick=False):
        assert ask(client, ids.generate(), plaintext).status_code == 200
    with time_machine.travel(expiry, tick=False):
        assert ask(client, ids.generate(), plaintext).status_code == 401


def test_a_suspended_organisation_cannot_use_its_keys(client, api_key, organisation, staff_by_role):
    services.suspend_recipient(organisation, actor=staff_by_role["reception"], reason="契約違反の疑い")
    assert ask(client, ids.generate(), api_key).status_code == 401


def test_key_authentication_costs_one_query_then_none_while_cached(api_key, django_assert_num_queries):
    from validity.auth import authenticate

    with django_assert_num_queries(2):  # the key's row, then its first last-used write
        assert authenticate(f"Bearer {api_key}") is not None
    with django_assert_num_queries(0):  # from the cache
        key = authenticate(f"Bearer {api_key}")
    assert key is not None and key.last_used_at is not None
    assert key.organisation.name == "株式会社受領商事"
    with time_machine.travel(timezone.now() + timedelta(seconds=61)), django_assert_num_queries(1):
        authenticate(f"Bearer {api_key}")  # the last-used time, at most once a minute


def test_a_cached_key_still_needs_its_secret(api_key):
    from validity.auth import authenticate

    assert authenticate(f"Bearer {api_key}") is not None
    assert authenticate(f"Bearer {api_key[:-1]}{'0' if api_key[-1] != '0' else '1'}") is None


@pytest.fixture
def kept_stale(api_key, settings):
    """Put back the row this process kept of the key before a change, as another worker that kept
    it still has it."""
    from validity import auth

    settings.VALIDITY_KEY_CACHE_SECONDS = 3600
    prefix = api_key.rsplit("_", 1)[0]
    assert auth.authenticate(f"Bearer {api_key}") is not None  # kept
    stale = auth._kept[prefix]
    return lambda: auth._kept.__setitem__(prefix, stale)


def _queries() -> int:
    return AuditEvent.objects.filter(event_type="validity.query").count()


def test_a_key_revoked_after_a_worker_kept_it_is_refused_at_its_very_next_request(
    client, api_key, recipient, kept_stale, stored
):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    services.revoke_api_key(ApiKey.objects.get(), actor=recipient)
    before = _queries()
    for typed, data in [(delegation_id, None), ("7K3Q", None), (delegation_id, {"sha": "x"})]:
        kept_stale()
        response = ask(client, typed, api_key, data=data)
        assert response.status_code == 401, typed
        assert response.json()["error"]["code"] == "invalid_api_key"
    # The answer's statement found the key revoked: nothing was answered or recorded as a query.
    assert _queries() == before
    assert rejections() == 3


def test_a_suspended_organisation_is_refused_by_a_worker_that_kept_its_key(
    client, api_key, organisation, staff_by_role, kept_stale
):
    services.suspend_recipient(organisation, actor=staff_by_role["reception"], reason="x")
    kept_stale()
    assert ask(client, ids.generate(), api_key).status_code == 401
    from validity import auth

    prefix = api_key.rsplit("_", 1)[0]
    suspended = auth._kept[prefix]  # this process now keeps the suspended organisation's row
    services.approve_recipient(organisation, actor=staff_by_role["reception"])
    auth._kept[prefix] = suspended  # as another worker still does after the approval
    assert ask(client, ids.generate(), api_key).status_code == 200  # the database is asked before a refusal


def test_a_renamed_organisation_is_named_in_the_event_even_by_a_worker_that_kept_the_old_name(
    client, api_key, organisation, kept_stale
):
    type(organisation).objects.filter(pk=organisation.pk).update(name="株式会社新名称")
    kept_stale()
    response = ask(client, ids.generate(), api_key)
    assert response.status_code == 200 and response.json()["status"] == "unknown"
    event = AuditEvent.objects.filter(event_type="validity.query").latest("id")
    assert event.data["organisation"] == "株式会社新名称"


def test_an_expired_key_kept_by_a_worker_is_refused_from_its_expiry_on(client, api_key, kept_stale):
    ApiKey.objects.update(expires_at=timezone.now() + timedelta(minutes=5))
    kept_stale()
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert ask(client, ids.generate(), api_key).status_code == 401


def test_without_a_cache_keys_are_checked_in_the_database(api_key, settings):
    from validity.auth import authenticate

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert authenticate(f"Bearer {api_key}") is not None


def test_a_session_does_not_replace_the_key(client, recipient, organisation):
    client.force_login(recipient)
    assert ask(client, ids.generate(), None).status_code == 401


# --- answers --------------------------------------------------------------------------------------


def test_an_unknown_id_answers_unknown_and_nothing_else(client, api_key):
    delegation_id = ids.generate()
    response = ask(client, ids.compact(delegation_id).lower(), api_key, data={"sha256": "ab" * 32})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"issuer", "delegation_id", "status", "checked_at"}
    assert body["status"] == "unknown"
    assert body["delegation_id"] == delegation_id


@pytest.mark.parametrize(
    ("clock", "changes", "expected"),
    [
        ("2026-03-31T23:59:59+09:00", {}, "not_yet_valid"),
        ("2026-04-01T00:00:00+09:00", {}, "valid"),
        ("2027-03-31T23:59:59+09:00", {}, "valid"),
        ("2027-04-01T00:00:00+09:00", {}, "expired"),
        ("2026-06-01T10:00:00+09:00", {"revoked_at": datetime(2026, 6, 1, 10, tzinfo=JST)}, "revoked"),
        ("2026-06-01T09:59:59+09:00", {"revoked_at": datetime(2026, 6, 1, 10, tzinfo=JST)}, "valid"),
        (
            "2026-07-01T00:00:00+09:00",
            {"superseded_by": "0000-0000-0000-00", "superseded_at": datetime(2026, 7, 1, tzinfo=JST)},
            "superseded",
        ),
    ],
)
def test_every_status_at_the_right_instant(client, api_key, stored, clock, changes, expected):
    delegation_id = ids.generate()
    stored(facts(delegation_id, **changes))
    with time_machine.travel(datetime.fromisoformat(clock), tick=False):
        body = ask(client, delegation_id, api_key).json()
    assert body["status"] == expected
    assert body["checked_at"] == clock


def test_a_revocation_or_an_update_is_answered_by_the_very_next_query(client, api_key, stored):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    assert ask(client, delegation_id, api_key).json()["status"] in ("valid", "expired")
    stored(facts(delegation_id, revoked_at=timezone.now()))
    assert ask(client, delegation_id, api_key).json()["status"] == "revoked"
    other = ids.generate()
    stored(facts(other, superseded_by=ids.generate(), superseded_at=timezone.now()))
    assert ask(client, other, api_key).json()["status"] == "superseded"


def test_a_known_delegation_is_described_and_the_digest_compared_both_ways(client, api_key, stored):
    delegation_id = ids.generate()
    held = b"%PDF-1.7 signed delegation"
    stored(facts(delegation_id, signed_file_sha256=hashlib.sha256(held).hexdigest()))
    with time_machine.travel(datetime(2026, 5, 1, 9, tzinfo=JST), tick=False):
        same = ask(client, delegation_id, api_key, data={"sha256": hashlib.sha256(held).hexdigest().upper()}).json()
        other = ask(client, delegation_id, api_key, data={"sha256": hashlib.sha256(b"tampered").hexdigest()}).json()
    assert same["status"] == "valid"
    assert same["digest_match"] is True
    assert other["digest_match"] is False
    assert same["principal"] == {"name": "株式会社サンプル", "corporate_number": "7000012050002"}
    assert same["agent"] == {"name": "代理 一郎", "title": "経理部長"}
    assert same["period"]["valid_until"] == "2027-03-31"
    assert same["issuer"] == "https://mynatrust.example.jp"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("7K3Q", "id_bad_length"),
        ("7K3Q-9XWA-2M4P-H!", "id_bad_character"),
        ("7K3Q-9XWA-2M4P-HK", "id_bad_check"),  # the right check symbol is J
        ("----", "id_empty"),
    ],
)
def test_a_malformed_id_is_a_400_that_says_which_problem(client, api_key, typed, code):
    response = ask(client, typed, api_key)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]["ja"] and error["message"]["en"]
    event = AuditEvent.objects.get(event_type="validity.query")
    assert event.data["status"] == "malformed"
    assert event.data["code"] == code


def test_a_malformed_digest_is_a_400(client, api_key):
    response = ask(client, ids.generate(), api_key, data={"sha256": "xyz"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_sha256"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/jose", "application/jose"),
        ("application/json, application/jose;q=0.5", "application/json"),
        ("application/json;q=0.5, application/jose", "application/jose"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),  # a browser
        ("application/jose;q=0, */*", "application/json"),
    ],
)
def test_the_answer_follows_the_accept_header(client, api_key, accept, media_type):
    extra = {"HTTP_ACCEPT": accept} if accept else {}
    response = ask(client, ids.generate(), api_key, **extra)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media_type


def test_other_methods_and_media_types_are_refused_in_json(client, api_key):
    response = client.post(url(ids.generate()), HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    response = ask(client, ids.generate(), api_key, HTTP_ACCEPT="text/csv")
    assert response.status_code == 406


def test_every_query_is_an_audit_event_naming_organisation_id_answer_and_digest_match(
    client, api_key, organisation, stored
):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    ask(client, delegation_id, api_key, data={"sha256": "ab" * 32})
    event = AuditEvent.objects.get(event_type="validity.query")
    assert event.actor_kind == "api_key"
    assert event.subject_type == "delegations.delegation"
    assert event.subject_id == delegation_id
    assert event.data["organisation"] == organisation.name
    assert event.data["delegation_id"] == delegation_id
    assert event.data["status"] in ("valid", "expired", "not_yet_valid")
    assert event.data["digest_match"] is True
    assert event.data["channel"] == "api"


# --- signed answers -------------------------------------------------------------------------------


def test_a_signed_answer_verifies_with_the_published_keys_using_another_library(client, api_key, stored):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    response = ask(client, delegation_id, api_key, HTTP_ACCEPT="application/jose")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jose"
    assert response["Cache-Control"] == "no-store"
    jwks = client.get("/.well-known/jwks.json").json()
    answer = verify_answer.verify(response.content.decode(), jwks)
    assert answer["delegation_id"] == delegation_id
    assert answer["principal"]["name"] == "株式会社サンプル"
    plain = ask(client, delegation_id, api_key).json()
    assert {k: v for k, v in answer.items() if k != "checked_at"} == {
        k: v for k, v in plain.items() if k != "checked_at"
    }


def test_a_tampered_signed_answer_does_not_verify(client, api_key):
    token = ask(client, ids.generate(), api_key, HTTP_ACCEPT="application/jose").content.decode()
    header, payload, signature = token.split(".")
    forged_payload = verify_answer.b64url_decode(payload).replace(b"unknown", b"valid").rstrip(b"=")
    import base64

    forged = ".".join([header, base64.urlsafe_b64encode(forged_payload).decode().rstrip("="), signature])
    with pytest.raises(verify_answer.VerificationError):
        verify_answer.verify(forged, client.get("/.well-known/jwks.json").json())


def test_after_a_rotation_old_and_new_answers_both_verify(client, api_key, settings, signing_keys):
    old_token = ask(client, ids.generate(), api_key, HTTP_ACCEPT="application/jose").content.decode()
    settings.VALIDITY_SIGNING_KEY_FILE = str(signing_keys["previous"])
    settings.VALIDITY_PUBLISHED_KEY_FILES = [str(signing_keys["current"])]
    new_token = ask(client, ids.generate(), api_key, HTTP_ACCEPT="application/jose").content.decode()
    jwks = client.get("/.well-known/jwks.json").json()
    assert len(jwks["keys"]) == 2
    kids = [json.loads(verify_answer.b64url_decode(t.split(".")[0]))["kid"] for t in (old_token, new_token)]
    assert kids[0] != kids[1]
    assert jwks["keys"][0]["kid"] == kids[1]  # the current key comes first
    for token in (old_token, new_token):
        verify_answer.verify(token, jwks)
    # Once the old key is withdrawn, its answers no longer verify against the published set.
    settings.VALIDITY_PUBLISHED_KEY_FILES = []
    with pytest.raises(verify_answer.VerificationError):
        verify_answer.verify(old_token, client.get("/.well-known/jwks.json").json())


def test_the_kid_is_the_rfc7638_thumbprint(client):
    import base64

    jwk = client.get("/.well-known/jwks.json").json()["keys"][0]
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")
    assert jwk["kid"] == thumbprint
    assert jwk["alg"] == "ES256"
    assert "d" not in jwk


def test_without_a_key_file_signed_answers_are_503_and_plain_ones_still_work(client, api_key, settings, tmp_path):
    settings.VALIDITY_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    assert ask(client, ids.generate(), api_key, HTTP_ACCEPT="application/jose").status_code == 503
    assert not AuditEvent.objects.filter(event_type="validity.query").exists()  # no answer, no record
    assert ask(client, ids.generate(), api_key).status_code == 200
    assert client.get("/.well-known/jwks.json").json() == {"keys": []}


def test_another_organisations_key_speaks_for_that_organisation(client, api_key, recipient):
    other = make_organisation(name="別の受領者株式会社")
    member = other.members.get().user
    _key, plaintext = services.create_api_key(other, label="x", actor=member)
    ask(client, ids.generate(), plaintext)
    assert AuditEvent.objects.get(event_type="validity.query").data["organisation"] == "別の受領者株式会社"


def one_statement_or_skip() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("reading and recording in one statement needs PostgreSQL (elsewhere they are two)")


@pytest.fixture
def redis_round_trips(monkeypatch):
    """Counts what is sent to Redis (one packed send is one round trip, a pipeline or a script included)."""
    from redis.connection import AbstractConnection

    sent: list[int] = []
    original = AbstractConnection.send_packed_command

    def counted(self, *args, **kwargs):
        sent.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return sent


def test_an_answer_costs_one_database_round_trip_and_redis_only_now_and_then(
    client, api_key, stored, django_assert_num_queries, redis_round_trips, monkeypatch
):
    """The delegation's read, the key's confirmation and the query's audit event are one statement;
    the address and the key are counted through this process's leases of tokens (refreshed together,
    one script each time, with batches of 1, 2, 4 … 64 tokens)."""
    one_statement_or_skip()
    # A lease lapses after a second; on a loaded machine 100 answers can take longer than that, and
    # the count of round trips would measure the machine instead of the batching.
    monkeypatch.setattr(ratelimit, "LEASE_SECONDS", 60.0)
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    ask(client, delegation_id, api_key)  # reads the key's row, writes its last-used time, loads the script
    redis_round_trips.clear()
    with django_assert_num_queries(100):
        for _ in range(100):
            assert ask(client, delegation_id, api_key).json()["status"] in ("valid", "expired")
    # Leases of 2, 4 … 64 tokens: 6 round trips for 100 answers.
    assert len(redis_round_trips) == 6
    event = AuditEvent.objects.filter(event_type="validity.query").latest("id")
    assert event.data["delegation_id"] == delegation_id and event.data["status"] in ("valid", "expired")


def test_unknown_ids_are_counted_through_leases_too(
    client, api_key, stored, django_assert_num_queries, redis_round_trips
):
    """Counting unknown IDs (against enumeration) takes tokens of its own window in batches, as the
    key's counting does: 10 unknown answers cost 3 more round trips (batches of 2, 4 and 8), not 10."""
    from validity import ratelimit

    one_statement_or_skip()
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    trips = {}
    for kind, typed in [("known", lambda: delegation_id), ("unknown", ids.generate)]:
        ratelimit.leases.clear()  # both series start from leases of one token
        ask(client, typed(), api_key)
        redis_round_trips.clear()
        with django_assert_num_queries(10):
            for _ in range(10):
                ask(client, typed(), api_key)
        trips[kind] = len(redis_round_trips)
    assert trips["unknown"] - trips["known"] == 3


def _prepared_answer_statements(connection) -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%%INSERT INTO audit_auditevent%%'"
        )
        return cursor.fetchall()


def test_the_answer_is_a_prepared_statement_once_a_connection_has_asked_a_few_times(
    transactional_db, client, api_key, stored
):
    """Planned once per connection, not at every request (OPTIONS["prepare_threshold"])."""
    from django.db import connection

    one_statement_or_skip()
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    answers = [ask(client, delegation_id, api_key).json() for _ in range(12)]
    assert {a["status"] for a in answers} <= {"valid", "expired"} and len({a["status"] for a in answers}) == 1
    assert all(a["delegation_id"] == delegation_id for a in answers)
    assert ask(client, ids.generate(), api_key).json()["status"] == "unknown"  # the same plan, another ID
    assert len(_prepared_answer_statements(connection)) == 1
    assert AuditEvent.objects.filter(event_type="validity.query").count() == 13


def test_a_migration_under_a_prepared_answer_costs_a_reconnection_not_an_error(
    transactional_db, client, api_key, stored
):
    """A column the prepared statement returns changes type ("cached plan must not change result
    type"): the answer is asked again on a fresh connection, recorded once."""
    import psycopg
    from django.db import connection

    one_statement_or_skip()
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    for _ in range(12):
        ask(client, delegation_id, api_key)
    assert _prepared_answer_statements(connection)
    before = AuditEvent.objects.filter(event_type="validity.query").count()
    db = connection.settings_dict
    dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}"
    with psycopg.connect(dsn, autocommit=True) as other:
        other.execute("ALTER TABLE delegations_delegation ALTER COLUMN agent_title TYPE varchar(201)")
    try:
        response = ask(client, delegation_id, api_key)
        assert response.status_code == 200
        assert response.json()["agent"]["title"] == facts(delegation_id).agent_title
        assert AuditEvent.objects.filter(event_type="validity.query").count() == before + 1
    finally:
        with psycopg.connect(dsn, autocommit=True) as other:
            other.execute("ALTER TABLE delegations_delegation ALTER COLUMN agent_title TYPE varchar(200)")

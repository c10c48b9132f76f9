"""Shared fixtures: named personas (one per audience and per staff role) and a real browser."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made beside it are
# ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The project's commands speak the language MYNATRUST_LANGUAGE names (kernel.commands); the tests
# expect Japanese unless they ask, even under `MYNATRUST_LANGUAGE=en python3 deploy/bootstrap.py test`.
os.environ.pop("MYNATRUST_LANGUAGE", None)

PASSWORD = "correct-horse-battery-staple-42"


def pytest_configure(config: Any) -> None:
    # The audit tables refuse TRUNCATE to every role; between transactional tests the harness empties
    # them as the superuser it connects as (audit.guard.flush_as_superuser).
    from django.db.backends.postgresql.operations import DatabaseOperations

    def execute_sql_flush(self: Any, sql_list: list[str]) -> None:
        from audit.guard import flush_as_superuser

        flush_as_superuser(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign,assignment]

    # Tests record events of their own (test.event, test.read …); the service's types stay declared.
    from audit import labels

    labels.declare_namespace("test", "テスト")


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path_factory: Any) -> None:
    from django.utils import translation

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The audit sequencer's last signed head (kept outside the database) belongs to one test's
    # database: each test starts with none.
    settings.AUDIT_HEAD_STATE_PATH = str(tmp_path_factory.mktemp("audit-head") / "head.json")
    # The harness records events when it creates or flushes a test database (role permissions synced
    # after migrate) and never seals them (no sealer runs in tests). With the default bound of ten
    # minutes, every /healthz answer of a session longer than that was red (audit_unsealed_age). The
    # test of the bound travels past whatever value is set here.
    settings.AUDIT_UNSEALED_MAX_SECONDS = 24 * 3600
    # Every test starts in the service's default language: a page an earlier test on this worker
    # asked for in English (the language cookie) leaves English active in the thread.
    translation.activate(settings.LANGUAGE_CODE)


def make_user(email: str, kind: str, **extra: Any) -> Any:
    from django.utils import timezone

    from mynatrust.models import User

    return User.objects.create_user(
        email,
        PASSWORD,
        kind=kind,
        display_name=extra.pop("display_name", email.split("@")[0]),
        email_confirmed_at=timezone.now(),
        **extra,
    )


def make_staff(role: str, email: str | None = None, *, with_device: bool = True) -> Any:
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user(email or f"{role}@staff.example.jp", "staff", is_staff=True)
    user.groups.set([Group.objects.get(name=role)])
    if with_device:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def suitable(manager: Any, name: str, role: str, **overrides: Any) -> Any:
    """A suitability check (§7.2.2) recorded by the service manager in the ledger, as an appointment
    of ``name`` to ``role`` needs beforehand."""
    from django.utils import timezone

    from mynatrust.operations import services
    from mynatrust.operations.models import SuitabilityCheck

    fields = {
        "staff_name": name,
        "role": role,
        "checked_on": timezone.localdate(),
        "items_checked": "履歴書・人事票（賞罰、資格、実務経験、担当業務に必要な知識）",
        "result": SuitabilityCheck.Result.SUITABLE,
        **overrides,
    }
    return services.record_entry(SuitabilityCheck, actor=manager, **fields)


@pytest.fixture
def subscriber_member(db: None) -> Any:
    return make_user("member@subscriber-a.example.jp", "subscriber")


@pytest.fixture
def other_subscriber_member(db: None) -> Any:
    return make_user("member@subscriber-b.example.jp", "subscriber")


@pytest.fixture
def recipient(db: None) -> Any:
    return make_user("checker@recipient.example.jp", "recipient")


ROLES = ["service_manager", "service_administrator", "service_operator", "reception", "auditor", "maintenance"]


@pytest.fixture
def staff_by_role(db: None) -> dict[str, Any]:
    return {role: make_staff(role) for role in ROLES}


@pytest.fixture
def service_manager(db: None) -> Any:
    return make_staff("service_manager", "manager@staff.example.jp")


def otp_login(client: Any, user: Any) -> None:
    """Sign a staff user in with both factors, as the admin would after a correct TOTP code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def after_retention_lists(monkeypatch: Any) -> Callable[[Callable[[], object]], None]:
    """``after_retention_lists(change)``: the next retention run calls ``change()`` once it has listed
    the records due and before it removes or anonymises any, as a save committed by someone else at
    that moment would be seen (a record that stops being due in between)."""
    from mynatrust.operations import retention

    listing = retention.due_ids

    def hook(change: Callable[[], object]) -> None:
        def listed_then_changed(kind: Any, cutoff: Any) -> list[Any]:
            ids = listing(kind, cutoff)
            change()
            return ids

        monkeypatch.setattr(retention, "due_ids", listed_then_changed)

    return hook


# --- browser ---------------------------------------------------------------------------------
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Chromium's own words (a date field's 年/月/日, a file field's 選択されていません, as shown and as a
# screen reader hears them) follow the language of its interface, which on Linux is read from the
# environment (Debian's chromium-l10n carries the Japanese resources). Without it the service's
# Japanese pages showed "mm", "dd", "yyyy" and "Month, Day, Year". The pages' language stays the
# service's own choice: it ignores Accept-Language.
CHROMIUM_ENV = {"LANGUAGE": "ja"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope: Playwright's sync API keeps an event loop running in this thread while it is
    # open, and pyHanko's synchronous API (asyncio.run) cannot run beside it. Closing it after each
    # browser module keeps the other tests of the same worker unaffected.
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, env={**os.environ, **CHROMIUM_ENV}
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="ja-JP")
    pg = context.new_page()
    pg.console_messages = []
    pg.on("console", lambda msg: pg.console_messages.append(msg))
    pg.page_errors = []
    pg.on("pageerror", lambda err: pg.page_errors.append(err))
    yield pg
    context.close()


def decide(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    """Take a staff decision as a person does: open its confirmation page, then submit it."""
    import re

    page = client.get(url)
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="confirmation" value="([^"]+)"', page.content.decode())
    assert token, "no confirmation form on the page"
    return client.post(url, {**(data or {}), "confirmation": token.group(1)})


def hidden_fields(html: str) -> dict[str, Any]:
    """The hidden fields of a page's form, as a browser would send them back (one value a name, or a
    list when a name repeats)."""
    import html as html_lib
    import re

    fields: dict[str, Any] = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None or name.group(1) == "csrfmiddlewaretoken":
            continue
        text = html_lib.unescape(value.group(1)) if value else ""
        key = name.group(1)
        fields[key] = (
            [*fields[key], text]
            if isinstance(fields.get(key), list)
            else ([fields[key], text] if key in fields else text)
        )
    return fields


def post_through_confirmation(client: Any, url: str, data: dict[str, Any]) -> Any:
    """Send a form as a person does (入力 → 確認 → 完了): the entered values, then the confirmation
    page's final button with what that page carries. An entry the form refuses answers at once."""
    entered = client.post(url, data)
    body = entered.content.decode()
    if entered.status_code != 200 or 'data-testid="submit-confirmed"' not in body:
        return entered
    return client.post(url, hidden_fields(body))


def assert_check_said(
    settings: Any,
    values: dict[str, Any],
    check: Any,
    check_id: str,
    japanese: tuple[str, str | None],
    english: tuple[str, str | None],
) -> None:
    """With ``values`` set, the system check ``check`` reports ``check_id`` once, its (message, hint)
    in Japanese by default and in English under the English catalogue."""
    from django.utils import translation

    for name, value in values.items():
        setattr(settings, name, value)
    [message] = [m for m in check(None) if m.id == check_id]
    assert (message.msg, message.hint) == japanese
    with translation.override("en"):
        [message] = [m for m in check(None) if m.id == check_id]
    assert (message.msg, message.hint) == english

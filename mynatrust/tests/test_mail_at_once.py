"""A decision's notice is tried once the deciding transaction commits, inside the request; a mail
server that cannot be reached must not hold every such request for a whole SMTP timeout. The try
waits ``MAIL_AT_ONCE_TIMEOUT`` at most, and once one finds the server unreachable every host skips
the tries for a short time (a mark in the shared cache, Redis), leaving the notices to the outbox
worker, which keeps the full timeout. With real sockets: a mail server that accepts the connection
and never says a word, then one that speaks SMTP."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from conftest import make_user
from mynatrust import ratelimit
from mynatrust.outbox import services as outbox
from mynatrust.outbox.models import OutboxMessage
from mynatrust.tests.smtp_servers import SILENT, mail_server

pytestmark = pytest.mark.django_db

FULL_TIMEOUT = 3.0
SHORT_TIMEOUT = 0.5


@pytest.fixture
def redis_cache(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/7",
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def redis_down(settings: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }


@pytest.fixture
def decide(django_capture_on_commit_callbacks: Any) -> Any:
    """A decision that mails its notice: the seconds from its start until its request would return
    (the deciding transaction, then the notice's try once it has committed)."""
    about = make_user("about@subscriber.example.jp", "subscriber")

    def deciding(number: int) -> float:
        start = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            outbox.notify_after_commit(
                f"決定の通知 {number}", "本文", [f"m{number}@subscriber.example.jp"], about=about
            )
        return time.monotonic() - start

    return deciding


def two_decisions_while_the_server_hangs(decide: Any, settings: Any) -> tuple[float, float, int]:
    """The seconds each of two decisions in a row takes while the mail server accepts connections and
    never answers, and the number of connections it was asked for."""
    settings.MAIL_AT_ONCE_TIMEOUT = SHORT_TIMEOUT
    with mail_server(SILENT) as silent:
        settings.MAILERS = silent.mailers(timeout=FULL_TIMEOUT)
        first, second = decide(1), decide(2)
        return first, second, silent.connections


def test_a_hanging_mail_server_holds_the_first_decision_briefly_and_the_next_not_at_all(
    redis_cache: None, decide: Any, settings: Any
) -> None:
    first, second, tried = two_decisions_while_the_server_hangs(decide, settings)
    assert first < SHORT_TIMEOUT + 1.0, first  # the short timeout, not the full one
    assert second < 0.3, second  # the server is known to be unreachable: not tried
    assert tried == 1
    assert OutboxMessage.objects.filter(status="pending").count() == 2  # both wait for the worker

    with mail_server() as server:
        settings.MAILERS = server.mailers()
        back = timezone.now() + timedelta(minutes=2)
        assert outbox.run_once(now=back).sent == 2
        assert outbox.run_once(now=back + timedelta(hours=2)).worked is False  # nothing twice
        assert sorted(server.delivered) == [["m1@subscriber.example.jp"], ["m2@subscriber.example.jp"]]
        # The worker sent: the mark is gone, the next decision's notice leaves at once.
        decide(3)
        assert server.delivered[-1] == ["m3@subscriber.example.jp"]
    assert OutboxMessage.objects.filter(status="pending").count() == 0


def test_the_pause_is_the_operators_and_tries_at_once_resume_when_it_ends(
    redis_cache: None, decide: Any, settings: Any
) -> None:
    """``MAIL_UNREACHABLE_PAUSE`` is how long every host leaves the notices to the worker: a short
    one (a relay that comes back quickly) ends on its own in the shared cache, without a worker
    pass, and the next decision's notice leaves at once again."""
    settings.MAIL_UNREACHABLE_PAUSE = 1
    _first, second, tried = two_decisions_while_the_server_hangs(decide, settings)
    assert tried == 1 and second < 0.3, (tried, second)
    assert ratelimit.penalty(*outbox.UNREACHABLE) == 1  # the setting's pause, not a minute
    time.sleep(1.2)
    assert ratelimit.penalty(*outbox.UNREACHABLE) is None
    with mail_server() as server:
        settings.MAILERS = server.mailers()
        decide(3)
        assert server.delivered == [["m3@subscriber.example.jp"]]
    assert OutboxMessage.objects.filter(status="pending").count() == 2  # the first two wait for the worker


def test_with_the_cache_down_each_try_is_bounded_by_the_short_timeout(
    redis_down: None, decide: Any, settings: Any
) -> None:
    first, second, tried = two_decisions_while_the_server_hangs(decide, settings)
    assert tried == 2  # nothing remembered: each is tried
    assert max(first, second) < SHORT_TIMEOUT + 1.0, (first, second)
    assert OutboxMessage.objects.filter(status="pending").count() == 2


def test_the_worker_keeps_the_full_timeout(settings: Any) -> None:
    """Only the try inside the request is short: the worker waits for a slow server as long as
    the mail settings say."""
    settings.MAIL_AT_ONCE_TIMEOUT = SHORT_TIMEOUT
    with mail_server(SILENT) as silent:
        settings.MAILERS = silent.mailers(timeout=1.5)
        with transaction.atomic():
            outbox.queue_mail("件名", "本文", to=["a@subscriber.example.jp"], event_type="mail.sent_late")
        start = time.monotonic()
        assert outbox.run_once().retrying == 1
        waited = time.monotonic() - start
    assert waited >= 1.4, waited


def test_a_worker_pass_stops_at_the_first_batch_that_finds_the_server_unreachable(settings: Any) -> None:
    """Each batch would otherwise wait the whole timeout for a server that is not there: five due
    messages in batches of two took three timeouts. The pass stops after the first; the messages it
    did not offer keep their place and their attempts for the next pass."""
    settings.MAIL_OUTBOX_BATCH_SIZE = 2
    with transaction.atomic():
        outbox.queue_mail(
            "件名", "本文", to=[f"w{n}@subscriber.example.jp" for n in range(5)], event_type="mail.sent_late"
        )
    with mail_server(SILENT) as silent:
        settings.MAILERS = silent.mailers(timeout=SHORT_TIMEOUT)
        start = time.monotonic()
        done = outbox.run_once()
        waited = time.monotonic() - start
        assert silent.connections == 1
    assert waited < SHORT_TIMEOUT + 1.0, waited
    assert done.retrying == 2 and done.sent == 0
    pending = OutboxMessage.objects.filter(status="pending")
    assert sorted(pending.values_list("attempts", flat=True)) == [0, 0, 0, 1, 1]
    with mail_server() as server:
        settings.MAILERS = server.mailers()
        assert outbox.run_once(now=timezone.now() + timedelta(minutes=2)).sent == 5

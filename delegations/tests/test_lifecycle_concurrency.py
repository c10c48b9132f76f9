"""Concurrent updates and revocations of one delegation on PostgreSQL: exactly one wins, the other
gets a clear message (row locks in delegations.services)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from delegations import services
from delegations.models import Delegation
from delegations.services import DelegationError
from delegations.tests.lifecycle import make_active

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions at the same moment in their own threads (own connections); results or errors."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # noqa: BLE001 - the loser's error is the result
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def active(subscriber: Any, member: Any, trusted_pki: Any) -> Delegation:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL")
    return make_active(subscriber, member, trusted_pki)


def test_of_two_concurrent_updates_exactly_one_wins(active: Delegation, member: Any) -> None:
    results = _race(*(lambda: services.start_update(active, actor=member) for _ in range(2)))
    drafts = [r for r in results if isinstance(r, Delegation)]
    errors = [r for r in results if isinstance(r, DelegationError)]
    assert len(drafts) == 1 and len(errors) == 1, results
    assert errors[0].code == "update_in_progress" and "変更の手続中" in errors[0].message
    assert Delegation.objects.filter(replaces=active).count() == 1


def test_of_two_concurrent_revocations_exactly_one_wins(active: Delegation, member: Any) -> None:
    results = _race(*(lambda: services.revoke_delegation(active, actor=member, reason="退職") for _ in range(2)))
    errors = [r for r in results if isinstance(r, DelegationError)]
    assert len(errors) == 1 and errors[0].code == "wrong_state" and "取り消" in errors[0].message, results
    active.refresh_from_db()
    assert active.status == Delegation.Status.REVOKED


def test_an_update_racing_a_revocation_never_leaves_an_open_successor_of_a_revoked_delegation(
    active: Delegation, member: Any
) -> None:
    _race(
        lambda: services.start_update(active, actor=member),
        lambda: services.revoke_delegation(active, actor=member, reason="退職"),
    )
    active.refresh_from_db()
    assert active.status == Delegation.Status.REVOKED
    assert not Delegation.objects.open_updates().filter(replaces=active).exists()


def test_the_same_signed_file_uploaded_twice_at_once_is_stored_once(
    subscriber: Any, member: Any, trusted_pki: Any
) -> None:
    from delegations.models import SignedFile
    from delegations.tests.lifecycle import make_finalised, signed_pair

    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL")
    delegation = make_finalised(subscriber, member)
    principal, _agent = signed_pair(delegation, trusted_pki)
    results = _race(
        *(lambda: services.submit_signed_file(delegation, principal, actor=member, role="principal") for _ in range(2))
    )
    errors = [r for r in results if isinstance(r, DelegationError)]
    assert len(errors) == 1 and errors[0].code == "already_stored", results
    assert SignedFile.objects.filter(delegation=delegation).count() == 1


def test_activating_an_update_while_its_original_is_revoked_never_deadlocks(
    active: Delegation, member: Any, trusted_pki: Any
) -> None:
    from delegations.tests.lifecycle import signed_pair

    successor = services.finalise_draft(services.start_update(active, actor=member), actor=member)
    principal, agent = signed_pair(successor, trusted_pki)
    services.submit_signed_file(successor, agent, actor=member, role="agent")
    results = _race(
        lambda: services.submit_signed_file(successor, principal, actor=member, role="principal"),
        lambda: services.revoke_delegation(active, actor=member, reason="退職"),
    )
    assert all(r is None or isinstance(r, (DelegationError, Delegation, services.Submission)) for r in results), results
    active.refresh_from_db()
    successor.refresh_from_db()
    assert (active.status, successor.status) in [("superseded", "active"), ("revoked", "rejected")], results

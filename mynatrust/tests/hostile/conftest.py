"""Fixtures of the hostile-input campaign: a fixed hypothesis profile, a snapshot of what is stored
(row counts of every domain table, audit events by type, files under the upload directories), and
signed-in clients of each public audience."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from conftest import make_user

# Re-exported fixtures of the apps whose entry points the campaign drives.
from delegations.tests.conftest import test_pki  # noqa: F401
from delegations.tests.lifecycle import member, subscriber, trusted_pki  # noqa: F401
from validity.tests.conftest import _validity_settings, signing_keys  # noqa: F401

# Deterministic and modest: the same examples on every run, no example database on disk.
settings.register_profile(
    "hostile",
    derandomize=True,
    database=None,
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

DOMAIN_APPS = ("mynatrust", "registry", "delegations", "validity")
# Rows a request may legitimately add while being refused: sessions and rate-limit counters are
# not domain data.
NOT_DOMAIN: set[str] = set()


def _domain_counts() -> dict[str, int]:
    from django.apps import apps

    counts = {}
    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models():
            name = model._meta.label_lower
            if name not in NOT_DOMAIN and not model._meta.proxy:
                counts[name] = model._default_manager.count()
    return counts


def _event_counts() -> Counter[str]:
    from django.db.models import Count

    from audit.models import AuditEvent

    rows = AuditEvent.objects.values("event_type").annotate(n=Count("id"))
    return Counter({row["event_type"]: row["n"] for row in rows})


def _files(folders: list[Path]) -> set[str]:
    return {str(p) for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()}


@dataclass
class Snapshot:
    """What is stored before a request, compared with what is stored after it."""

    folders: list[Path]
    rows: dict[str, int] = field(default_factory=dict)
    events: Counter[str] = field(default_factory=Counter)
    files: set[str] = field(default_factory=set)

    def take(self) -> Snapshot:
        self.rows, self.events, self.files = _domain_counts(), _event_counts(), _files(self.folders)
        return self

    def changed_rows(self) -> dict[str, tuple[int, int]]:
        now = _domain_counts()
        return {name: (self.rows.get(name, 0), n) for name, n in now.items() if n != self.rows.get(name, 0)}

    def new_events(self) -> Counter[str]:
        now = _event_counts()
        return Counter({kind: n - self.events[kind] for kind, n in now.items() if n > self.events[kind]})

    def assert_nothing_stored(self, *, allowing: tuple[str, ...] = ()) -> None:
        changed = {name: counts for name, counts in self.changed_rows().items() if name not in allowing}
        assert not changed, f"rows changed: {changed}"
        assert _files(self.folders) == self.files, "a file was left behind"


@pytest.fixture
def snapshot(db: None, settings: Any, tmp_path: Path) -> Iterator[Snapshot]:
    """Uploads spill to this test's own folder, so any file left behind is seen."""
    media, spill = tmp_path / "media", tmp_path / "uploads"
    media.mkdir()
    spill.mkdir()
    settings.MEDIA_ROOT = str(media)
    settings.FILE_UPLOAD_TEMP_DIR = str(spill)
    yield Snapshot([media, spill])


@pytest.fixture
def signed_in_member(client: Any, subscriber: Any, member: Any) -> Any:  # noqa: F811
    client.force_login(member)
    return client


@pytest.fixture
def newcomer(client: Any, db: None) -> Any:
    """A signed-in subscriber-side account that belongs to no subscriber yet (the application form)."""
    user = make_user("newcomer@hostile.example.jp", "subscriber")
    client.force_login(user)
    return client


@pytest.fixture
def recipient_user(db: None) -> Any:
    return make_user("checker@hostile.example.jp", "recipient")


@pytest.fixture
def approved_recipient(client: Any, recipient_user: Any) -> Any:
    from validity.tests.conftest import make_organisation

    make_organisation(recipient_user)
    client.force_login(recipient_user)
    return client


@pytest.fixture
def api_key(recipient_user: Any) -> str:
    from validity import services
    from validity.tests.conftest import make_organisation

    organisation = make_organisation(recipient_user)
    _key, plaintext = services.create_api_key(organisation, label="基幹システム", actor=recipient_user)
    return plaintext


@pytest.fixture
def unregistered_recipient(client: Any, recipient_user: Any) -> Any:
    client.force_login(recipient_user)
    return client

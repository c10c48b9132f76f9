"""Every audit event type the code records has a Japanese label, and so does every actor type."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

from audit import labels

ROOT = Path(settings.BASE_DIR)
APPS = ("audit", "registry", "delegations", "validity", "mynatrust")
EVENT = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
# Functions whose first argument is an event type; a service decorator names the attempt, whose
# refusal is recorded as "<name>_refused".
RECORDERS = {
    "record",
    "record_refused",
    "record_reading",
    "record_tallied",
    "record_refusal",
    "_record",
    "_refuse",
    "_refusing",
}
DECORATORS = {"service"}


def _callee(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def _values(arg: ast.expr) -> list[str]:
    """The event types an argument can take: literal strings, both branches of a conditional, and an
    f-string as a pattern (each placeholder matching any name)."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value] if EVENT.match(arg.value) else []
    if isinstance(arg, ast.IfExp):
        return _values(arg.body) + _values(arg.orelse)
    if isinstance(arg, ast.JoinedStr):
        parts = [re.escape(str(p.value)) if isinstance(p, ast.Constant) else "[a-z_]+" for p in arg.values]
        pattern = "".join(parts)
        return [f"re:{pattern}"] if "." in pattern else []
    return []


def recorded_event_types() -> set[str]:
    found: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = _callee(node)
                if name in RECORDERS:
                    found.update(_values(node.args[0]))
                elif name in DECORATORS:
                    found.update(v + "_refused" for v in _values(node.args[0]) if not v.startswith("re:"))
    return found


def test_the_scan_finds_the_events_it_should():
    found = recorded_event_types()
    assert {"auth.otp_verified", "audit.verified", "staff.decision_refused"} <= found
    assert len(found) > 100


def test_every_recorded_event_type_has_a_japanese_label():
    missing = []
    known = {*labels.EVENT_LABELS, *(name + labels.REFUSED for name in labels.EVENT_LABELS)}
    for event_type in sorted(recorded_event_types()):
        if event_type.startswith("re:"):
            pattern = re.compile(event_type[3:] + "$")
            if not any(pattern.match(name) for name in known):
                missing.append(event_type)
        elif labels.event_label(event_type) == event_type:
            missing.append(event_type)
    assert missing == [], "name these event types in audit/labels.py EVENT_LABELS"


def test_labels_are_japanese_and_a_refusal_reads_as_one():
    assert labels.event_label("auth.otp_verified") == "二要素認証に成功"
    assert labels.event_label("delegations.revocation.approve_refused").endswith("（拒否）")
    assert labels.event_label("unknown.thing") == "unknown.thing"  # shown as recorded, never hidden


@pytest.mark.parametrize("kind", ["staff", "subscriber", "recipient", "system", "anonymous", "api_key"])
def test_every_actor_type_has_a_japanese_label(kind):
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", str(labels.actor_label(kind)))


def test_every_declared_type_lives_in_a_declared_namespace():
    strays = [name for name in labels.EVENT_LABELS if name.partition(".")[0] not in labels.NAMESPACES]
    assert strays == []


def test_recording_an_undeclared_type_is_refused_and_writes_nothing(db):
    import audit
    from audit.models import AuditEvent

    before = AuditEvent.objects.count()
    for spelling in ("delegations.delegation.revokd", "nobody.declared_this", "access.denied_refused_x"):
        with pytest.raises(labels.UndeclaredEventType):
            audit.record(spelling, actor=audit.SYSTEM)
        with pytest.raises(labels.UndeclaredEventType):
            audit.record_refused(spelling, actor=audit.SYSTEM)
        with pytest.raises(labels.UndeclaredEventType):
            audit.record_tallied(spelling, actor=audit.SYSTEM, key="k")
    assert AuditEvent.objects.count() == before


def test_a_refusal_is_declared_by_declaring_its_attempt(db):
    import audit

    assert audit.record("delegations.revocation.approve_refused", actor=audit.SYSTEM).pk
    assert labels.is_refusal("delegations.revocation.approve_refused")
    assert labels.is_refusal("access.denied")
    assert not labels.is_refusal("delegations.revocation.approved")


def test_the_admin_filter_offers_every_namespace_in_japanese():
    from audit.admin import NamespaceFilter

    offered = dict(NamespaceFilter.lookups(None, None, None))  # type: ignore[arg-type]
    assert set(offered) >= {name.partition(".")[0] for name in labels.EVENT_LABELS}
    for label in offered.values():
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", str(label))


def test_the_event_table_in_the_auditors_guide_is_the_catalogue():
    from audit.management.commands.audit_events import markdown_table

    text = (ROOT / "docs" / "auditor.md").read_text()
    start, end = "<!-- audit-events:start -->\n", "<!-- audit-events:end -->"
    table = text[text.index(start) + len(start) : text.index(end)]
    assert table == markdown_table(), "run `python manage.py audit_events` and paste it into docs/auditor.md"

"""The §6.2.1 events audit wires itself: lockouts, and admin add/change/delete of any object."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.utils import timezone

from audit import tally
from audit.models import AuditEvent
from audit.receivers import MASK


class GroupForm(forms.ModelForm):
    api_token = forms.CharField(required=False)  # stands for any secret a domain form may carry

    class Meta:
        model = Group
        fields = ["name"]


def admin_request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def test_an_admin_addition_is_recorded_with_its_fields_and_secrets_masked(staff_by_role):
    manager = staff_by_role["service_manager"]
    model_admin = admin.ModelAdmin(Group, admin.site)
    form = GroupForm({"name": "new group", "api_token": "s3cret"})
    assert form.is_valid()
    obj = form.save(commit=False)
    model_admin.save_model(admin_request(manager), obj, form, change=False)
    event = AuditEvent.objects.get(event_type="admin.added")
    assert event.subject_type == "auth.group"
    assert event.subject_id == str(obj.pk)
    assert event.data["fields"] == {"name": "new group", "api_token": MASK}
    assert event.actor_id == str(manager.pk)
    assert "s3cret" not in str(event.data)


def test_an_admin_change_records_before_and_after(staff_by_role):
    group = Group.objects.create(name="before")
    form = GroupForm({"name": "after"}, instance=group)
    assert form.is_valid()
    admin.ModelAdmin(Group, admin.site).save_model(
        admin_request(staff_by_role["service_manager"]), form.save(commit=False), form, change=True
    )
    event = AuditEvent.objects.get(event_type="admin.changed")
    assert event.data["fields"] == {"name": {"before": "before", "after": "after"}}


def test_admin_deletions_are_recorded_one_by_one(staff_by_role):
    model_admin = admin.ModelAdmin(Group, admin.site)
    request = admin_request(staff_by_role["service_manager"])
    single = Group.objects.create(name="gone")
    pk = single.pk
    model_admin.delete_model(request, single)
    Group.objects.create(name="bulk 1")
    Group.objects.create(name="bulk 2")
    model_admin.delete_queryset(request, Group.objects.filter(name__startswith="bulk"))
    deleted = AuditEvent.objects.filter(event_type="admin.deleted").order_by("id")
    assert [e.data["object"] for e in deleted] == ["gone", "bulk 1", "bulk 2"]
    assert deleted[0].subject_id == str(pk)


def test_a_lockout_is_recorded_with_the_client_address(client, staff_by_role, settings):
    settings.AXES_FAILURE_LIMIT = 2
    url = "/" + settings.ADMIN_PATH + "login/"
    for _ in range(3):
        client.post(url, {"username": "auditor@staff.example.jp", "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    event = AuditEvent.objects.filter(event_type="auth.locked_out").first()
    assert event is not None
    assert event.data["username"] == "auditor@staff.example.jp"
    assert event.ip == "198.51.100.7"
    failed = AuditEvent.objects.filter(event_type="auth.login_failed")
    assert sum(e.data["count"] for e in failed) >= 2


def test_the_checkpoint_key_is_required_in_production(settings):
    from audit.checks import audit_configuration

    settings.PRODUCTION = True
    settings.AUDIT_CHECKPOINT_KEY_PATH = ""
    assert [e.id for e in audit_configuration(None)] == ["audit.E001"]
    settings.AUDIT_CHECKPOINT_KEY_PATH = "/nonexistent/key.pem"
    assert [e.id for e in audit_configuration(None)] == ["audit.E001"]


@pytest.mark.django_db
def test_a_nul_character_in_hostile_input_is_recorded_visibly_replaced_not_lost():
    import audit
    from audit import context

    token = context.bind(context.RequestContext(request_id="r\x00", ip="192.0.2.1", user_agent="agent\x00x"))
    try:
        event = audit.record(
            "validity.query", actor=None, subject=("t", "id\x00"), typed="7K3Q\x00", nested={"k\x00": ["\x00"]}
        )
    finally:
        context.reset(token)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.data["typed"] == "7K3Q\ufffd"
    assert stored.data["nested"] == {"k\ufffd": ["\ufffd"]}
    assert (stored.subject_id, stored.user_agent, stored.request_id) == ("id\ufffd", "agent\ufffdx", "r\ufffd")
    assert audit.record("test.x", actor=None, note="\\u0000 literally").data["note"] == "\\u0000 literally"

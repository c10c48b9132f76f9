"""Operation logs are kept at least 3 years and can be shown while they are kept (§8.1); the audit
log is kept online at least 6 weeks and on external media 10 years (§6.2.3). The online period
defaults to 3 years, so the auditor searches three years of the log in the admin; a shorter one is
flagged by a system check (archived segments are verified files, not searchable in the admin)."""

from __future__ import annotations

from django.conf import settings

from audit.checks import audit_configuration

THREE_YEARS = 3 * 365 + 1


def test_the_online_period_defaults_to_three_years():
    assert settings.AUDIT_RETENTION_DAYS >= THREE_YEARS


def test_a_shorter_online_period_is_flagged(settings):
    settings.AUDIT_RETENTION_DAYS = 400
    assert "audit.W001" in [message.id for message in audit_configuration(None)]
    settings.AUDIT_RETENTION_DAYS = THREE_YEARS
    assert "audit.W001" not in [message.id for message in audit_configuration(None)]

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One entry of the append-only audit log (§6.2)."""

    created_at = models.DateTimeField(_("日時"), db_index=True)
    event_type = models.CharField(_("種別"), max_length=80, db_index=True)
    actor_kind = models.CharField(_("操作者種別"), max_length=16)
    actor_id = models.CharField(_("操作者ID"), max_length=64, blank=True)
    actor_label = models.CharField(_("操作者"), max_length=255, blank=True)
    subject_type = models.CharField(_("対象種別"), max_length=80, blank=True)
    subject_id = models.CharField(_("対象ID"), max_length=64, blank=True, db_index=True)
    data = models.JSONField(_("内容"), default=dict)
    request_id = models.CharField(_("リクエストID"), max_length=64, blank=True)
    ip = models.CharField(_("IPアドレス"), max_length=64, blank=True)
    user_agent = models.CharField(_("ユーザーエージェント"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["id"]
        permissions = [
            ("verify_auditlog", _("監査ログの検証")),
            ("export_auditlog", _("監査ログのエクスポート")),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.event_type}"

"""The audit log tables. All four are append-only in the database (see migration 0002): events are
inserted by writers, seals and checkpoints by the sequencer, segments by the archive command."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Value
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def sealed(self) -> AuditEventQuerySet:
        return self.filter(seal__isnull=False)

    def unsealed(self) -> AuditEventQuerySet:
        return self.filter(seal__isnull=True)


class AuditEvent(models.Model):
    """One entry of the append-only audit log (§6.2)."""

    created_at = models.DateTimeField(_("日時"), db_index=True)
    event_type = models.CharField(_("種別"), max_length=80)
    actor_kind = models.CharField(_("操作者種別"), max_length=16)
    actor_id = models.CharField(_("操作者ID"), max_length=64, blank=True)
    actor_label = models.CharField(_("操作者"), max_length=255, blank=True)
    subject_type = models.CharField(_("対象種別"), max_length=80, blank=True)
    subject_id = models.CharField(_("対象ID"), max_length=64, blank=True)
    data = models.JSONField(_("内容"), default=dict)
    request_id = models.CharField(_("リクエストID"), max_length=64, blank=True)
    ip = models.CharField(_("IPアドレス"), max_length=64, blank=True)
    user_agent = models.CharField(_("ユーザーエージェント"), max_length=255, blank=True)
    # The writing transaction's ID on PostgreSQL (column default pg_current_xact_id(), set by migration
    # 0002), so the sequencer can tell which events may still be in flight. 0 on SQLite, where writers
    # are serialised and ids commit in order.
    txid = models.BigIntegerField(_("トランザクションID"), db_default=Value(0), editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["id"]  # the admin lists newest first
        # One index per searched column (every event writes each of them: the validity answer is an
        # event). event_type is looked up exactly and by namespace prefix ("validity."), which one
        # pattern-ops index serves on PostgreSQL; subject_id only exactly.
        indexes = [
            models.Index(fields=["txid", "id"], name="audit_event_txid_id"),
            models.Index(fields=["event_type"], opclasses=["varchar_pattern_ops"], name="audit_event_type"),
            models.Index(fields=["subject_id"], name="audit_event_subject"),
        ]
        permissions = [
            ("verify_auditlog", _("監査ログの検証")),
            ("export_auditlog", _("監査ログのエクスポート")),
            ("archive_auditlog", _("監査ログのアーカイブ")),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.event_type}"


class AuditSeal(models.Model):
    """The sequencer's record of one event's place in the hash chain. Written once, never changed."""

    seq = models.BigIntegerField(_("連番"), primary_key=True)
    # No foreign-key constraint in the database: checking it would lock every sealed event row (FOR
    # KEY SHARE) at each batch's commit, rewriting the event table's pages; the append-only triggers
    # already keep events from going, and verification reports a seal without its event.
    event = models.OneToOneField(
        AuditEvent, on_delete=models.DO_NOTHING, related_name="seal", verbose_name=_("イベント"), db_constraint=False
    )
    digest = models.CharField(_("ダイジェスト"), max_length=64)
    prev_hash = models.CharField(_("直前のハッシュ"), max_length=64)
    hash = models.CharField(_("ハッシュ"), max_length=64)
    sealed_at = models.DateTimeField(_("封印日時"))

    class Meta:
        verbose_name = _("封印")
        verbose_name_plural = _("封印")
        ordering = ["seq"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class AuditSealBatch(models.Model):
    """Where the sequencer's next batch starts looking (see audit.sealing): every event whose
    (txid, id) is below (horizon, horizon_id) was sealed when this batch committed, except events of
    the transactions in ``watch``, which were still in progress. One row per batch, never changed."""

    last_seq = models.BigIntegerField(_("最終連番"), unique=True)
    last_hash = models.CharField(_("最終ハッシュ"), max_length=64)
    horizon = models.BigIntegerField(_("走査開始点"))
    horizon_id = models.BigIntegerField(_("走査開始点ID"))
    watch = models.JSONField(_("進行中のトランザクション"), default=list)
    sealed_at = models.DateTimeField(_("封印日時"))
    # The PostgreSQL server (pg_control_system().system_identifier) whose transaction IDs the horizon
    # counts in. After a restore onto another server they mean nothing: the next batch looks again
    # at every event (audit.sealing).
    system_id = models.CharField(_("サーバー識別子"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("封印バッチ")
        verbose_name_plural = _("封印バッチ")
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.last_seq}"


class AuditCheckpoint(models.Model):
    """A signed statement of the chain's head: ``seq`` entries, last hash ``head_hash``."""

    seq = models.BigIntegerField(_("連番"), unique=True)
    head_hash = models.CharField(_("先頭ハッシュ"), max_length=64)
    signed_at = models.DateTimeField(_("署名日時"))
    key_id = models.CharField(_("鍵ID"), max_length=64)
    signature = models.CharField(_("署名"), max_length=128)
    # The checkpoint signed before this one (0 and the genesis hash for the first). Empty on
    # checkpoints signed before checkpoints were chained (payload version 1).
    prev_seq = models.BigIntegerField(_("直前の連番"), null=True, blank=True)
    prev_head = models.CharField(_("直前の先頭ハッシュ"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("チェックポイント")
        verbose_name_plural = _("チェックポイント")
        ordering = ["-seq"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.seq} {self.head_hash[:12]}"

    def payload(self) -> dict[str, Any]:
        from audit.chain import format_time
        from audit.signing import checkpoint_payload

        return checkpoint_payload(
            seq=self.seq,
            head=self.head_hash,
            time=format_time(self.signed_at),
            kid=self.key_id,
            prev_seq=self.prev_seq,
            prev_head=self.prev_head,
        )


class AuditCosignature(models.Model):
    """A witness's signature over a checkpoint it saw extend the last one it cosigned (audit.witness)."""

    seq = models.BigIntegerField(_("連番"))
    head_hash = models.CharField(_("先頭ハッシュ"), max_length=64)
    checkpoint_key_id = models.CharField(_("チェックポイントの鍵ID"), max_length=64)
    witness_key_id = models.CharField(_("立会人の鍵ID"), max_length=64)
    signed_at = models.CharField(_("連署日時"), max_length=32)
    signature = models.CharField(_("署名"), max_length=128)
    received_at = models.DateTimeField(_("受信日時"))

    class Meta:
        verbose_name = _("立会人の連署")
        verbose_name_plural = _("立会人の連署")
        ordering = ["-seq"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["seq", "witness_key_id"], name="audit_cosignature_once")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.witness_key_id[:12]}"

    def document(self) -> dict[str, Any]:
        from audit.witness import COSIGNATURE_TYPE

        return {
            "type": COSIGNATURE_TYPE,
            "seq": self.seq,
            "head": self.head_hash,
            "checkpoint_key_id": self.checkpoint_key_id,
            "time": self.signed_at,
            "witness_key_id": self.witness_key_id,
            "signature": self.signature,
        }


class AuditSegment(models.Model):
    """An archived run of the chain, written to a file for the 10-year media. Rows of the online
    tables inside a segment may be pruned (only by ``audit_archive --prune``)."""

    first_seq = models.BigIntegerField(_("開始連番"), unique=True)
    last_seq = models.BigIntegerField(_("終了連番"), unique=True)
    prev_hash = models.CharField(_("直前のハッシュ"), max_length=64)
    last_hash = models.CharField(_("末尾ハッシュ"), max_length=64)
    file_name = models.CharField(_("ファイル名"), max_length=255)
    sha256 = models.CharField(_("ファイルのSHA-256"), max_length=64)
    created_at = models.DateTimeField(_("作成日時"))
    key_id = models.CharField(_("鍵ID"), max_length=64)
    signature = models.CharField(_("署名"), max_length=128)

    class Meta:
        verbose_name = _("アーカイブ区間")
        verbose_name_plural = _("アーカイブ区間")
        ordering = ["first_seq"]
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(condition=models.Q(first_seq__lte=models.F("last_seq")), name="audit_segment_range")
        ]

    def __str__(self) -> str:
        return f"{self.first_seq}–{self.last_seq}"

    def payload(self) -> dict[str, Any]:
        from audit.signing import segment_payload

        return segment_payload(
            first_seq=self.first_seq,
            last_seq=self.last_seq,
            prev_hash=self.prev_hash,
            last_hash=self.last_hash,
            sha256=self.sha256,
            kid=self.key_id,
        )


class AuditTally(models.Model):
    """Repeated refusals counted before they reach the log (see audit.tally): one row per event
    type, actor, key and time window, turned into ONE event with the count once the window has
    closed, then deleted. Not part of the chain and not append-only: it holds nothing the log does
    not get."""

    key = models.CharField(_("集計キー"), max_length=64, unique=True)
    event_type = models.CharField(_("種別"), max_length=80)
    window_start = models.DateTimeField(_("集計開始"))
    window_end = models.DateTimeField(_("集計終了"), db_index=True)
    count = models.PositiveIntegerField(_("件数"), default=1)
    first_at = models.DateTimeField(_("最初の日時"))
    last_at = models.DateTimeField(_("最後の日時"))
    actor_kind = models.CharField(_("操作者種別"), max_length=16)
    actor_id = models.CharField(_("操作者ID"), max_length=64, blank=True)
    actor_label = models.CharField(_("操作者"), max_length=255, blank=True)
    subject_type = models.CharField(_("対象種別"), max_length=80, blank=True)
    subject_id = models.CharField(_("対象ID"), max_length=64, blank=True)
    data = models.JSONField(_("内容"), default=dict)
    request_id = models.CharField(_("リクエストID"), max_length=64, blank=True)
    ip = models.CharField(_("IPアドレス"), max_length=64, blank=True)
    user_agent = models.CharField(_("ユーザーエージェント"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("集計中の拒否")
        verbose_name_plural = _("集計中の拒否")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.event_type} ×{self.count}"

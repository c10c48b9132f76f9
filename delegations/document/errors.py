"""The one error the document package raises: a stable code and a message safe to show a user."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DocumentError(ValueError):
    INVALID_CONTENT = "invalid_content"
    TOO_LARGE = "too_large"
    NOT_WELL_FORMED = "not_well_formed"
    FORBIDDEN_CONSTRUCT = "forbidden_construct"
    SCHEMA_INVALID = "schema_invalid"
    NOT_CANONICAL = "not_canonical"
    NO_EMBEDDED_XML = "no_embedded_xml"
    NOT_A_PDF = "not_a_pdf"

    def __init__(self, code: str, template: Any, *, detail: str = "", **params: Any) -> None:
        self.code = code
        self.template = template
        self.params = params
        # For logs and operators; never shown to the user (it may quote the input).
        self.detail = detail
        self.field: str | None = None
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.template) % self.params if self.params else str(self.template)

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})" if self.detail else self.message


FIELD_LABELS = {
    "delegation_id": _("電子委任状 ID"),
    "issued_on": _("作成日"),
    "corporate_number": _("法人番号"),
    "name": _("名称又は氏名"),
    "head_office_address": _("本店又は主たる事務所の所在地"),
    "representative_title": _("代表者の役職"),
    "representative_name": _("代表者の氏名"),
    "trade_name": _("屋号"),
    "address": _("住所"),
    "business_address": _("住所（事業所所在地）"),
    "date_of_birth": _("生年月日"),
    "title": _("役職"),
    "qualification": _("資格"),
    "identifier": _("識別情報"),
    "identifier_kind": _("識別情報の種類"),
    "powers": _("代理権の内容"),
    "limitations": _("代理権の制限"),
    "valid_from": _("委任期間の始期"),
    "valid_until": _("委任期間の終期"),
    "principal": _("委任者"),
    "agent": _("受任者"),
    "delegation_sha256": _("電子委任状のダイジェスト"),
    "principal_name": _("委任者の名称"),
    "agent_name": _("受任者の氏名"),
}


def invalid_content(field: str, detail: str) -> DocumentError:
    """``field`` is the dataclass field's name (``service.policy_url`` for nested service items)."""
    error = DocumentError(
        DocumentError.INVALID_CONTENT,
        _("電子委任状の項目「%(label)s」の内容が正しくありません。"),
        label=FIELD_LABELS.get(field, field),
        detail=detail,
    )
    error.field = field
    return error

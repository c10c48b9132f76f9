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
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.template) % self.params if self.params else str(self.template)

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})" if self.detail else self.message


def invalid_content(field: str, detail: str) -> DocumentError:
    return DocumentError(
        DocumentError.INVALID_CONTENT,
        _("電子委任状の項目「%(field)s」の内容が正しくありません。"),
        field=field,
        detail=detail,
    )

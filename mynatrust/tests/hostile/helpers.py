"""Assertions shared by the hostile-input tests."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.messages import get_messages

_JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")


def japanese(text: str) -> bool:
    return bool(_JAPANESE.search(text))


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def form_errors(response: Any, form: str = "form") -> dict[str, list[str]]:
    bound = response.context[form]
    return {name: [str(e) for e in errors] for name, errors in bound.errors.items()}


def assert_clear_error(text: str) -> None:
    """A message a person can act on: Japanese, not a class name or a traceback."""
    assert text.strip(), "empty error message"
    assert japanese(text), f"not Japanese: {text!r}"
    assert "Traceback" not in text and "Error(" not in text and "unexpected:" not in text, text


def assert_refused_page(response: Any, status: int, snapshot: Any) -> None:
    """A refusal answered with the service's error page: the status, a clear message, nothing stored."""
    assert response.status_code == status, response.status_code
    assert_clear_error(response.content.decode())
    snapshot.assert_nothing_stored()


def assert_field_refused(response: Any, field: str, snapshot: Any) -> list[str]:
    """The form shown again with an error on exactly this field (clear, Japanese), nothing stored."""
    assert response.status_code == 200, response.status_code
    errors = form_errors(response)
    assert list(errors) == [field], errors
    for text in errors[field]:
        assert_clear_error(text)
    snapshot.assert_nothing_stored()
    return errors[field]

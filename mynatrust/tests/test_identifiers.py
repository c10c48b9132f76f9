"""Text that names identifiers: plain text wherever it is text, marked up wherever it becomes HTML."""

from __future__ import annotations

import copy
import json

from django import forms
from django.template import Context, Template
from django.utils.html import conditional_escape, format_html

from kernel import ServiceError
from mynatrust.lib.identifiers import with_identifiers

MARKED = '<data class="identifier" translate="no" value="AB12-CD34">AB12-CD34</data>'


def _text() -> str:
    return with_identifiers("{id} は「{status}」です。", ids={"id": "AB12-CD34"}, status="<有効>")


def test_as_text_it_is_the_plain_sentence():
    """A log line, the audit record, JSON and a plain-text mail get the sentence as it reads."""
    text = _text()
    assert text == "AB12-CD34 は「<有効>」です。"
    assert str(text) == text and f"{text}" == text
    assert json.loads(json.dumps({"reason": text})) == {"reason": "AB12-CD34 は「<有効>」です。"}
    assert str(ServiceError(text)) == text and ServiceError(text).message == text
    plain = Template("{% autoescape off %}{{ text }}{% endautoescape %}").render(Context({"text": text}))
    assert plain == "AB12-CD34 は「<有効>」です。"


def test_as_html_the_identifiers_are_marked_up_and_the_rest_escaped():
    expected = f"{MARKED} は「&lt;有効&gt;」です。"
    text = _text()
    assert conditional_escape(text) == expected
    assert format_html("<p>{}</p>", text) == f"<p>{expected}</p>"
    assert Template("{{ text }}").render(Context({"text": text})) == expected
    assert conditional_escape(ServiceError(text).message) == expected


def test_a_form_error_keeps_its_markup():
    form = forms.Form(data={})
    form.is_valid()
    form.add_error(None, ServiceError(_text()).message)
    rendered = Template('{{ form.non_field_errors|join:" " }}').render(Context({"form": form}))
    assert rendered == f"{MARKED} は「&lt;有効&gt;」です。"
    assert form.errors.get_json_data()["__all__"][0]["message"] == "AB12-CD34 は「<有効>」です。"


def test_it_survives_a_copy():
    text = _text()
    for again in (copy.copy(text), copy.deepcopy(text)):
        assert again == text and conditional_escape(again) == conditional_escape(text)

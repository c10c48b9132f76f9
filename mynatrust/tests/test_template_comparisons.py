"""Templates ask the models where they stand; they never restate a status as a string.

A comparison such as ``{% if delegation.status == "draft" %}`` copies a business rule into the page:
when the model's states change, the page silently answers the old question. The models carry small
properties instead (``delegation.is_draft``, ``subscriber.in_review``). This scan fails on any
comparison of a template variable with a string literal, unless the variable is not model state and
is listed below with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

_LITERAL = r"""(?:"[^"]*"|'[^']*')"""
_VARIABLE = r"(?!(?:and|or|not|in|is)\b)([A-Za-z_][\w.]*)(?:\|[\w:]+)*"
_COMPARISONS = [
    re.compile(rf"{_VARIABLE}\s*(?:==|!=)\s*{_LITERAL}"),
    re.compile(rf"{_LITERAL}\s*(?:==|!=)\s*{_VARIABLE}"),
    re.compile(rf"{_LITERAL}\s+(?:not\s+)?in\s+{_VARIABLE}"),
]
_CONDITION = re.compile(r"\{%-?\s*(?:if|elif)\b(.*?)-?%\}", re.DOTALL)

# (template, variable) -> why the comparison is not a model's state.
ALLOWED: dict[tuple[str, str], str] = {
    (
        "errors/500.html",
        "language",
    ): "the page's language (get_current_language), not a model: English is added below Japanese",
    (
        "errors/503.html",
        "language",
    ): "the page's language (get_current_language), not a model: English is added below Japanese",
    ("admin/_passkey.html", "mode"): "the include's own parameter (register or verify), set by the including page",
    ("accounts/_audience.html", "audience"): "the sign-in page's audience, set by the view from its URL",
    ("admin/repository/documentversion/_comparison.html", "row.kind"): (
        "a row of the paragraph comparison (mynatrust.lib.paragraph_diff), not a model"
    ),
    ("delegations/detail.html", "waiting"): (
        "names of the checks still open, computed by delegations.services.waiting_for"
    ),
    ("admin/delegations/delegation/review.html", "waiting"): (
        "names of the checks still open, computed by delegations.services.waiting_for"
    ),
    ("forms/confirm.html", "field.widget_type"): (
        "the kind of widget of a form field (a file is carried by the signed token, not sent again), not a model"
    ),
    ("delegations/email/notice.txt", "what"): "which notice the mail is, chosen by the sending service",
    ("registry/email/notice.txt", "what"): "which notice the mail is, chosen by the sending service",
}


def template_roots() -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "templates"]
    roots += sorted(Path(settings.BASE_DIR).glob("*/templates"))
    roots += sorted(Path(settings.BASE_DIR).glob("*/*/templates"))
    return [root for root in roots if root.is_dir() and ".venv" not in root.parts]


def compared_variables(text: str) -> list[str]:
    """The variables that a template's ``if`` / ``elif`` conditions compare with a string literal."""
    found = []
    for condition in _CONDITION.findall(text):
        for pattern in _COMPARISONS:
            found += pattern.findall(condition)
    return found


def literal_comparisons() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for root in template_roots():
        for path in sorted(root.rglob("*")):
            if path.suffix not in {".html", ".txt", ".xml"} or not path.is_file():
                continue
            name = path.relative_to(root).as_posix()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                for variable in compared_variables(line):
                    found.setdefault((name, variable), []).append(f"{name}:{number}")
    return found


def test_the_scan_finds_each_form_of_comparison() -> None:
    assert compared_variables('{% if delegation.status == "draft" %}') == ["delegation.status"]
    assert compared_variables("{% elif 'open' != original.state %}") == ["original.state"]
    assert compared_variables('{% if user.is_authenticated and user.kind|lower != "staff" %}') == ["user.kind"]
    assert compared_variables('{% if "identity" in waiting %}') == ["waiting"]
    assert compared_variables('{% if x and "q" not in checks %}') == ["checks"]
    assert compared_variables("{% if delegation.is_draft %}{{ a == 'b' }}") == []
    assert compared_variables('{% translate "状態" %}') == []


def test_no_template_compares_model_state_with_a_string() -> None:
    found = literal_comparisons()
    offending = sorted(place for key, places in found.items() if key not in ALLOWED for place in places)
    assert offending == [], (
        "compare with a model property (e.g. delegation.is_draft) instead of a string literal, "
        "or list a comparison that is not model state in ALLOWED with the reason: " + ", ".join(offending)
    )


def test_every_allowed_comparison_still_exists() -> None:
    assert sorted(set(ALLOWED) - set(literal_comparisons())) == []

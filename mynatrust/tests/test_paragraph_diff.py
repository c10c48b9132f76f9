"""The comparison table of two versions of a document (新旧対照表), without a database."""

from __future__ import annotations

import pytest

from mynatrust.lib.paragraph_diff import compare, has_changes, paragraphs


def _text(segments):
    return "".join(text for text, _changed in segments)


def _marked(segments):
    return [text for text, changed in segments if changed]


def test_paragraphs_are_the_non_empty_lines():
    assert paragraphs("第1条 目的\r\n\n  第2条 定義  \n") == ["第1条 目的", "第2条 定義"]


def test_a_changed_paragraph_is_shown_beside_the_old_one_with_the_changed_characters_marked():
    rows = compare("第1条 目的\n第2条 料金は月額千円とする。", "第1条 目的\n第2条 料金は月額二千円とする。")
    assert [row.kind for row in rows] == ["unchanged", "changed"]
    changed = rows[1]
    assert _text(changed.new) == "第2条 料金は月額二千円とする。"
    assert _text(changed.old) == "第2条 料金は月額千円とする。"
    assert _marked(changed.new) == ["二"] and _marked(changed.old) == []


@pytest.mark.parametrize(
    ("old", "new", "kinds"),
    [
        ("第1条", "第1条\n第2条 新設", ["unchanged", "added"]),  # an article added at the end
        ("第1条\n第2条 削る", "第1条", ["unchanged", "removed"]),  # an article removed
        ("", "第1条 初版", ["added"]),  # nothing to compare with: everything is new
        ("第1条\n第2条\n第3条", "第1条\n第2条\n第3条", ["unchanged"]),  # identical: one collapsed row
    ],
)
def test_added_removed_and_unchanged_paragraphs(old, new, kinds):
    assert [row.kind for row in compare(old, new)] == kinds


def test_a_run_of_unchanged_paragraphs_is_one_row_that_counts_them():
    rows = compare("第1条\n第2条\n第3条\n第4条 旧", "第1条\n第2条\n第3条\n第4条 新")
    assert rows[0].kind == "unchanged" and rows[0].unchanged_count == 3
    assert _text(rows[0].new) == "第1条"


def test_has_changes_tells_an_identical_text_apart():
    assert not has_changes(compare("第1条", "第1条"))
    assert has_changes(compare("第1条", "第1条 改"))

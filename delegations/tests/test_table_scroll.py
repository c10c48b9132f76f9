"""The delegation list's table scrolls in a labelled, focusable box whose first line says so, in
the reader's language: the page as sent, which is what a browser without scripts keeps (with
site.js, the box is a Tab stop and the line is shown and read only while the table is wider than
the box: test_table_scroll_browser)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from delegations.tests.lifecycle import make_draft
from mynatrust.tests.identifier_markup import speak

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "label", "hint"),
    [
        ("ja", "電子委任状の一覧", "横にスクロールすると、表の続きを表示できます。"),
        ("en", "Electronic delegations", "Scroll sideways to see the rest of the table."),
    ],
)
def test_the_list_scrolls_in_a_labelled_box_that_says_so(client, settings, subscriber, member, language, label, hint):
    make_draft(subscriber, member)
    client.force_login(member)
    speak(client, settings, language)
    html = client.get(reverse("delegations:list")).content.decode()
    assert (
        f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}"'
        ' aria-describedby="delegation-list-hint">\n'
        f'  <p class="scroll-hint" id="delegation-list-hint">{hint}</p>'
    ) in html

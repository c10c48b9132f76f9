"""Delegation downloads and signed files (they carry the signer's certificate details) are never
kept by a browser or a proxy cache (mynatrust.middleware.PrivateCacheMiddleware)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from delegations.tests.lifecycle import make_active

pytestmark = pytest.mark.django_db


def test_delegation_downloads_and_signed_files_are_never_stored(client, subscriber, member, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    client.force_login(member)
    urls = [
        reverse("delegations:download", args=[delegation.public_id, what])
        for what in ("delegation.pdf", "delegation.xml")
    ] + [reverse("delegations:signed_file", args=[delegation.public_id, role]) for role in ("principal", "agent")]
    urls.append(reverse("delegations:detail", args=[delegation.public_id]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, (url, response["Cache-Control"])

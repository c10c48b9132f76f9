from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from mynatrust.repository.models import Notice


def banners(request: HttpRequest) -> dict[str, Any]:
    """``site_banners``: the notices shown at the top of every page, read when a page first uses
    them (one indexed query per page)."""
    return {"site_banners": SimpleLazyObject(lambda: list(Notice.objects.banners()[:5]))}

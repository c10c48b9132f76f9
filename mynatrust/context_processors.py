from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def service(request: HttpRequest) -> dict[str, Any]:
    return {
        "SERVICE_NAME": settings.SERVICE_NAME,
        "SERVICE_FORMAL_NAME": settings.SERVICE_FORMAL_NAME,
        "OPERATOR_NAME": settings.OPERATOR_NAME,
        "DEMO_MODE": settings.DEMO_MODE,
    }

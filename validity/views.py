from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mynatrust.access import recipient_required


@recipient_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "validity/home.html")

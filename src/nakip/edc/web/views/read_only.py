"""The page every edit URL of a locked subject answers: read-only, with where to read the data.

A locked subject's data cannot change (services refuse every write); showing the form anyway let
a user type a correction only to lose it at save, so GET shows this page and POST is refused.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from nakip.edc.models import Subject

#: HTTP status of a write attempted on a locked subject (the state forbids it).
REFUSED = 409


def locked_page(request: HttpRequest, subject: Subject, back_url: str = "") -> HttpResponse | None:
    """The read-only page when the subject is locked (None otherwise, to go on editing)."""
    if not subject.is_locked:
        return None
    back = back_url or reverse("edc-web:casebook", args=[subject.subject_number])
    return render(
        request,
        "edc/locked.html",
        {"subject": subject, "back_url": back},
        status=REFUSED if request.method == "POST" else 200,
    )

"""Root URL configuration: the REST API under api/ and the web pages at the root, when present."""

from __future__ import annotations

from importlib.util import find_spec

from django.urls import include, path

urlpatterns: list = []

if find_spec("nakip.edc.api") is not None and find_spec("nakip.edc.api.urls") is not None:
    urlpatterns.append(path("api/", include("nakip.edc.api.urls")))
if find_spec("nakip.edc.web") is not None and find_spec("nakip.edc.web.urls") is not None:
    urlpatterns.append(path("", include("nakip.edc.web.urls")))

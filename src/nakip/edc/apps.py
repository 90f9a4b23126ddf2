"""Django application configuration of the NAKIP EDC (app label `edc`)."""

from __future__ import annotations

from django.apps import AppConfig


class EDCConfig(AppConfig):
    """The one Django app holding NAKIP's data-capture models."""

    name = "nakip.edc"
    label = "edc"
    verbose_name = "NAKIP EDC"
    default_auto_field = "django.db.models.BigAutoField"

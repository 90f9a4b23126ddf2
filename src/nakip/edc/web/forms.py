"""Django forms for the pages: case report forms built from the protocol's form definitions.

The protocol is the single source of truth for field rules, so the generated fields accept any
text and the services' edit checks (FormValidationError) supply the per-field messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from nakip.clinical.ctcae_terms import soc_of
from nakip.edc.checks import conditions_in_words
from nakip.edc.exceptions import FormValidationError, ReasonRequiredError
from nakip.protocol.model import FormDefinition, FormField

#: Fields rendered as a multi-line text area.
LONG_TEXT_FIELDS = frozenset({"comment", "details", "new_therapy_details"})
#: Names of the fields the pages add to a protocol form. Protocol field names match
#: ^[a-z][a-z0-9_]*$, so a leading underscore can never collide with one (end_of_study has a
#: protocol field called `reason`).
REASON_FIELD = "_reason"
VERSION_FIELD = "_version"
CONSENT_FIELD = "_consent_date"
SITE_FIELD = "_site"
#: Error keys of the services that name one of the fields above.
SERVICE_ALIASES = {"consent_date": CONSENT_FIELD, "site": SITE_FIELD}


def _help(f: FormField, labels: Mapping[str, str]) -> str:
    """Help text of a field: the protocol help plus its conditional requirement, in words."""
    parts = [f.help] if f.help else []
    if f.required_if:
        parts.append(f"required when {conditions_in_words(f.required_if, labels)}")
    if f.not_before:
        parts.append(f"not before {f.not_before.replace('_', ' ')}")
    return "; ".join(parts)


#: A choice field with more options than this is typed with suggestions (the CTCAE term list).
SEARCH_CHOICES_ABOVE = 20


class SearchableChoice(forms.TextInput):
    """A text input with the choices as browser suggestions (typing filters them); the option
    label shows a CTCAE term's SOC. The edit checks still accept only a listed choice."""

    def __init__(self, name: str, choices: list[str]):
        super().__init__(attrs={"list": f"choices-{name}", "autocomplete": "off"})
        self.list_id = f"choices-{name}"
        self.options = [(c, soc_of(c) or "") for c in choices]

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        options = "".join(
            format_html('<option value="{}" label="{} — {}"></option>', c, c, soc)
            if soc
            else format_html('<option value="{}"></option>', c)
            for c, soc in self.options
        )
        datalist = format_html('<datalist id="{}">{}</datalist>', self.list_id, mark_safe(options))
        return mark_safe(super().render(name, value, attrs, renderer) + datalist)


#: The wire format of `<input type="date">` (HTML spec: a valid date string is ISO 8601). Django
#: would otherwise format a date with the locale's first input format (en-GB: 28/11/2026), which
#: the browser rejects, so the field shows empty and the save fails.
ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def iso_date_input() -> forms.DateInput:
    """A browser date picker whose value is always ISO; the locale only affects its display."""
    return forms.DateInput(format=ISO_DATE, attrs={"type": "date"})


def _widget(f: FormField) -> forms.Widget:
    """An input fitting the field's type; ranges and keyboards help on a tablet."""
    if f.type == "boolean":
        return forms.Select(choices=[("", "—"), ("true", "Yes"), ("false", "No")])
    if f.type == "choice" and len(f.choices) > SEARCH_CHOICES_ABOVE:
        return SearchableChoice(f.name, f.choices)
    if f.type == "choice":
        labels = [(c, c.replace("_", " ")) for c in f.choices]
        return forms.Select(choices=[("", "—"), *labels])
    if f.type == "date":
        return iso_date_input()
    if f.type == "datetime":
        return forms.DateTimeInput(format=ISO_DATETIME_LOCAL, attrs={"type": "datetime-local"})
    if f.type in ("integer", "decimal"):
        attrs = {"inputmode": "numeric" if f.type == "integer" else "decimal"}
        attrs["autocomplete"] = "off"
        return forms.TextInput(attrs=attrs)
    if f.name in LONG_TEXT_FIELDS:
        return forms.Textarea(attrs={"rows": 3})
    return forms.TextInput()


def display_value(f: FormField | None, value: Any) -> str:
    """A stored value as text in an input (booleans as true/false, 12.0 as 12)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and (f is None or f.type != "choice"):
        return str(int(value))
    if f is not None and f.type == "datetime" and isinstance(value, str):
        return value[:16]
    return str(value)


class ProtocolForm(forms.Form):
    """A case report form from a `FormDefinition`; validation is left to the edit checks."""

    def __init__(self, definition: FormDefinition, *args: Any, **kwargs: Any):
        self.definition = definition
        super().__init__(*args, **kwargs)
        labels = {f.name: f.label for f in definition.fields}
        for f in definition.fields:
            field = forms.CharField(
                label=f.label,
                required=False,
                strip=False,
                help_text=_help(f, labels),
                widget=_widget(f),
            )
            field.unit = f.unit or ""
            field.protocol_required = f.required
            field.protocol_type = f.type
            self.fields[f.name] = field

    @classmethod
    def initial_from(cls, definition: FormDefinition, values: Mapping[str, Any]) -> dict[str, str]:
        """Initial data for an edit form from stored record values."""
        by_name = {f.name: f for f in definition.fields}
        return {k: display_value(by_name.get(k), v) for k, v in values.items()}

    def protocol_fields(self) -> list[forms.BoundField]:
        """The bound protocol fields in the order of the form definition."""
        return [self[f.name] for f in self.definition.fields]

    def submitted_values(self) -> dict[str, str]:
        """The protocol fields as submitted (blank ones left out: stored as absent)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        out = {}
        for f in self.definition.fields:
            raw = data.get(f.name, "")
            if raw is not None and str(raw).strip() != "":
                out[f.name] = str(raw)
        return out

    def apply_errors(self, exc: FormValidationError) -> None:
        """Show a service's per-field messages next to the fields (others at the top)."""
        for name, messages in exc.errors.items():
            if isinstance(exc, ReasonRequiredError):
                name = REASON_FIELD
            if SERVICE_ALIASES.get(name) in self.fields:
                name = SERVICE_ALIASES[name]
            target = name if name in self.fields else None
            for msg in messages:
                if target is None and name not in ("__all__", ""):
                    msg = f"{name.replace('_', ' ')}: {msg}"
                self.add_error(target, msg)


class RecordForm(ProtocolForm):
    """Entry or edit of a form record; edits carry the reason for change and the version read."""

    def __init__(self, definition: FormDefinition, *args: Any, edit: bool = False, **kwargs: Any):
        super().__init__(definition, *args, **kwargs)
        self.edit = edit
        if edit:
            self.fields[REASON_FIELD] = forms.CharField(
                label="Reason for change",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="required: why the data are corrected (kept in the audit trail)",
            )
            self.fields[REASON_FIELD].protocol_required = True
            self.fields[VERSION_FIELD] = forms.IntegerField(widget=forms.HiddenInput)

    def reason_field(self) -> forms.BoundField | None:
        """The bound reason-for-change field (templates cannot read `_reason`)."""
        return self[REASON_FIELD] if REASON_FIELD in self.fields else None

    def reason(self) -> str:
        """The reason for change as typed (stripped)."""
        return (self.cleaned_data.get(REASON_FIELD) or "").strip()

    def version(self) -> int | None:
        """The record version the user read (None when the hidden field was lost)."""
        return self.cleaned_data.get(VERSION_FIELD)


class ScreeningForm(RecordForm):
    """The screening form plus the informed-consent date (a column of the screening record)."""

    def __init__(
        self,
        definition: FormDefinition,
        *args: Any,
        sites: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ):
        super().__init__(definition, *args, **kwargs)
        first = [CONSENT_FIELD]
        if sites is not None:
            site = forms.ChoiceField(label="Site", choices=sites, required=True)
            site.unit = ""
            site.protocol_required = True
            self.fields[SITE_FIELD] = site
            first.insert(0, SITE_FIELD)
        consent = forms.DateField(
            label="Date of informed consent",
            required=True,
            widget=iso_date_input(),
            error_messages={"required": "the consent date is required"},
        )
        consent.unit = ""
        consent.protocol_required = True
        self.fields[CONSENT_FIELD] = consent
        self.order_fields(first)

    def extra_fields(self) -> list[forms.BoundField]:
        """The record-level fields shown above the protocol fields (site, consent date)."""
        return [self[n] for n in (SITE_FIELD, CONSENT_FIELD) if n in self.fields]


class EnrolForm(forms.Form):
    """Enrolment date (study day 1) entered on the screening page."""

    enrolment_date = forms.DateField(
        label="Enrolment date (study day 1, first talazoparib dose)",
        widget=iso_date_input(),
    )


class ScreenFailureForm(forms.Form):
    """Screen-failure reasons, one per line (blank = the eligibility verdict's reasons)."""

    reasons = forms.CharField(
        label="Reasons (one per line; blank = the eligibility reasons)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def reason_list(self) -> list[str]:
        """The non-blank lines of the reasons box."""
        text = self.cleaned_data.get("reasons") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class SignForm(forms.Form):
    """Password re-entry for the investigator's electronic signature."""

    password = forms.CharField(
        label="Re-enter your password to sign",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ReasonForm(forms.Form):
    """A free-text reason (locking and unlocking a subject)."""

    reason = forms.CharField(label="Reason", required=False, widget=forms.TextInput())


class QueryRaiseForm(forms.Form):
    """A manual query on one field of a record, or on the whole record."""

    field_name = forms.ChoiceField(label="Field", required=False)
    text = forms.CharField(label="Query", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, definition: FormDefinition, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["field_name"].choices = [("", "(whole record)")] + [
            (f.name, f.label) for f in definition.fields
        ]


class QueryAnswerForm(forms.Form):
    """Site staff's answer to an open query."""

    answer = forms.CharField(label="Answer", widget=forms.Textarea(attrs={"rows": 2}))


class QueryCloseForm(forms.Form):
    """Optional note of a monitor or data manager closing a query."""

    note = forms.CharField(label="Closing note", required=False)

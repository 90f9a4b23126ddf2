"""The protocol the EDC runs and its form definitions, read by every layer of the EDC.

Kept below the services so derivations, datasets and pages can ask for the protocol without
importing the write services (and without a function-local import to dodge a cycle).
"""

from __future__ import annotations

from django.conf import settings

from nakip.edc.exceptions import NotFoundError
from nakip.protocol import Protocol, load_protocol
from nakip.protocol.model import FormDefinition

#: The form filled at screening (written by the screening services, never as a form record).
SCREENING_FORM = "screening"
#: The expedited SAE report, filed only through its workflow (edc/sae.py).
SAE_REPORT_FORM = "sae_report"


def get_protocol() -> Protocol:
    """The protocol the EDC runs: settings.NAKIP_PROTOCOL_FILE or the packaged NAKIP-AML file."""
    return load_protocol(getattr(settings, "NAKIP_PROTOCOL_FILE", None))


def form_definition(code: str, version: int | None = None) -> FormDefinition:
    """A form definition (latest version when None); NotFoundError for an unknown form."""
    try:
        return get_protocol().form(code, version)
    except KeyError:
        raise NotFoundError(
            f"unknown form {code!r}" + (f" version {version}" if version else "")
        ) from None

"""The client's address, as django-axes keys its login and e-signature lockout on it.

Behind a reverse proxy every TCP peer is the proxy; only when the deployment names its
proxies (NAKIP_TRUSTED_PROXIES) is X-Forwarded-For believed, and then only the hops those
proxies added: the right-most address that is not a trusted proxy is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest) -> str:
    """The client address of `request` (see the module docstring); the TCP peer by default."""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    trusted = set(getattr(settings, "NAKIP_TRUSTED_PROXIES", ()) or ())
    if peer not in trusted:
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") or ""
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if hop in trusted:
            continue
        return hop if _valid(hop) else peer
    return peer

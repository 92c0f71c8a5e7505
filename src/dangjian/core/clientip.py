"""The client's address, one rule for login throttling (django-axes) and the check-in
attempt log.

Behind a reverse proxy REMOTE_ADDR is the proxy's own address: every login would seem to
come from one place, and five wrong passwords from anyone would lock a phone number for
everyone. `AXES_IP_HEADERS` names the headers the proxy sets (docs/operations.md); the first
one present wins. A header may carry a list (`X-Forwarded-For: client, proxy1`): its last
entry is the one our own proxy added, the others are whatever the client claimed."""

import functools
import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    for header in settings.AXES_IPWARE_META_PRECEDENCE_ORDER:
        value = request.META.get(header)
        if not value:
            continue
        address = _normalized(value.split(",")[-1].strip())
        if address is not None:
            return address
    return None


@functools.lru_cache(maxsize=4096)
def _normalized(candidate: str) -> str | None:
    # The same few addresses come again and again (a proxy's, a venue's Wi-Fi), and parsing
    # one is Python code: remember the answers.
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None

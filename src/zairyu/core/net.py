"""The client's address: one answer for the rate limits (SEC-5), the service A address check
(A-4), the audit trail (SEC-6) and the logs.

Behind the TLS proxy, ``REMOTE_ADDR`` is the proxy's address and the client's is in
``X-Forwarded-For``, which every proxy on the way appends the address it saw to. Anyone can
send that header, so it is read only when the direct peer is one of ``ZAIRYU_TRUSTED_PROXIES``
(env ``TRUSTED_PROXIES``), and only as far as trusted proxies wrote it: walking from the right,
each hop written by a trusted proxy is believed, and the first address that is not a trusted
proxy is the client. Whatever the client put further left is never read. With no trusted
proxies configured the header is ignored altogether.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(ranges: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(text, strict=False) for text in ranges)


def trusted_proxies() -> tuple[Network, ...]:
    """The proxy ranges ``X-Forwarded-For`` is believed from (``ZAIRYU_TRUSTED_PROXIES``)."""
    return _networks(tuple(getattr(settings, "ZAIRYU_TRUSTED_PROXIES", None) or ()))


def parse_address(text: str | None) -> Address | None:
    """Read one address as proxies write it: ``203.0.113.9``, ``2001:db8::1``, also with a
    port (``203.0.113.9:4711``, ``[2001:db8::1]:4711``); IPv4-mapped IPv6 becomes IPv4.
    Anything else (``unknown``, a name, garbage) is None."""
    text = (text or "").strip()
    if text.startswith("["):  # [v6] or [v6]:port
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # v4:port (a bare IPv6 address has at least two colons)
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _is_trusted(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(request: HttpRequest | None) -> str | None:
    """Return the client's address as text, or None when there is no usable one.

    ``REMOTE_ADDR`` unless it is a trusted proxy; then the right-most ``X-Forwarded-For`` hop
    that is not a trusted proxy (all hops trusted: the left-most). A hop that is not an
    address stops the walk at the last address a trusted proxy vouched for, so a garbled
    header can never stand for a client.
    """
    if request is None:
        return None
    address = parse_address(request.META.get("REMOTE_ADDR"))
    if address is None:
        return None
    proxies = trusted_proxies()
    if proxies and _is_trusted(address, proxies):
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for hop in reversed(hops):
            if not _is_trusted(address, proxies):
                break
            forwarded = parse_address(hop)
            if forwarded is None:
                break
            address = forwarded
    return str(address)

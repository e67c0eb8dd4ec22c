"""Outgoing HTTP for data sources, with the limits of contract §9: a host must be allowed
(BOOST_CONNECTORS_ALLOWED_HOSTS; empty allows any), link-local and cloud-metadata
addresses never are (whatever the list says, and whatever a name resolves to), redirects
are followed only within the same host, every request has a timeout, and a body over
1 MiB is refused while it streams in, not after."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

MAX_BODY = 1024 * 1024
TIMEOUT = 10.0
MAX_REDIRECTS = 3
# Cloud instance-metadata endpoints outside 169.254.0.0/16 (AWS IPv6, Alibaba, Oracle's IPv6 twin).
METADATA = {ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "169.254.169.254")}


class Refused(Exception):
    """A fetch the rules do not allow, or whose answer breaks them. Its message names the
    host or the rule, never a credential."""


@dataclass(frozen=True)
class HostRules:
    """`allowed`: hosts, `host:port` and `*.suffix` entries; empty allows any host."""

    allowed: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, text: str) -> HostRules:
        return cls(tuple(p.strip().lower() for p in text.split(",") if p.strip()))

    def allows(self, host: str, port: int | None) -> bool:
        if not self.allowed:
            return True
        host = host.lower().rstrip(".")
        for entry in self.allowed:
            if entry.startswith("*."):
                if host.endswith(entry[1:]):
                    return True
            elif ":" in entry and not entry.startswith("["):
                name, _, p = entry.rpartition(":")
                if host == name and str(port) == p:
                    return True
            elif host == entry.strip("[]"):
                return True
        return False

    async def check(self, host: str | None, port: int | None,
                    what: str = "host") -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        """Refuse a host outside the list, or one that is (or resolves to) link-local/metadata.
        Returns the addresses it resolved to (HTTP connects to one of these, not to a name
        that could resolve differently a moment later)."""
        if not host:
            raise Refused(f"the {what} has no host")
        if _forbidden_literal(host):
            raise Refused(f"{host} is a link-local or cloud metadata address; sources may never reach it")
        if not self.allows(host, port):
            raise Refused(f"{host} is not in BOOST_CONNECTORS_ALLOWED_HOSTS")
        addrs = sorted(await _resolve(host, port), key=lambda a: a.version)  # IPv4 first
        for addr in addrs:
            if _forbidden(addr):
                raise Refused(f"{host} resolves to a link-local or cloud metadata address; sources may never reach it")
        return addrs


def _forbidden_literal(host: str) -> bool:
    try:
        return _forbidden(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return False


def _forbidden(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_link_local or addr in METADATA


async def _resolve(host: str, port: int | None) -> Iterable[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"{host} cannot be resolved") from exc
    return {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}


def _pin(url: str, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[str, str]:
    """The URL with its host replaced by `addr`, and the Host header it must carry."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{addr}]" if addr.version == 6 else str(addr)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host:  # an IPv6 literal in the URL itself
        host_header = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), host_header


class SafeHttp:
    def __init__(self, rules: HostRules, timeout: float = TIMEOUT, max_body: int = MAX_BODY) -> None:
        self.rules = rules
        self.timeout = timeout
        self.max_body = max_body
        # Certificates as the environment says (SSL_CERT_FILE: a company CA), but never its
        # proxies: a proxy would reach hosts the checks above never saw.
        self._tls = httpx.create_ssl_context(trust_env=True)

    async def get_json(self, url: str, *, params: dict[str, str] | None = None,
                       headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None) -> Any:
        body = await self.get(url, params=params, headers=headers, auth=auth)
        try:
            import json

            return json.loads(body)
        except ValueError as exc:
            raise Refused("the answer is not JSON") from exc

    async def get(self, url: str, *, params: dict[str, str] | None = None,
                  headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None) -> bytes:
        first = urlsplit(url)
        if first.scheme not in ("http", "https"):
            raise Refused("only http and https URLs are fetched")
        origin = (first.scheme, first.hostname, first.port)
        async with httpx.AsyncClient(follow_redirects=False, timeout=self.timeout, trust_env=False,
                                     verify=self._tls) as client:
            current = url
            for _ in range(MAX_REDIRECTS + 1):
                parts = urlsplit(current)
                if (parts.scheme, parts.hostname, parts.port) != origin:
                    raise Refused(f"redirected to another host ({parts.hostname}); not followed")
                default_port = 443 if parts.scheme == "https" else 80
                addrs = await self.rules.check(parts.hostname, parts.port or default_port, "URL")
                # Pinned: connect to the address just checked (no second lookup that DNS
                # rebinding could answer differently); Host and TLS (SNI and the certificate
                # check) still use the name.
                pinned, host_header = _pin(current, addrs[0])
                try:
                    async with asyncio.timeout(self.timeout):
                        async with client.stream("GET", pinned, params=params, auth=auth,
                                                 headers={**(headers or {}), "Host": host_header},
                                                 extensions={"sni_hostname": parts.hostname}) as response:
                            if response.is_redirect:
                                location = response.headers.get("location", "")
                                current = urljoin(current, location)
                                params = None  # the Location carries its own query
                                continue
                            return await self._body(response, parts.hostname)
                except TimeoutError as exc:
                    raise Refused(f"{parts.hostname} did not answer within {self.timeout:.0f} s") from exc
                except httpx.HTTPError as exc:
                    raise Refused(f"{parts.hostname} could not be reached ({type(exc).__name__})") from exc
            raise Refused("too many redirects")

    async def _body(self, response: httpx.Response, host: str | None) -> bytes:
        """The answer's body, refused past `max_body` (declared or streamed) or on an HTTP error."""
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            raise Refused("the answer is over 1 MiB")
        chunks: list[bytes] = []
        seen = 0
        async for chunk in response.aiter_bytes():
            seen += len(chunk)
            if seen > self.max_body:
                raise Refused("the answer is over 1 MiB")
            chunks.append(chunk)
        if response.status_code >= 400:
            raise Refused(f"{host} answered HTTP {response.status_code}")
        return b"".join(chunks)

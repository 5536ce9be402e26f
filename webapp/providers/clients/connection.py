"""What every download client shares: its address, its time limit, and how a failed exchange reads.

Secrets (passwords, API keys) travel in request bodies or headers, never in a URL we build, so
that no URL logged by an HTTP library carries one; text a server sends back is cut short and has
our secrets blanked before it reaches a message.
"""
from __future__ import annotations

import functools
import logging
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx

from ..base import ProviderError
from ..settings import ClientSettings

log = logging.getLogger("cinephage.providers")

DEFAULT_TIMEOUT = 5.0  # seconds per connection or read: a provider test must end within 15 s
BRIEF_LENGTH = 200


class ConfiguredClient:
    """A download client as configured: its settings, the shared HTTP client (if any) and its time limit."""

    product = "Download client"  # the product's name, as people know it
    default_port = 0
    default_url_base = ""

    def __init__(self, settings: ClientSettings, http: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.settings = settings
        self.name = settings.name
        self.protocols = settings.protocols
        self._http = http
        self._timeout = timeout

    @property
    def url(self) -> str:
        """The client's root: ``http(s)://host:port/<url base>``, without a trailing slash."""
        scheme = "https" if self.settings.use_ssl else "http"
        host = self.settings.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 literal
        port = self.settings.port or self.default_port
        base = (self.settings.url_base or self.default_url_base).strip("/")
        return f"{scheme}://{host}:{port}/{base}" if base else f"{scheme}://{host}:{port}"

    def connection(self) -> AbstractContextManager[httpx.Client]:
        return connection(self._http, self._timeout)

    def brief(self, text: object) -> str:
        """A server's text for a message: one line, cut short, our secrets blanked."""
        return brief(text, self.settings.password, self.settings.api_key)

    def failed_exchange(self, error: httpx.HTTPError, where: str) -> ProviderError:
        """The message for an httpx exchange that raised instead of answering."""
        log.debug("%s at %s: %s", self.product, where, type(error).__name__)
        if isinstance(error, httpx.TransportError):
            return self.no_answer(where, timed_out=isinstance(error, httpx.TimeoutException))
        return ProviderError(f"{self.product} at {where} answered something unreadable ({type(error).__name__})")

    def no_answer(self, where: str, *, timed_out: bool) -> ProviderError:
        """The message for an exchange that got no HTTP answer (none in time, or no connection).

        Libraries' own messages are left out: theirs may hold a URL with credentials in it.
        """
        if timed_out:
            return ProviderError(f"{self.product} at {where} did not answer within {self._timeout:g} s")
        return ProviderError(f"Could not connect to {self.product} at {where}")

    def post_json(self, http: httpx.Client, url: str, *, credentials: str = "username or password",
                  **request: Any) -> Any:
        """POSTs to one of the client's endpoints and returns the JSON it answers.

        ``request`` goes to httpx as is (json, data, files, auth, headers). A failed exchange,
        an HTTP error status or a body that is not JSON ends in ``ProviderError``.
        """
        try:
            response = http.post(url, timeout=self._timeout, **request)
        except httpx.HTTPError as error:
            raise self.failed_exchange(error, url) from error
        return self.json_of(response, credentials)

    def json_of(self, response: httpx.Response, credentials: str) -> Any:
        """The JSON body of a client's answer, or ``ProviderError`` saying what came instead."""
        if response.status_code in (401, 403):
            raise ProviderError(
                f"{self.product} refused the {credentials} (HTTP {response.status_code})")
        if response.status_code >= 400:
            raise ProviderError(f"{self.product} answered HTTP {response.status_code}: "
                                f"{self.brief(response.text) or response.reason_phrase}")
        try:
            return response.json()
        except ValueError:
            raise ProviderError(f"{self.product} answered something that is not JSON: "
                                f"{self.brief(response.text)!r}") from None


@contextmanager
def connection(http: httpx.Client | None, timeout: float) -> Iterator[httpx.Client]:
    """The shared HTTP client when there is one, else one for this call only."""
    if http is not None:
        yield http
        return
    with own_client(timeout) as own:
        yield own


def own_client(timeout: float) -> httpx.Client:
    """A short-lived HTTP client, for one call or one session (its cookies die with it)."""
    return httpx.Client(timeout=timeout, verify=_tls_context())


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context (httpx's default one) for every short-lived client: loading the CA bundle costs ~30 ms."""
    return httpx.create_ssl_context()


def brief(text: object, *secrets: str) -> str:
    """``text`` on one line, at most ``BRIEF_LENGTH`` characters, with each secret blanked."""
    line = " ".join(str(text).split())
    for secret in secrets:
        if secret:
            line = line.replace(secret, "***")
    return line if len(line) <= BRIEF_LENGTH else line[:BRIEF_LENGTH - 1] + "…"


"""Type stubs of the native module ``genesys_resolver._native`` (checked by ``mypy.stubtest``)."""

from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, Final, NoReturn, Optional, Sequence, Union, final

__version__: Final[str]
__all__ = [
    "AddressPolicyError",
    "AuthError",
    "DnsError",
    "GenesysApiError",
    "HealthCheckError",
    "RateLimitedError",
    "ResolverError",
    "TlsError",
    "ValidationError",
    "Violation",
    "__version__",
    "_raise_error",
    "_sleep",
    "_sleep_async",
    "build_payload",
    "to_wire_json",
    "validate",
]

_Payload = dict[str, Any]
"""A payload in the seed's JSON shape: ``name``, ``type``, ``uri``, ``uris``, ``retryPolicy``
(``maxRetries``, ``retryInterval``, ``backoffFactor``), ``eventFilters`` (``eventType``,
``fields``) and ``headers``."""

_Limits = Mapping[str, Union[int, float, Sequence[str]]]
"""Validation limits by ``Limits`` field name: ``max_uris``, ``max_retries``,
``min_backoff_factor``, ``max_backoff_factor``, ``max_retry_interval``, ``max_name_chars``,
``allowed_types``, ``max_payload_bytes``. Missing keys keep the defaults."""

@final
class Violation:
    """One broken rule: ``path`` (JSON path, empty for the whole payload), ``code`` (stable rule
    name such as ``uri_not_https``) and ``message``."""

    @property
    def path(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    def __new__(cls, path: str, code: str, message: str) -> Violation: ...
    def to_dict(self) -> dict[str, str]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

class ResolverError(Exception):
    """Base class of every error genesys_resolver raises."""

    stage: Optional[str]
    """The pipeline stage that failed (``validate``, ``route_mapping``, ``probe``, ``token``,
    ``submit``), or None for errors outside the pipeline."""
    kind: str
    """The core's error classification (``validation``, ``dns``, ``rate_limited``, ...)."""
    retryable: bool
    """Whether trying again later can help."""

class ValidationError(ResolverError, ValueError):
    """The payload breaks the schema rules; ``violations`` lists every problem."""

    violations: list[Violation]

class AddressPolicyError(ResolverError):
    """A destination resolves to an address the policy forbids."""

class DnsError(ResolverError):
    """A destination's host name could not be resolved."""

class TlsError(ResolverError):
    """The TLS handshake with a destination failed."""

class HealthCheckError(ResolverError):
    """A destination could not be reached or did not answer its health check."""

class AuthError(ResolverError):
    """Genesys Cloud refused the client credentials or the token."""

    status: Optional[int]
    code: Optional[str]
    correlation_id: Optional[str]

class GenesysApiError(ResolverError):
    """The Genesys Cloud API answered with an error, or could not be reached (``status`` None)."""

    status: Optional[int]
    code: Optional[str]
    correlation_id: Optional[str]

class RateLimitedError(GenesysApiError):
    """Genesys Cloud rate-limited the request; ``retry_after`` is in seconds."""

    retry_after: Optional[float]

def build_payload(
    name: str,
    uri: str,
    event_types: Iterable[str],
    *,
    uris: Optional[Iterable[str]] = None,
    max_retries: int = 3,
    retry_interval: float = 5.0,
    backoff_factor: float = 2.0,
    headers: Optional[Mapping[str, str]] = None,
    type: str = "webhook",
    limits: Optional[_Limits] = None,
) -> _Payload:
    """The seed's ``BuildResolvePayload``, validated; raises ``ValidationError``."""

def validate(payload: _Payload, *, limits: Optional[_Limits] = None) -> None:
    """Checks every schema rule; raises ``ValidationError`` listing every violation."""

def to_wire_json(payload: _Payload) -> str:
    """The JSON the seed's Go code sends for ``payload``, byte for byte."""

# Test hooks of the package's own test suite; not part of the API.
def _raise_error(
    kind: str,
    message: str,
    *,
    stage: Optional[str] = None,
    retryable: bool = False,
    status: Optional[int] = None,
    code: Optional[str] = None,
    correlation_id: Optional[str] = None,
    retry_after: Optional[float] = None,
) -> NoReturn: ...
def _sleep(seconds: float) -> None: ...
def _sleep_async(seconds: float) -> Awaitable[float]: ...

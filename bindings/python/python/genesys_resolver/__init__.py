"""Validate, verify and deploy Genesys Cloud event-routing endpoint configurations.

Payloads are plain dicts in the seed's JSON shape (``name``, ``type``, ``uri``, ``uris``,
``retryPolicy``, ``eventFilters``, ``headers``)::

    import genesys_resolver as gr

    payload = gr.build_payload(
        "orders-webhook",
        "https://hooks.example.com/genesys",
        ["v2.routing.queues.{id}.conversations"],
    )
    gr.validate(payload)            # raises gr.ValidationError listing every violation
    print(gr.to_wire_json(payload))  # byte for byte what the seed's Go code sends

Every error is a :class:`ResolverError`; :class:`ValidationError` is also a ``ValueError``.
Diagnostics go to the ``logging`` logger ``genesys_resolver``.
"""

from ._native import (
    AddressPolicyError,
    AuthError,
    DnsError,
    GenesysApiError,
    HealthCheckError,
    RateLimitedError,
    ResolverError,
    TlsError,
    ValidationError,
    Violation,
    __version__,
    build_payload,
    to_wire_json,
    validate,
)

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
    "build_payload",
    "to_wire_json",
    "validate",
]

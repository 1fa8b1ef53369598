"""Audit records as Python objects: one :class:`AuditRecord` per operation.

Every operation of a :class:`~genesys_resolver.Resolver` (``resolve``, ``check``), an
:class:`~genesys_resolver.EventBridgeDeployer` (``plan``, ``apply``, ``disable``, ``delete``, the
operations of a ``sync``) and a :class:`~genesys_resolver.RouteDeployer` (``plan``, ``check``,
``apply``, ``destroy``), blocking or ``*_async``, ends with one record. Pass a callable as
``audit=`` and it receives each one::

    from genesys_resolver.audit import AuditLog

    log = AuditLog()                                   # keeps the records in memory
    resolver = gr.Resolver(environment, client_id, client_secret, audit=log)
    resolver.resolve(payload)
    [record] = log.take()
    print(record.action, record.integration_id, record.latency_ms)

Any callable taking an :class:`AuditRecord` works (``audit=records.append``, or
:class:`JsonLinesAudit` to append JSON lines to a file). It is called once per operation, on the
library's worker thread (for ``*_async`` calls too, not on the event loop's thread), after the
operation ended and before its result is returned; keep it quick and thread-safe, as a
``logging.Handler`` is. An exception it raises is reported through ``sys.unraisablehook`` and
does not change the operation's result.

A record carries nothing secret: the ``uri`` and ``target`` lose any user-info and the values of
secret query parameters, header values that look secret are ``"[REDACTED]"``, and ``error`` is
scrubbed the same way. The same record is also logged, as one line at INFO, to the ``logging``
logger ``genesys_resolver.audit``, whether or not ``audit=`` is given.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Callable, Dict, Iterator, List, Mapping, Optional, TypedDict

from .types import Action, Operation, Stage

__all__ = [
    "AuditCallback",
    "AuditLog",
    "AuditRecord",
    "AuditRecordDict",
    "JsonLinesAudit",
]


class AuditRecordDict(TypedDict):
    """An :class:`AuditRecord` in its JSON form (:meth:`AuditRecord.to_dict`), as the core's
    JSON-lines audit log and the service write it: every key present, ``None`` where there is
    nothing, the time as RFC 3339 in UTC."""

    timestamp: str
    message: str
    integration_name: str
    uri: str
    endpoint_count: int
    action: Optional[Action]
    success: bool
    latency_ms: float
    failed_stage: Optional[Stage]
    error: Optional[str]
    correlation_id: Optional[str]
    dry_run: bool
    integration_id: Optional[str]
    headers: Dict[str, str]
    operation: Operation
    target: Optional[str]


def _parse_timestamp(text: str) -> datetime:
    # RFC 3339 in UTC with up to nine fractional digits; datetime keeps six (Python 3.9's
    # fromisoformat takes neither a `Z` nor more than six).
    head, _, rest = text.partition(".")
    if rest:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        head = f"{head}.{digits[:6].ljust(6, '0')}"
    else:
        zone = head[19:]
        head = head[:19]
    if zone in ("Z", "z"):
        zone = "+00:00"
    return datetime.fromisoformat(head + zone)


def _format_timestamp(value: datetime) -> str:
    text = value.isoformat()
    return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text


@dataclass(frozen=True)
class AuditRecord:
    """One operation as the audit log records it: who deployed what, when, and did it work.

    Compares, hashes (but for ``headers``), pickles and copies as a frozen dataclass;
    :meth:`to_dict` gives the JSON form."""

    timestamp: datetime
    """When the operation finished (timezone-aware, UTC)."""
    operation: Operation
    """``resolve`` (a resolve or its dry run, ``check``) or ``deploy`` (an EventBridge or route
    operation, or its plan)."""
    integration_name: str
    """The integration's (or route's) name; the id for ``delete_id``."""
    uri: str
    """The payload's primary URI, or the deploy's target, without user-info and with secret
    query values redacted."""
    target: Optional[str]
    """What a deploy acted on (``aws://region/account/suffix``, ``route://...``), redacted like
    ``uri``; None for a resolve."""
    endpoint_count: int
    """How many destinations the payload names (``uri`` plus ``uris``); 1 for a deploy."""
    action: Optional[Action]
    """What the operation did (for a dry run: would do); None when it failed."""
    success: bool
    latency_ms: float
    """Wall time of the operation in milliseconds."""
    failed_stage: Optional[Stage]
    """The stage that failed, when it failed."""
    error: Optional[str]
    """The error's message, when it failed, scrubbed of user-info, tokens and secret values."""
    correlation_id: Optional[str]
    """The upstream's correlation id of the last response, for support requests."""
    dry_run: bool
    """Whether nothing was written (``check``, ``plan``)."""
    integration_id: Optional[str]
    """The integration created, updated or found, when known."""
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    """The payload's headers; the values of secret ones are ``"[REDACTED]"``."""
    message: str = "resolve_operation"
    """Always ``resolve_operation`` (the message of the log line)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditRecord:
        """A record from its JSON form (:class:`AuditRecordDict`, a line of the core's
        JSON-lines audit log)."""
        return cls(
            timestamp=_parse_timestamp(data["timestamp"]),
            operation=data.get("operation") or "resolve",
            integration_name=data["integration_name"],
            uri=data["uri"],
            target=data.get("target"),
            endpoint_count=data["endpoint_count"],
            action=data.get("action"),
            success=data["success"],
            latency_ms=float(data["latency_ms"]),
            failed_stage=data.get("failed_stage"),
            error=data.get("error"),
            correlation_id=data.get("correlation_id"),
            dry_run=data["dry_run"],
            integration_id=data.get("integration_id"),
            headers=dict(data.get("headers") or {}),
            message=data.get("message") or "resolve_operation",
        )

    @classmethod
    def from_json(cls, line: str) -> AuditRecord:
        """A record from one line of JSON (:meth:`to_json`)."""
        return cls.from_dict(json.loads(line))

    def to_dict(self) -> AuditRecordDict:
        """The JSON form: the keys and order of the core's JSON-lines audit log."""
        return {
            "timestamp": _format_timestamp(self.timestamp),
            "message": self.message,
            "integration_name": self.integration_name,
            "uri": self.uri,
            "endpoint_count": self.endpoint_count,
            "action": self.action,
            "success": self.success,
            "latency_ms": self.latency_ms,
            "failed_stage": self.failed_stage,
            "error": self.error,
            "correlation_id": self.correlation_id,
            "dry_run": self.dry_run,
            "integration_id": self.integration_id,
            "headers": dict(self.headers),
            "operation": self.operation,
            "target": self.target,
        }

    def to_json(self) -> str:
        """The JSON form as one line, without the trailing newline."""
        return json.dumps(self.to_dict(), separators=(",", ":"))


AuditCallback = Callable[[AuditRecord], object]
"""What ``audit=`` takes: called with each record; its return value is ignored."""


class AuditLog:
    """Keeps every record in memory, in order; thread-safe. Pass it as ``audit=``.

    ::

        log = AuditLog()
        deployer = gr.RouteDeployer(environment, client_id, client_secret, audit=log)
        deployer.apply("route.yaml")
        assert [r.action for r in log] == ["created"]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: List[AuditRecord] = []

    def __call__(self, record: AuditRecord) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> List[AuditRecord]:
        """A copy of the records so far, oldest first."""
        with self._lock:
            return list(self._records)

    def take(self) -> List[AuditRecord]:
        """Removes and returns the records so far."""
        with self._lock:
            taken, self._records = self._records, []
            return taken

    def clear(self) -> None:
        """Forgets the records so far."""
        self.take()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[AuditRecord]:
        return iter(self.records)

    def __repr__(self) -> str:
        return f"AuditLog({len(self)} records)"


class JsonLinesAudit:
    """Writes each record as one line of JSON (:meth:`AuditRecord.to_json`) to a text stream,
    flushing after each line; lines of concurrent operations never interleave. The lines are
    those of the core's JSON-lines audit log (the service's and the command line's).

    ::

        with open("audit.jsonl", "a", encoding="utf-8") as trail:
            deployer = gr.EventBridgeDeployer(environment, client_id, client_secret,
                                              audit=JsonLinesAudit(trail))
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, record: AuditRecord) -> None:
        line = record.to_json() + "\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()

    def __repr__(self) -> str:
        return f"JsonLinesAudit({self._stream!r})"

"""API-destination delivery made as EventBridge makes it, each attempt recorded.

Sources (Amazon EventBridge User Guide, ``eb-api-destinations``, ``eb-target-connection-auth``,
``eb-targets``, ``eb-rule-dlq``; API reference of ``CreateConnection`` and ``Target``):

- the request: the API destination's method and endpoint; ``*`` in the endpoint's path replaced by
  the target's ``PathParameterValues`` in order; the target's ``HttpParameters`` headers and query
  strings (values may be ``$.`` paths into the event) and the connection's
  ``InvocationHttpParameters``, "the parameters added for the connection take precedence";
- the body: what the target's input (transformer) gives, or the whole event;
- EventBridge's headers: ``User-Agent: Amazon/EventBridge/ApiDestinations``, ``Content-Type:
  application/json; charset=utf-8`` unless a custom ``Content-Type`` is set (customisable since
  2024), ``Range: bytes=0-1048575``, ``Accept-Encoding: gzip,deflate``, ``Connection: close``,
  ``Content-Length`` and ``Host``; a custom header of another of these names is not sent;
- the connection's auth: API key (``ApiKeyName: ApiKeyValue``), Basic (``Authorization: Basic
  base64(user:password)``), OAuth client credentials (a token from the ``AuthorizationEndpoint``,
  sent as ``Authorization: Bearer``, refreshed when the endpoint answers 401 or 407);
- a 5-second limit per attempt; 429, 5xx and timeouts retried (and 401/407 on OAuth connections,
  after a token refresh) up to the target's ``RetryPolicy`` (185 attempts, 24 hours by default),
  ``Retry-After`` honoured (the more conservative of it and the backoff; a negative one stops the
  retries); then, or at once for other answers, the event goes to the target's dead-letter queue
  when it has one, otherwise it is dropped.

Emulated where AWS documents no detail (and said so in ``docs/src/aws-emulator.md``): the backoff
(1, 2, 4 ... emulated seconds, capped at 5 minutes, no jitter) on a compressed clock (one
emulated second takes ``time_scale`` real seconds); the OAuth token request (client id and secret
as ``Authorization: Basic``, the ``OAuthHttpParameters`` as headers, query strings and a
form-encoded body; the token read from the JSON answer's ``access_token`` and kept for its
``expires_in``); connection body parameters merged into a JSON-object body; 1xx and 3xx answers
count as failures. The first attempt of each matching target is made before ``PutEvents``
answers (retries follow in the background), so a test can look at the destination as soon as
the call returns.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from . import _transform

USER_AGENT = "Amazon/EventBridge/ApiDestinations"
DEFAULT_CONTENT_TYPE = "application/json; charset=utf-8"
#: Headers EventBridge sets itself; a custom header of one of these names is not sent.
EVENTBRIDGE_HEADERS = ("host", "user-agent", "range", "accept-encoding", "connection", "content-length")
DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE = 86400
MAX_BACKOFF = 300.0
RESPONSE_READ_LIMIT = 1024 * 1024


@dataclass
class DeliverySettings:
    """How deliveries are made: the trust roots, the clock and the per-attempt limit."""

    #: A PEM file of CA certificates trusted instead of the system's (a test CA standing in for
    #: public trust roots); None trusts the system's roots.
    ca_bundle: str | None = None
    #: Real seconds per emulated second for retry backoff and event age (0.001: an emulated hour
    #: takes 3.6 s).
    time_scale: float = 0.001
    #: Seconds EventBridge waits for each attempt (AWS: 5).
    attempt_timeout: float = 5.0


def _arn_parts(arn: str) -> tuple[str, str, str]:
    """Region, account and resource of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "", "", ""
    return parts[3], parts[4], parts[5]


def is_api_destination(arn: str) -> bool:
    """Whether a target ARN names an API destination."""
    return _arn_parts(arn)[2].startswith("api-destination/")


def _resolve(value: str, event: dict[str, Any]) -> str:
    """A parameter value, a ``$.`` path resolved in the original event."""
    if value.startswith("$."):
        found = _transform.json_path(value, event)
        if _transform.is_missing(found):
            return ""
        return found if isinstance(found, str) else json.dumps(found, separators=(",", ":"))
    return value


def _merge(pairs: list[tuple[str, str]], overriding: list[tuple[str, str]], fold: bool) -> list[tuple[str, str]]:
    """`pairs` with `overriding` taking precedence by key (case-insensitive when `fold`)."""

    def key(name: str) -> str:
        return name.lower() if fold else name

    taken = {key(k) for k, _ in overriding}
    return [(k, v) for k, v in pairs if key(k) not in taken] + overriding


def _params(group: dict[str, Any] | None, name: str) -> list[tuple[str, str]]:
    items = (group or {}).get(name) or []
    return [(str(p.get("Key", "")), str(p.get("Value", ""))) for p in items]


class Deliveries:
    """Every API-destination delivery of the process: the attempts made, the retries pending, the
    OAuth tokens held."""

    def __init__(self, settings: DeliverySettings | None = None) -> None:
        self.settings = settings or DeliverySettings()
        self._lock = threading.Condition()
        self._records: list[dict[str, Any]] = []
        self._pending = 0
        self._tokens: dict[str, tuple[str, float]] = {}
        self._generation = 0

    # --- what tests read ----------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """Every attempt so far, oldest first."""
        with self._lock:
            return [dict(r) for r in self._records]

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no retry is pending; False when `timeout` seconds passed first."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def reset(self) -> None:
        """Forgets the records and tokens; pending retries are dropped."""
        with self._lock:
            self._records.clear()
            self._tokens.clear()
            self._generation += 1
            self._pending = 0
            self._lock.notify_all()

    def _record(self, record: dict[str, Any]) -> None:
        with self._lock:
            record["seq"] = len(self._records) + 1
            self._records.append(record)

    # --- delivering ----------------------------------------------------------------------

    def deliver(self, rule: Any, target: dict[str, Any], internal_event: dict[str, Any]) -> None:
        """Delivers `internal_event` (moto's form) matched by `rule` to the API-destination
        `target`: the first attempt now, retries later."""
        event = _transform.public_event(internal_event)
        job = _Job(
            rule_arn=str(rule.arn),
            rule_name=str(rule.name),
            target=dict(target),
            event=event,
            ingestion_time=float(internal_event.get("ingestion-time") or time.time()),
            generation=self._generation,
        )
        self._attempt(job)

    def _attempt(self, job: _Job) -> None:
        if job.generation != self._generation:
            return
        job.attempt += 1
        retry = job.target.get("RetryPolicy") or {}
        max_retries = int(retry.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS))
        max_age = float(retry.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE))
        record, retryable, retry_after = self._invoke(job)
        backoff = min(MAX_BACKOFF, float(2 ** (job.attempt - 1)))
        delay = backoff if retry_after is None else max(backoff, retry_after)
        if record.get("status") is not None and 200 <= int(record["status"]) < 300:
            record["outcome"] = "delivered"
        elif (
            retryable
            and (retry_after is None or retry_after >= 0)
            and job.attempt <= max_retries
            and job.age + delay <= max_age
        ):
            record["outcome"] = "retrying"
            record["next_attempt_in"] = delay
            job.age += delay
            self._schedule(job, delay)
        else:
            record["outcome"] = self._dead_letter(job, record)
        self._record(record)

    def _schedule(self, job: _Job, emulated_delay: float) -> None:
        with self._lock:
            self._pending += 1

        def run() -> None:
            try:
                self._attempt(job)
            finally:
                with self._lock:
                    if job.generation == self._generation and self._pending:
                        self._pending -= 1
                    self._lock.notify_all()

        timer = threading.Timer(emulated_delay * self.settings.time_scale, run)
        timer.daemon = True
        timer.start()

    def _dead_letter(self, job: _Job, record: dict[str, Any]) -> str:
        arn = (job.target.get("DeadLetterConfig") or {}).get("Arn")
        if not arn:
            return "dropped"
        record["dead_letter_arn"] = arn
        region, account, queue = _arn_parts(arn)
        try:
            from moto.sqs.models import sqs_backends

            attributes = {
                "RULE_ARN": job.rule_arn,
                "TARGET_ARN": job.target.get("Arn", ""),
                "ERROR_CODE": "SDK_CLIENT_ERROR" if record.get("status") is None else "HTTP_ERROR",
                "ERROR_MESSAGE": str(record.get("error") or f"HTTP {record.get('status')}"),
            }
            sqs_backends[account][region].send_message(
                queue_name=queue,
                message_body=json.dumps(job.event, separators=(",", ":")),
                message_attributes={
                    k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
                },
            )
        except Exception as e:  # the queue does not exist (or is not SQS): AWS fails too
            record["dead_letter_error"] = f"{type(e).__name__}: {e}"
        return "dead-lettered"

    def _invoke(self, job: _Job) -> tuple[dict[str, Any], bool, float | None]:
        """One attempt: the record, whether the failure is retryable, and Retry-After (emulated
        seconds) when the answer had one."""
        target = job.target
        record: dict[str, Any] = {
            "kind": "invocation",
            "event_id": job.event.get("id"),
            "rule_arn": job.rule_arn,
            "target_id": target.get("Id"),
            "api_destination_arn": target.get("Arn"),
            "attempt": job.attempt,
            "method": None,
            "url": None,
            "headers": [],
            "body": None,
            "status": None,
            "error": None,
        }
        found = self._destination(str(target.get("Arn", "")))
        if isinstance(found, str):
            record["error"] = found
            return record, False, None
        destination, connection = found
        record["connection_arn"] = destination.connection_arn
        body = _transform.target_input(
            target, job.event, job.rule_arn, job.rule_name, job.ingestion_time
        )
        auth = connection.auth_parameters or {}
        invocation = auth.get("InvocationHttpParameters") or {}
        http = target.get("HttpParameters") or {}
        # Body parameters of the connection, into a JSON-object body.
        body_params = _params(invocation, "BodyParameters")
        if body_params:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                parsed.update(dict(body_params))
                body = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
        url = self._url(destination.invocation_endpoint, http, invocation, job.event)
        headers = _merge(
            [(k, _resolve(str(v), job.event)) for k, v in (http.get("HeaderParameters") or {}).items()],
            _params(invocation, "HeaderParameters"),
            fold=True,
        )
        auth_type = connection.authorization_type
        if auth_type == "API_KEY":
            key = auth.get("ApiKeyAuthParameters") or {}
            headers = _merge(headers, [(str(key.get("ApiKeyName")), str(key.get("ApiKeyValue")))], True)
        elif auth_type == "BASIC":
            basic = auth.get("BasicAuthParameters") or {}
            pair = f"{basic.get('Username', '')}:{basic.get('Password', '')}".encode()
            headers = _merge(headers, [("Authorization", "Basic " + base64.b64encode(pair).decode())], True)
        elif auth_type == "OAUTH_CLIENT_CREDENTIALS":
            token = self._token(connection, job)
            if token is None:
                record.update(method=destination.http_method, url=url, body=body)
                record["error"] = "the OAuth token request failed"
                return record, True, None
            headers = _merge(headers, [("Authorization", f"Bearer {token}")], True)
        headers = [(k, v) for k, v in headers if k.lower() not in EVENTBRIDGE_HEADERS]
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", DEFAULT_CONTENT_TYPE))
        payload = body.encode("utf-8")
        host = urlsplit(url).netloc
        sent = [
            ("Host", host),
            ("User-Agent", USER_AGENT),
            *headers,
            ("Range", "bytes=0-1048575"),
            ("Accept-Encoding", "gzip,deflate"),
            ("Connection", "close"),
            ("Content-Length", str(len(payload))),
        ]
        method = str(destination.http_method)
        record.update(method=method, url=url, headers=[list(h) for h in sent], body=body)
        status, answer_headers, error, elapsed, _ = self._send(method, url, sent, payload)
        record["status"] = status
        record["error"] = error
        record["elapsed_ms"] = round(elapsed * 1000, 1)
        job.age += elapsed
        if status is None:
            return record, True, None  # a timeout or a connection failure
        if auth_type == "OAUTH_CLIENT_CREDENTIALS" and status in (401, 407):
            self._tokens.pop(str(destination.connection_arn), None)
            return record, True, None
        retry_after = _retry_after(answer_headers.get("retry-after"))
        return record, status == 429 or status >= 500, retry_after

    @staticmethod
    def _url(
        endpoint: str, http: dict[str, Any], invocation: dict[str, Any], event: dict[str, Any]
    ) -> str:
        parts = urlsplit(endpoint)
        path = parts.path
        for value in http.get("PathParameterValues") or []:
            if "*" not in path:
                break
            path = path.replace("*", quote(_resolve(str(value), event), safe=""), 1)
        query = parse_qsl(parts.query, keep_blank_values=True)
        added = _merge(
            [(k, _resolve(str(v), event)) for k, v in (http.get("QueryStringParameters") or {}).items()],
            _params(invocation, "QueryStringParameters"),
            fold=False,
        )
        query = _merge(query, added, fold=False)
        return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))

    def _destination(self, arn: str) -> tuple[Any, Any] | str:
        from moto.events.models import events_backends

        region, account, resource = _arn_parts(arn)
        name = resource.split("/")[1] if resource.count("/") >= 1 else ""
        try:
            backend = events_backends[account][region]
        except Exception:
            return f"no events backend for {arn}"
        destination = backend.destinations.get(name)
        if destination is None or destination.arn != arn:
            return f"API destination {arn} does not exist"
        connection_name = _arn_parts(str(destination.connection_arn))[2].split("/")[1:2]
        connection = backend.connections.get(connection_name[0]) if connection_name else None
        if connection is None:
            return f"connection {destination.connection_arn} does not exist"
        return destination, connection

    def _token(self, connection: Any, job: _Job) -> str | None:
        """The connection's OAuth access token, fetched when not held or expired."""
        held = self._tokens.get(str(connection.arn))
        if held is not None and held[1] > time.monotonic():
            return held[0]
        oauth = (connection.auth_parameters or {}).get("OAuthParameters") or {}
        client = oauth.get("ClientParameters") or {}
        extra = oauth.get("OAuthHttpParameters") or {}
        method = str(oauth.get("HttpMethod", "POST"))
        parts = urlsplit(str(oauth.get("AuthorizationEndpoint", "")))
        query = parse_qsl(parts.query, keep_blank_values=True) + _params(extra, "QueryStringParameters")
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
        body = urlencode(_params(extra, "BodyParameters")).encode() if method != "GET" else b""
        pair = f"{client.get('ClientID', '')}:{client.get('ClientSecret', '')}".encode()
        headers = [
            ("Host", parts.netloc),
            ("User-Agent", USER_AGENT),
            ("Authorization", "Basic " + base64.b64encode(pair).decode()),
            *[(k, v) for k, v in _params(extra, "HeaderParameters") if k.lower() not in EVENTBRIDGE_HEADERS],
            ("Connection", "close"),
        ]
        if method != "GET":
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            headers.append(("Content-Length", str(len(body))))
        status, _, error, elapsed, answer = self._send(method, url, headers, body)
        record: dict[str, Any] = {
            "kind": "oauth-token",
            "event_id": job.event.get("id"),
            "rule_arn": job.rule_arn,
            "target_id": job.target.get("Id"),
            "connection_arn": connection.arn,
            "attempt": job.attempt,
            "method": method,
            "url": url,
            "headers": [list(h) for h in headers],
            "body": body.decode(),
            "status": status,
            "error": error,
            "elapsed_ms": round(elapsed * 1000, 1),
            "outcome": "failed",
        }
        token: str | None = None
        if status is not None and 200 <= status < 300:
            try:
                doc = json.loads(answer)
                token = str(doc["access_token"])
                lifetime = float(doc.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                record["error"] = "the token answer has no access_token"
            else:
                self._tokens[str(connection.arn)] = (token, time.monotonic() + lifetime)
                record["outcome"] = "delivered"
        self._record(record)
        return token

    def _send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> tuple[int | None, dict[str, str], str | None, float, str]:
        """One HTTP exchange within the attempt limit: status, answer headers (lower-case
        names), error, seconds taken, the answer's body (its first MiB)."""
        parts = urlsplit(url)
        started = time.monotonic()
        timeout = self.settings.attempt_timeout
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=self.settings.ca_bundle)
            connection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=timeout, context=context
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body if body else None)
            answer = connection.getresponse()
            data = answer.read(RESPONSE_READ_LIMIT).decode("utf-8", "replace")
            names = {k.lower(): v for k, v in answer.getheaders()}
            return answer.status, names, None, time.monotonic() - started, data
        except TimeoutError:
            return None, {}, f"timed out after {timeout:g} s", time.monotonic() - started, ""
        except (OSError, http.client.HTTPException) as e:
            return None, {}, f"{type(e).__name__}: {e}", time.monotonic() - started, ""
        finally:
            connection.close()


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


@dataclass
class _Job:
    rule_arn: str
    rule_name: str
    target: dict[str, Any]
    event: dict[str, Any]
    ingestion_time: float
    generation: int
    attempt: int = 0
    #: Emulated seconds since the event arrived: backoff delays and attempt durations.
    age: float = 0.0

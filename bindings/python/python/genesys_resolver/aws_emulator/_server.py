"""The emulator's HTTP server: moto's WSGI app behind a front that holds every request of a checked
service to botocore's model, and control routes for tests under ``/_emulator/``."""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from werkzeug.serving import BaseWSGIServer, make_server

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

from . import _model, _strict
from ._delivery import Deliveries, DeliverySettings

#: Services whose every request is held to botocore's model: the JSON protocol by target prefix,
#: the query protocol by the signing name in the credential scope.
JSON_SERVICES = {"AWSEvents": "events"}
QUERY_SERVICES = {"sts": "sts"}

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


def _signing_service(environ: Environ) -> str | None:
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    marker = "Credential="
    if marker not in auth:
        return None
    scope = auth.split(marker, 1)[1].split(",", 1)[0].split("/")
    return scope[3] if len(scope) > 3 else None


class StrictApp:
    """moto behind the model checks and the ``/_emulator/`` control routes."""

    def __init__(self, deliveries: Deliveries) -> None:
        self.deliveries = deliveries
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        method = str(environ.get("REQUEST_METHOD", "GET"))
        if path.startswith("/_emulator/"):
            return self._control(method, path, environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if path == "/moto-api/reset" and method == "POST":
            self.deliveries.reset()
        try:
            self._check(environ, body)
        except _model.RequestRefused as refused:
            return self._refuse(environ, refused, start_response)
        answer: Iterable[bytes] = self.moto(environ, start_response)
        return answer

    def _check(self, environ: Environ, body: bytes) -> None:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if target and "." in target:
            prefix, operation = target.split(".", 1)
            service = JSON_SERVICES.get(prefix)
            if service is None:
                return
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise _model.RequestRefused(
                    "SerializationException", "The request body is not JSON."
                ) from None
            _model.validate_input(service, operation, params)
            return
        service = QUERY_SERVICES.get(_signing_service(environ) or "")
        if service is None:
            return
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if not form:
            form = {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING", ""))).items()}
        action = form.get("Action")
        if action:
            _model.validate_input(service, action, _model.decode_query(service, action, form))

    @staticmethod
    def _refuse(
        environ: Environ, refused: _model.RequestRefused, start_response: StartResponse
    ) -> Iterable[bytes]:
        request_id = str(uuid.uuid4())
        if environ.get("HTTP_X_AMZ_TARGET"):
            payload = json.dumps({"__type": refused.code, "message": refused.message}).encode()
            content_type = "application/x-amz-json-1.1"
        else:
            message = (
                refused.message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            )
            payload = (
                '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                f"<Type>Sender</Type><Code>{refused.code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
            content_type = "text/xml"
        start_response(
            f"{refused.status} Bad Request",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(payload))),
                ("x-amzn-RequestId", request_id),
            ],
        )
        return [payload]

    def _control(
        self, method: str, path: str, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        status = "200 OK"
        if path == "/_emulator/deliveries" and method == "GET":
            wait = float(query.get("wait", ["0"])[0] or 0)
            settled = self.deliveries.wait_idle(wait) if wait > 0 else True
            doc: Any = {"settled": settled, "deliveries": self.deliveries.records()}
        elif path == "/_emulator/deliveries" and method == "DELETE":
            self.deliveries.reset()
            doc = {"deliveries": []}
        elif path == "/_emulator/settle" and method == "POST":
            timeout = float(query.get("timeout", ["10"])[0] or 10)
            settled = self.deliveries.wait_idle(timeout)
            doc = {"settled": settled}
            if not settled:
                status = "504 Gateway Timeout"
        elif path == "/_emulator/health":
            doc = {"ok": True}
        else:
            status = "404 Not Found"
            doc = {"error": f"no control route {method} {path}"}
        payload = json.dumps(doc).encode()
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]


class AwsEmulator:
    """A strict AWS emulator (moto, held to botocore's model and EventBridge's quotas and
    behaviour, with faithful API-destination delivery) serving on a loopback port.

    ::

        with AwsEmulator(ca_bundle="ca.pem") as aws:
            client = boto3.client("events", endpoint_url=aws.url, region_name="us-east-1", ...)
            ...
            aws.deliveries()   # every API-destination attempt: method, url, headers, body, status

    One emulator runs per process at a time (moto's state and the fixes are process-wide).
    """

    _running: list[AwsEmulator] = []

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ca_bundle: str | None = None,
        time_scale: float = 0.001,
        attempt_timeout: float = 5.0,
    ) -> None:
        self.settings = DeliverySettings(
            ca_bundle=ca_bundle, time_scale=time_scale, attempt_timeout=attempt_timeout
        )
        self._host = host
        self._port = port
        self._engine = Deliveries(self.settings)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running emulator."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}"

    def start(self) -> AwsEmulator:
        """Starts serving (in a background thread)."""
        if self._server is not None:
            return self
        if AwsEmulator._running:
            raise RuntimeError("another AwsEmulator runs in this process; stop it first")
        _strict.install(self._engine)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(
            self._host,
            self._port,
            StrictApp(self._engine),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        AwsEmulator._running.append(self)
        return self

    def stop(self) -> None:
        """Stops serving; moto's state is reset."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._engine.reset()
        self.reset()
        AwsEmulator._running.remove(self)

    def reset(self) -> None:
        """Forgets every resource, delivery and token (moto's ``/moto-api/reset`` does too)."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self._engine.reset()

    def deliveries(self, wait: float = 0.0) -> list[dict[str, Any]]:
        """Every API-destination attempt so far (and OAuth token request, ``kind``), oldest
        first; with `wait`, after pending retries settled (up to `wait` seconds)."""
        if wait > 0:
            self._engine.wait_idle(wait)
        return self._engine.records()

    def __enter__(self) -> AwsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Command line: serve until interrupted (or until standard input closes)."""
    parser = argparse.ArgumentParser(
        prog="aws_emulator",
        description="A strict AWS emulator (moto held to botocore's model and EventBridge's "
        "quotas, with faithful API-destination delivery). Prints one JSON line with its URL.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--ca-bundle", help="PEM file of CAs trusted for deliveries instead of the system's"
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.001,
        help="real seconds per emulated second of retry backoff (default 0.001)",
    )
    parser.add_argument(
        "--attempt-timeout", type=float, default=5.0, help="seconds per delivery attempt (AWS: 5)"
    )
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="stop when standard input closes (for a parent process that holds the pipe)",
    )
    args = parser.parse_args(argv)
    emulator = AwsEmulator(
        args.host,
        args.port,
        ca_bundle=args.ca_bundle,
        time_scale=args.time_scale,
        attempt_timeout=args.attempt_timeout,
    ).start()
    print(json.dumps({"url": emulator.url}), flush=True)
    try:
        if args.exit_on_stdin_eof:
            sys.stdin.read()
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0

"""Holding JSON to the official Genesys Cloud Python SDK (`PureCloudPlatformClientV2`): its
models' `attribute_map` (the JSON keys) and `swagger_types` (the type of each), and its API
methods' declared body, response and query parameters. Used by the SDK conformance tests; the
SDK is the reference, not this project's own idea of the API.

The SDK's deserializer silently drops every key its model does not name, so a successful call
says little; `problems` walks the raw JSON against the model instead and names each key that
would be lost and each value of the wrong JSON type.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Optional
from urllib.parse import urlsplit

import urllib3
from dateutil.parser import isoparse

import PureCloudPlatformClientV2 as sdk
from PureCloudPlatformClientV2 import models
from PureCloudPlatformClientV2.default_http_client import DefaultHttpClient
from PureCloudPlatformClientV2.rest import ApiException

PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}
"""The JSON values each primitive swagger type accepts (a bool is never an int here)."""

DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z\Z")
"""The SDK models' documented date-time format: "an ISO-8601 string. For example:
yyyy-MM-ddTHH:mm:ss[.mmm]Z" (UTC, milliseconds at most)."""

OUTDATED = "outdated_sdk_version"
"""What the SDK's enum setters store for a value outside the model's allowed values."""


def model_class(name: str) -> type:
    """The SDK model class `name` (`Integration`, `ErrorBody`, ...)."""
    cls: type = getattr(models, name)
    return cls


def json_keys(name: str) -> dict[str, str]:
    """The JSON keys of the SDK model `name`, each with its swagger type."""
    instance = model_class(name)()
    return {instance.attribute_map[attr]: kind for attr, kind in instance.swagger_types.items()}


def problems(value: Any, swagger_type: str, where: str = "$") -> list[str]:
    """Every way the JSON `value` departs from `swagger_type` (a model name, `list[...]`,
    `dict(str, ...)`, a primitive, `datetime`, `object`): keys the model does not know,
    values of the wrong JSON type, nulls. Empty when the SDK reads all of it."""
    kind = swagger_type.strip()
    if value is None:
        return [f"{where}: null where the SDK expects {kind}"]
    if kind == "object":
        return []
    if kind in PRIMITIVES:
        allowed = PRIMITIVES[kind]
        if isinstance(value, bool) and bool not in allowed:
            return [f"{where}: {value!r} is a bool, the SDK expects {kind}"]
        if isinstance(value, allowed):
            return []
        return [f"{where}: {type(value).__name__} {value!r}, the SDK expects {kind}"]
    if kind in ("datetime", "date", "LocalDateTime"):
        if not isinstance(value, str):
            return [f"{where}: {value!r} is not a {kind} string"]
        try:
            isoparse(value)
        except ValueError:
            return [f"{where}: {value!r} is not an ISO-8601 {kind}"]
        if kind == "datetime" and not DATETIME.match(value):
            return [f"{where}: {value!r} is not in the SDK's documented yyyy-MM-ddTHH:mm:ss[.mmm]Z"]
        return []
    if kind.startswith("list["):
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__}, the SDK expects {kind}"]
        inner = kind[len("list[") : -1]
        return [p for i, item in enumerate(value) for p in problems(item, inner, f"{where}[{i}]")]
    if kind.startswith("dict("):
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__}, the SDK expects {kind}"]
        inner = kind[len("dict(") : -1].split(",", 1)[1]
        return [p for k, item in value.items() for p in problems(item, inner, f"{where}.{k}")]
    # A model.
    if not isinstance(value, dict):
        return [f"{where}: {type(value).__name__}, the SDK expects a {kind} object"]
    keys = json_keys(kind)
    out: list[str] = []
    for key, item in value.items():
        if key not in keys:
            out.append(f"{where}.{key}: unknown key, not in {kind}.attribute_map {sorted(keys)}")
        else:
            out.extend(problems(item, keys[key], f"{where}.{key}"))
    return out


def outdated_enums(model: Any, where: str = "$") -> Iterator[str]:
    """The paths of the deserialized `model` where the SDK met an enum value it does not know
    (its setters store ``outdated_sdk_version`` then)."""
    if isinstance(model, str):
        if model == OUTDATED:
            yield where
    elif isinstance(model, list):
        for i, item in enumerate(model):
            yield from outdated_enums(item, f"{where}[{i}]")
    elif isinstance(model, dict):
        for key, item in model.items():
            yield from outdated_enums(item, f"{where}.{key}")
    elif hasattr(model, "swagger_types"):
        for attr in model.swagger_types:
            yield from outdated_enums(getattr(model, attr), f"{where}.{model.attribute_map[attr]}")


# --- The SDK's API methods --------------------------------------------------------------------


def response_type(method: Callable[..., Any]) -> str:
    """The response model an SDK API method declares (its return annotation)."""
    annotation = inspect.signature(method).return_annotation
    assert isinstance(annotation, str), f"{method.__name__} declares no response model"
    return annotation


def body_type(method: Callable[..., Any]) -> Optional[str]:
    """The body model an SDK API method documents (``:param Model body:``), if it takes one."""
    found = re.search(r":param (\S+) body:", inspect.getdoc(method) or "")
    return found.group(1) if found else None


def query_names(method: Callable[..., Any]) -> set[str]:
    """The query parameter names an SDK API method sends."""
    return set(re.findall(r"query_params\['(\w+)'\]", inspect.getsource(method)))


def http_method(method: Callable[..., Any]) -> str:
    """The HTTP method an SDK API method sends."""
    found = re.search(r"call_api\(resource_path, '(\w+)'", inspect.getsource(method))
    assert found, method.__name__
    return found.group(1)


def path_pattern(method: Callable[..., Any]) -> re.Pattern[str]:
    """The request path of an SDK API method, its ``{param}``s matching one segment each."""
    found = re.search(r"resource_path = '([^']+)'", inspect.getsource(method))
    assert found, method.__name__
    parts = re.split(r"\{\w+\}", found.group(1))
    return re.compile("[^/]+".join(re.escape(p) for p in parts) + r"\Z")


# --- The SDK's HTTP layer, held to loopback -------------------------------------------------


class Exchange:
    """One request the SDK made and the raw answer it got."""

    def __init__(self, method: str, url: str, status: int, body: str, headers: dict[str, str]) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        self.headers = headers

    def json(self) -> Any:
        return json.loads(self.body)


class LoopbackHttpClient(DefaultHttpClient):  # type: ignore[misc]
    """The SDK's own HTTP client with two changes for tests: every URL must start with
    `base` (the mock's loopback address; anything else, the real login host say, fails before a
    connection is made), every request has a timeout; and each raw answer is kept."""

    def __init__(self, base: str) -> None:
        super().__init__(timeout=10)
        self.base = base.rstrip("/")
        self.exchanges: list[Exchange] = []
        # The SDK's pool manager sends no timeout; give each connection one.
        self.rest_client.pool_manager.connection_pool_kw["timeout"] = urllib3.Timeout(total=10)

    def request(self, http_request_options: Any) -> Any:
        url = http_request_options.url
        assert url.startswith(self.base + "/"), f"the SDK was about to reach {url}, not the mock"
        assert urlsplit(url).hostname == "127.0.0.1", url
        method = http_request_options.method
        try:
            response = super().request(http_request_options)
        except ApiException as e:
            self.exchanges.append(Exchange(method, url, e.status, e.body or "", dict(e.headers or {})))
            raise
        self.exchanges.append(Exchange(method, url, response.status, response.data, dict(response.getheaders())))
        return response

    def last(self) -> Exchange:
        return self.exchanges[-1]


class _Raw:
    """What `ApiClient.deserialize` reads of a response: `data` and `getheader`."""

    def __init__(self, body: str) -> None:
        self.data = body

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return "application/json" if name.lower() == "content-type" else default


def deserialize(client: sdk.ApiClient, body: str, model: str) -> Any:
    """`body` read into the SDK model `model` the way the SDK reads answers."""
    return client.deserialize(_Raw(body), model)

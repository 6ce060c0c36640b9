#!/usr/bin/env bash
# postpix build cold, then again as a no-op, on a temp copy of tests/fixtures/site-example.
# Prints both wall times and their ratio (the no-op should cost about 1 % of the cold build).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="$PWD/target/release/postpix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r tests/fixtures/site-example "$work/site"
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN{printf "%.3f", b-a}'; }
cold=$(t "$bin" build --quiet "$work/site" || true)
noop=$(t "$bin" build --quiet "$work/site" || true)
echo "cold build: ${cold}s"
echo "no-op build: ${noop}s"
awk -v n="$noop" -v c="$cold" 'BEGIN{printf "ratio no-op/cold: %.4f (%.2f%%)\n", n/c, 100*n/c}'

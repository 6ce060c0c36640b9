#!/usr/bin/env bash
# --shard I/N then --merge on a generated site (examples/large_site.rs: N distinct 320x240 JPEGs,
# four to a post): one plain cold build, then the S shards one after another (as S CI jobs
# would run at once: the slowest shard is the matrix's wall time), then the merge. Prints wall
# time and peak RSS of each and checks that the merged site equals the plain one (variants,
# posts, store).
# usage: benches/shards.sh N S [EXTRA BUILD ARGS...]   (BIN=path/to/postpix to use another build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: benches/shards.sh N S [EXTRA BUILD ARGS...]}
shards=${2:?usage: benches/shards.sh N S [EXTRA BUILD ARGS...]}
shift 2
target=${CARGO_TARGET_DIR:-$PWD/target}
if [ -n "${BIN:-}" ]; then
  [ -x "$target/release/examples/large_site" ] || cargo build --release --quiet --example large_site
else
  cargo build --release --quiet --bin postpix --example large_site
fi
bin=${BIN:-$target/release/postpix}
gen="$target/release/examples/large_site"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
site="$work/site"
"$gen" site "$site" "$n"
extra=("$@")
printf "%-16s %9s %13s\n" "run" "wall s" "peak RSS MB"
run() { # label, then build args; a run that fails prints its messages and exit status
  local label=$1 out
  shift
  out=$( (/usr/bin/time -o "$work/time" -f "%e %M %x" "$bin" build --quiet "$site" "${extra[@]}" "$@" 2>"$work/err" >/dev/null || true); tail -1 "$work/time")
  # shellcheck disable=SC2086
  set -- $out
  printf "%-16s %9s %13.1f\n" "$label" "$1" "$(awk -v k="$2" 'BEGIN{print k/1024}')"
  # GNU time's %x is 0 for a run killed by a signal; its own line says so.
  if [ "${3:-0}" != 0 ] || grep -q "terminated by signal" "$work/time"; then
    echo "  exit status ${3:-?} ($(grep -o 'terminated by signal [0-9]*' "$work/time" || echo exited)):"
    tail -5 "$work/err" "$work/time"
  fi
}
run plain --out "$work/plain"
caches=()
for i in $(seq 1 "$shards"); do
  run "shard $i/$shards" --out "$work/shard-$i" --shard "$i/$shards"
  caches+=("$work/shard-$i/.postpix")
done
run merge --out "$work/final" --merge "${caches[@]}"
if diff -r -q -x manifest.json "$work/plain" "$work/final" >/dev/null; then
  echo "merged site = plain site (every file but the manifest, whose mtimes differ)"
else
  echo "MERGED SITE DIFFERS:"; diff -r -q -x manifest.json "$work/plain" "$work/final" | head
  exit 1
fi

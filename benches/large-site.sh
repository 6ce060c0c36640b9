#!/usr/bin/env bash
# postpix on a generated large site: N distinct 320x240 JPEGs (quality 90), four to a post.
# Runs a cold build, a no-op, a build after one touched post and one after one replaced image,
# and prints wall time and peak RSS of each, with the cold build's cost per image.
# usage: benches/large-site.sh N [EXTRA BUILD ARGS...]   (BIN=path/to/postpix to use another build)
# The generator is examples/large_site.rs (no image tool per file: 10,000 images in a few seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: benches/large-site.sh N [EXTRA BUILD ARGS...]}
shift
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
s=$(date +%s.%N)
"$gen" site "$site" "$n"
e=$(date +%s.%N)
awk -v a="$s" -v b="$e" -v n="$n" 'BEGIN{printf "generated %d images, %d posts in %.1f s\n", n, (n+3)/4, b-a}'
printf "%-16s %9s %13s\n" "run" "wall s" "peak RSS MB"
run() { # label: one build, its wall time and peak RSS
  local label=$1 out
  out=$( (/usr/bin/time -f "%e %M" "$bin" build --quiet "${extra[@]}" "$site" 2>&1 >/dev/null || true) | tail -1)
  # shellcheck disable=SC2086
  set -- $out
  printf "%-16s %9s %13.1f\n" "$label" "$1" "$(awk -v k="$2" 'BEGIN{print k/1024}')"
  last_wall=$1
  last_rss=$2
}
extra=("$@")
run cold
cold_wall=$last_wall
cold_rss=$last_rss
run no-op
post=$(find "$site/_posts" -name '*.md' | sort | sed -n 1p)
echo "One more line." >> "$post"
run "touched post"
"$gen" replace "$site/img/000/photo-000000.jpg" 999999999
run "replaced image"
awk -v w="$cold_wall" -v r="$cold_rss" -v n="$n" \
  'BEGIN{printf "cold, per image: %.2f ms, %.2f KB of peak RSS\n", 1000*w/n, r/n}'

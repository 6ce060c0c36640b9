#!/usr/bin/env bash
# The AVIF encoder comparison (README "AVIF: which encoder"). Needs Debian's libavif-bin
# (avifenc/avifdec 0.11.1 over libaom 3.6.0 and SVT-AV1 1.4.1) and /usr/bin/time.
#   bash benches/avif-encoders/run.sh [CORPUS] [WIDTH] [CONFIG...]
# Each CONFIG encodes every reference one at a time on one thread; the summary gives total bytes,
# bits per pixel, mean/min SSIMULACRA2, CPU, wall and peak RSS per configuration.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
corpus="${1:-$repo/tests/fixtures/corpus}"
width="${2:-960}"
shift 2 2>/dev/null || shift $#
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(
  ravif:6:60 ravif:6:70 ravif:8:60 ravif:8:70 ravif:10:60 ravif:10:70
  aom:6:24:auto aom:6:32:auto aom:6:40:auto aom:8:24:auto aom:8:32:auto aom:8:40:auto
  aom:8:32:420 svt:10:24:420 svt:10:32:420 svt:10:40:420
)
(cd "$here" && cargo build --release --quiet)
bin="${CARGO_TARGET_DIR:-$here/target}/release/avif-encoders"
work="$here/work/w$width"
[ -d "$work/ref" ] || "$bin" prep "$corpus" "$width" "$work"
for c in "${configs[@]}"; do
  d="$work/${c//:/_}"
  rm -rf "$d"; mkdir -p "$d"
  /usr/bin/time -f "%e %U %S %M" -o "$d/time.txt" "$bin" encode "$c" "$work/ref" "$d"
  "$bin" score "$work/ref" "$d"
  python3 "$here/summary.py" "$c" "$d"
done

#!/usr/bin/env bash
# Side-by-side comparison: postpix vs @11ty/eleventy-img, sharp alone and the encoder floors
# (cwebp, oxipng -o 2, cjpeg) doing the same job on the still images of a folder, 2 at a time.
#   usage: benches/compare/run.sh [IMAGES_DIR] [REPS]
#   default IMAGES_DIR: tests/fixtures/corpus (the same files as ../shared/corpus), REPS: 3
#   env: ONLY=postpix-matched,eleventy,...  run only these peers
#        TARGETS=71,70 AVIF_TARGETS=64   also run the default / AVIF job at these --target values
#        AVIF_SPEEDS=7,6                    and the AVIF job at these --avif-speed values
#                                           (bytes at an equal mean score)
#        RESULTS=path                       where to write the markdown (default results.md here;
#                                           RESULTS= (empty) writes none)
# Run setup.sh once first. Work files go to benches/compare/work/ (git-ignored).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
images="$(cd "${1:-$repo/tests/fixtures/corpus}" && pwd)"
reps="${2:-3}"
target="${CARGO_TARGET_DIR:-$repo/target}"
# Build this checkout and run a private copy: a shared CARGO_TARGET_DIR may get another
# checkout's binary at any moment.
(cd "$repo" && cargo build --release --bin postpix --example ssim2 --quiet)
export SSIM2="$target/release/examples/ssim2"
mkdir -p "$here/work/bin"
cp "$target/release/postpix" "$here/work/bin/postpix"
postpix="$here/work/bin/postpix"
[ -d "$here/work/node_modules/@11ty/eleventy-img" ] || { echo "run.sh: run setup.sh first" >&2; exit 2; }
export PATH="$here/work/oxipng/bin:$PATH" PYTHONDONTWRITEBYTECODE=1
exec python3 "$here/compare.py" "$images" --reps "$reps" --postpix "$postpix" \
  --only "${ONLY:-}" --targets "${TARGETS:-}" --avif-targets "${AVIF_TARGETS:-}" --avif-speeds "${AVIF_SPEEDS:-}" --results "${RESULTS-$here/results.md}"

#!/usr/bin/env bash
# Side-by-side comparison: postpix vs @11ty/eleventy-img, sharp alone and the encoder floors
# (cwebp, oxipng -o 2, cjpeg) doing the same job on the still images of a folder, 2 at a time.
#   usage: benches/compare/run.sh [IMAGES_DIR] [REPS]
#   default IMAGES_DIR: tests/fixtures/corpus (the same files as ../shared/corpus), REPS: 3
#   env: ONLY=postpix-matched,eleventy,...  run only these peers
#        RESULTS=path                       where to write the markdown (default results.md here;
#                                           RESULTS= (empty) writes none)
# Run setup.sh once first. Work files go to benches/compare/work/ (git-ignored).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
images="$(cd "${1:-$repo/tests/fixtures/corpus}" && pwd)"
reps="${2:-3}"
target="${CARGO_TARGET_DIR:-$repo/target}"
postpix="$target/release/postpix"
[ -x "$postpix" ] || { echo "run.sh: $postpix missing: run setup.sh (or cargo build --release)" >&2; exit 2; }
[ -d "$here/work/node_modules/@11ty/eleventy-img" ] || { echo "run.sh: run setup.sh first" >&2; exit 2; }
export PATH="$here/work/oxipng/bin:$PATH"
exec python3 "$here/compare.py" "$images" --reps "$reps" --postpix "$postpix" \
  --only "${ONLY:-}" --results "${RESULTS-$here/results.md}"

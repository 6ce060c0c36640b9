#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
#   - Debian: jekyll, hugo and chromium for the end-to-end test (tests/e2e.rs), webp's tools for checks,
#     libavif-dev (postpix links libavif for AVIF output).
#   - Debian: GNU time for the peak-RSS test (tests/memory.rs).
#   - npm: playwright-core (driver only, no browser download) and @11ty/eleventy into
#     tests/e2e/node_modules.
# Safe to rerun: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v jekyll >/dev/null 2>&1 || need_apt+=(jekyll)
command -v hugo >/dev/null 2>&1 || need_apt+=(hugo)  # tests/e2e.rs: a Hugo site, built by it
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/time ] || need_apt+=(time)  # GNU time: tests/memory.rs reads a child's peak RSS
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
# libavif (over libaom and dav1d) for AVIF output: postpix links it, so the build needs it.
[ -f /usr/include/avif/avif.h ] || need_apt+=(libavif-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -f tests/e2e/package.json ] && { [ ! -d tests/e2e/node_modules/playwright-core ] ||
    [ ! -d tests/e2e/node_modules/@11ty/eleventy ]; }; then
  echo "==> installing playwright-core (driver only) and Eleventy for the end-to-end tests"
  (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi

echo "==> cargo test --release"
# In CI the property tests (tests/proptest_*.rs) replay one fixed seed, so a run is reproducible;
# elsewhere each run explores new cases (and proptest saves any failure it shrinks).
if [ "${CI:-}" = "true" ] && [ -z "${PROPTEST_RNG_SEED:-}" ]; then
  export PROPTEST_RNG_SEED=20261201
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Unit, binary and integration tests (the crate has no doctests). The last line sums them up.
set +e
cargo test --release --locked --lib --bins --tests "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"

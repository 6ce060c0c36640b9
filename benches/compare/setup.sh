#!/usr/bin/env bash
# Install the peers and the floors for benches/compare/run.sh, into benches/compare/work/
# (git-ignored) where possible:
#   - @11ty/eleventy-img 6.0.4 (brings its own sharp 0.33.x) and sharp (latest) with npm;
#   - Debian's webp (cwebp), libjpeg-turbo-progs (cjpeg), imagemagick (convert), time (GNU time);
#   - oxipng from crates.io (cargo install --root work/oxipng);
#   - postpix itself in release mode.
# Idempotent: skips whatever is already there. Needs root (or sudo) only for apt-get.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$here/work"
mkdir -p "$work"

# --- npm peers -------------------------------------------------------------------------------
if [ ! -d "$work/node_modules/@11ty/eleventy-img" ] || [ ! -d "$work/node_modules/sharp" ]; then
  command -v npm >/dev/null || { echo "setup: npm is required (apt-get install nodejs npm)" >&2; exit 2; }
  [ -f "$work/package.json" ] || echo '{ "name": "postpix-compare-work", "private": true }' >"$work/package.json"
  (cd "$work" && npm install --no-audit --no-fund @11ty/eleventy-img@6.0.4 sharp)
fi

# --- Debian tools ----------------------------------------------------------------------------
need=()
command -v cwebp >/dev/null || need+=(webp)
command -v cjpeg >/dev/null || need+=(libjpeg-turbo-progs)
command -v convert >/dev/null || need+=(imagemagick)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi

# --- oxipng from crates.io -------------------------------------------------------------------
if ! command -v oxipng >/dev/null && [ ! -x "$work/oxipng/bin/oxipng" ]; then
  cargo install oxipng --locked --root "$work/oxipng"
fi

# --- postpix ---------------------------------------------------------------------------------
(cd "$repo" && cargo build --release --bin postpix)

echo "setup: done"
echo "  eleventy-img $(node -p "require('$work/node_modules/@11ty/eleventy-img/package.json').version")" \
     "on sharp $(node -p "require(require.resolve('sharp/package.json', {paths: [require.resolve('@11ty/eleventy-img', {paths: ['$work']})]})).version")"
echo "  sharp $(node -p "require('$work/node_modules/sharp/package.json').version")"

#!/usr/bin/env bash
# Digest of everything `postpix build` produces for a site: one line per output file
# ("<sha256>  <path>"), the manifest included. Two digests of the same site taken with two
# builds of postpix differ exactly where the outputs differ, so a refactor that claims "no
# change in behaviour" can prove it:
#   scripts/output-digest.sh BIN SITE_DIR > before.txt   (old binary)
#   scripts/output-digest.sh BIN SITE_DIR > after.txt    (new binary); diff before.txt after.txt
# SITE_DIR may be "corpus" (a generated site whose one post references every fixture image) or
# "demo" (the repository's own demo site).
# The site is copied to a temp folder; both the in-place and the --out build are digested.
set -euo pipefail
bin=$(realpath "$1"); site=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [ "$site" = corpus ]; then
  mkdir -p "$work/site/_posts" "$work/site/postimg"
  cp "$repo"/tests/fixtures/corpus/*.{png,jpg,jpeg,gif} "$work/site/postimg/"
  { printf -- '---\ntitle: corpus\n---\n'
    for f in "$work"/site/postimg/*; do printf '![%s]({{site.baseurl}}/postimg/%s)\n\n' "${f##*/}" "${f##*/}"; done
  } > "$work/site/_posts/2020-01-01-corpus.md"
elif [ "$site" = demo ]; then
  mkdir -p "$work/site"
  for part in _posts postimg img _layouts _config.yml index.html; do cp -r "$repo/$part" "$work/site/"; done
else
  cp -r "$site" "$work/site"
fi
cp -r "$work/site" "$work/inplace"
"$bin" build --json "$work/site" --out "$work/out" > "$work/out.json" || true
"$bin" build --json "$work/inplace" > "$work/inplace.json" || true
# Strip the manifest's schema version and the mtimes (they differ run to run).
norm() { python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m.pop("version", None)
for k in ("sources", "files"):
    for r in m.get(k, {}).values():
        r.pop("mtime_ns", None)
print(json.dumps(m, sort_keys=True, indent=1))
PY
}
for tree in out inplace; do
  (cd "$work/$tree" && find . -type f ! -path './.postpix/*' -print0 | sort -z | xargs -0 sha256sum | sed "s|  ./|  $tree/|")
  norm "$work/$tree/.postpix/manifest.json" | sha256sum | sed "s|-|$tree/.postpix/manifest.json (normalised)|"
done

#!/usr/bin/env bash
# Seed the fuzz corpora from the test fixtures (idempotent): posts for the finder, every
# corpus image for the probe/decode and container targets, a real manifest and _config.yml.
set -euo pipefail
cd "$(dirname "$0")"
fx=../tests/fixtures
mkdir -p corpus/{refs_rewrite_restore,probe_decode,containers,manifest,jekyll_config}
cp "$fx"/site-example/_posts/*.md corpus/refs_rewrite_restore/
for f in "$fx"/corpus/*.{png,jpg,jpeg,gif,webp}; do
  [ -f "$f" ] || continue
  # Keep the decode seeds small: big photos make each execution slow.
  if [ "$(stat -c %s "$f")" -le 200000 ]; then cp "$f" corpus/probe_decode/; fi
  cp "$f" corpus/containers/
done
cp "$fx"/site-example/_config.yml corpus/jekyll_config/site-example.yml
cp ../_config.yml corpus/jekyll_config/demo.yml
printf '{"version":1,"sources":{},"entries":{}}' > corpus/manifest/empty.json
printf '{"version":1,"sources":{"postimg/a.png":{"size":10,"mtime_ns":5,"hash":"ab"}},"entries":{}}' \
  > corpus/manifest/one-source.json
echo "seeded: $(ls corpus/* | wc -l) files"

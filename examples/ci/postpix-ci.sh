#!/usr/bin/env bash
# The shell steps of examples/ci/github-actions.yml and examples/ci/gitlab-ci.yml, in one place
# (tests/ci_recipe.rs runs them). Run from the site root, with `postpix` on PATH.
#
#   postpix-ci.sh key          print the CI cache key: postpix's version and a hash of the codec
#                              versions and the settings (flags in POSTPIX_FLAGS, _config.yml's
#                              postpix: block), so a changed setting or version misses
#   postpix-ci.sh check        pull requests: build into a scratch folder (exit 1 if an image or
#                              post fails), then `postpix check` it (exit 1 if anything is stale)
#   postpix-ci.sh build OUT    main: the rewritten site into OUT, for `jekyll build -s OUT`
#
# POSTPIX_CACHE_DIR (default .postpix-cache) is the folder to keep in the CI cache; each build
# writes its JSON report to postpix-report.json.
set -euo pipefail
cache="${POSTPIX_CACHE_DIR:-.postpix-cache}"
# shellcheck disable=SC2206 # word splitting of the flags is wanted
flags=(${POSTPIX_FLAGS:-})

case "${1:-}" in
  key)
    postpix config . --cache-key "${flags[@]}"
    ;;
  check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    out="$scratch/site"
    postpix build . --out "$out" --cache-dir "$cache" --json "${flags[@]}" >postpix-report.json
    postpix check . --out "$out" --cache-dir "$cache" "${flags[@]}"
    ;;
  build)
    out="${2:?usage: postpix-ci.sh build OUT}"
    postpix build . --out "$out" --cache-dir "$cache" --json "${flags[@]}" >postpix-report.json
    ;;
  *)
    echo "usage: postpix-ci.sh key | check | build OUT" >&2
    exit 2
    ;;
esac

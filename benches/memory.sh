#!/usr/bin/env bash
# Peak memory of `postpix build` on the corpus's largest images, against the memory budget.
# Builds a temp site whose post references the N largest still images of tests/fixtures/corpus
# (by pixels), then runs a cold build under several budgets and thread counts and prints peak RSS.
# usage: benches/memory.sh [N=8]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-8}
cargo build --release --quiet
bin="$PWD/target/release/postpix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/site/_posts" "$work/site/postimg"
# largest still images by width*height (frames == 1), from the corpus manifest
awk -F'\t' 'NR>1 && $5==1 {print $3*$4 "\t" $1}' tests/fixtures/corpus/manifest.tsv \
  | sort -rn | head -n "$n" | cut -f2 > "$work/list"
{
  echo "---"; echo "title: big"; echo "---"; echo
  while read -r f; do
    cp "tests/fixtures/corpus/$f" "$work/site/postimg/"
    echo "![$f](/postimg/$f)"; echo
  done < "$work/list"
} > "$work/site/_posts/2024-01-01-big.md"
echo "images: $(tr '\n' ' ' < "$work/list")"
peak() { # prints "wall_s peak_rss_mb" of a command
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.time()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)
print(f"{time.time()-t:.2f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024:.0f}")
PY
}
printf "%-28s %8s %12s\n" "setting" "wall s" "peak RSS MB"
for setting in "-j 2" "-j 4" "-j 8" "-j 8 --memory-budget 256" "-j 2 --memory-budget 128"; do
  rm -rf "$work/out"
  # shellcheck disable=SC2086
  read -r wall rss < <(peak "$bin" build --quiet --no-rewrite $setting --out "$work/out" "$work/site")
  printf "%-28s %8s %12s\n" "$setting" "$wall" "$rss"
done

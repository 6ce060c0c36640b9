#!/usr/bin/env bash
# Two postpix binaries on one already-built site, interleaved (A B A B ...): the no-op rebuild, or
# with TOUCH=1 a rebuild after one more line in one post (a different post before each run).
# Prints every run (wall, user, sys, peak RSS) and, per binary, the median wall and the median
# user+sys CPU, with the load average before and after. Build the site once first, e.g.
#   target/release/examples/large_site site /tmp/big 10000
#   target/release/postpix build --quiet --quality 80 /tmp/big
# then copy it (cp -a, the cache folder included) if it must stay pristine.
# usage: benches/noop-ab.sh SITE OLD_BIN NEW_BIN [REPS] [EXTRA BUILD ARGS...]
#   (the extra args must be the ones the site was built with, e.g. --quality 80, or the first
#   run re-encodes everything)
set -euo pipefail
site=${1:?usage: benches/noop-ab.sh SITE OLD_BIN NEW_BIN [REPS] [EXTRA BUILD ARGS...]}
old=${2:?old binary}
new=${3:?new binary}
reps=${4:-5}
shift $(($# < 4 ? $# : 4))
extra=("$@")
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 1; }
mapfile -t posts < <(find "$site/_posts" -name '*.md' | sort | head -n $((2 * reps)))
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-4s %8s %8s %8s %10s\n" bin wall user sys "RSS MB"
k=0
for _ in $(seq "$reps"); do
  for which in old new; do
    bin=$old
    [ "$which" = new ] && bin=$new
    if [ "${TOUCH:-0}" = 1 ]; then
      echo "One more line, run $k." >>"${posts[$k]}"
      k=$((k + 1))
    fi
    # shellcheck disable=SC2046
    set -- $( (/usr/bin/time -f "%e %U %S %M" "$bin" build --quiet "${extra[@]}" "$site" 2>&1 >/dev/null || true) | tail -1)
    printf "%-4s %8s %8s %8s %10.1f\n" "$which" "$1" "$2" "$3" "$(awk -v k="$4" 'BEGIN{print k/1024}')"
    echo "$which $1 $2 $3" >>"$out"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for which in old new; do
  awk -v w="$which" '$1 == w { n++; wall[n] = $2; cpu[n] = $3 + $4 }
    function median(a, n,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END { printf "%s: median wall %.2f s, median user+sys %.2f s (%d runs)\n", w, median(wall, n), median(cpu, n), n }' "$out"
done

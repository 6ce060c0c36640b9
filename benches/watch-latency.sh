#!/usr/bin/env bash
# watch-latency.sh: how long `postpix watch` takes from a save to the result being on disk.
#
# Builds the release binary, lays out a temp site (two posts, 2 MP JPEGs from the test corpus),
# starts `postpix watch` on it and times, from the moment the file is saved until the rewritten
# post (written after its variants) is on disk:
#   1. a post saved with one more reference to an image already encoded (rewrite only);
#   2. a post saved with a reference to a new 2 MP JPEG (encode + rewrite);
#   3. a 2 MP JPEG replaced by another one (encode, prune, rewrite the post using it).
# Each case runs ROUNDS times (default 3). Target: <= 1 s each on the project's 2-core machine.
# Usage: benches/watch-latency.sh [ROUNDS]
set -euo pipefail

rounds=${1:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
corpus=$repo/tests/fixtures/corpus

echo "building release binary..." >&2
(cd "$repo" && cargo build --release --quiet)
bin=$target/release/postpix

site=$(mktemp -d)
log=$site.log
pid=
cleanup() {
    if [[ -n $pid ]]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$site" "$log"
}
trap cleanup EXIT

mkdir -p "$site/_posts" "$site/postimg"
printf 'title: latency\n' >"$site/_config.yml"
cp "$corpus/photo-raindrops.jpg" "$site/postimg/photo.jpg"     # 1920x1200, 2.3 MP
cp "$corpus/photo-storm.jpg" "$site/postimg/storm.jpg"         # 1920x1280, 2.5 MP
printf -- '---\ntitle: A\n---\n\n![photo](/postimg/photo.jpg)\n' >"$site/_posts/2024-01-01-a.md"
printf -- '---\ntitle: B\n---\n\n![storm](/postimg/storm.jpg)\n' >"$site/_posts/2024-01-02-b.md"

now_ms() { date +%s%3N; }

# Wait until FILE's content differs from OLD (a string); print the milliseconds since START.
wait_changed() {
    local file=$1 old=$2 start=$3 deadline=$(($(now_ms) + 30000))
    while [[ "$(cat "$file")" == "$old" ]]; do
        if (($(now_ms) > deadline)); then echo "timeout waiting for $file" >&2; cat "$log" >&2; exit 1; fi
        sleep 0.005
    done
    echo $(($(now_ms) - start))
}

(cd "$site" && NO_COLOR=1 exec "$bin" watch . >"$log" 2>&1) &
pid=$!
until grep -q 'Ctrl-C to stop' "$log" 2>/dev/null; do sleep 0.05; done
sed -n '1,2p' "$log" | sed 's/^/first build: /'

post=$site/_posts/2024-01-01-a.md
report() {
    local name=$1
    shift
    local sorted
    sorted=$(printf '%s\n' "$@" | sort -n | tr '\n' ' ')
    printf '%-44s %s ms  (median %s ms)\n' "$name" "$sorted" "$(printf '%s\n' "$@" | sort -n | sed -n "$(((${#@} + 1) / 2))p")"
}

# 1. Post saved: one more reference to an image already encoded.
t1=()
for ((i = 0; i < rounds; i++)); do
    sleep 1
    start=$(now_ms)
    printf '\nAgain, round %d: ![photo](/postimg/photo.jpg)\n' "$i" >>"$post"
    # The debouncer holds events >= 150 ms, so this read still sees the author's text.
    t1+=("$(wait_changed "$post" "$(cat "$post")" "$start")")
done

# 2. Post saved with a reference to a new 2 MP JPEG.
t2=()
for ((i = 0; i < rounds; i++)); do
    sleep 1
    cp "$corpus/retina.jpg" "$site/postimg/new-$i.jpg.part"
    # A distinct image each round (one changed byte in the trailing padding), so nothing is cached.
    printf '%d' "$i" >>"$site/postimg/new-$i.jpg.part"
    mv "$site/postimg/new-$i.jpg.part" "$site/postimg/new-$i.jpg"
    sleep 0.5 # the image alone is used by no post: nothing to do
    start=$(now_ms)
    printf '\n![new](/postimg/new-%d.jpg)\n' "$i" >>"$post"
    t2+=("$(wait_changed "$post" "$(cat "$post")" "$start")")
done

# 3. A 2 MP JPEG replaced (cp over it, as an image editor's export does).
t3=()
postb=$site/_posts/2024-01-02-b.md
for ((i = 0; i < rounds; i++)); do
    sleep 1
    old=$(cat "$postb")
    if ((i % 2 == 0)); then src=photo-raindrops.jpg; else src=photo-storm.jpg; fi
    start=$(now_ms)
    cp "$corpus/$src" "$site/postimg/storm.jpg"
    printf '%d' "$i" >>"$site/postimg/storm.jpg"
    t3+=("$(wait_changed "$postb" "$old" "$start")")
done

echo
echo "save -> variants and rewritten post on disk (release, $(nproc) cores):"
report "post saved (image already encoded)" "${t1[@]}"
report "post saved (new 2 MP JPEG referenced)" "${t2[@]}"
report "2 MP JPEG replaced" "${t3[@]}"
echo
echo "watch output:"
sed -n '/Ctrl-C to stop/,$p' "$log" | tail -n +2

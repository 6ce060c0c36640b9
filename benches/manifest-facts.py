#!/usr/bin/env python3
"""Bytes per image of the facts a site's manifest holds, packed with no allocator or map overhead.

The floor under a build that keeps its manifest in memory: issue 16's ≤ 1.2× peak RSS from
1,000 to 20,000 images allows about 300 bytes per image for everything (README, "Memory on
large sites", session 12).

usage: python3 benches/manifest-facts.py SITE/.postpix/manifest.json
"""
import json
import sys

HASH = 32  # a blake3 digest
SIZE, MTIME = 8, 16  # u64 bytes, u128 nanoseconds
INFO = 1 + 4 + 4 + 4 + 1  # format, width, height, frames, orientation
ENTRY = 4 + 4 + 1 + 4 + 1 + 4 + 8  # width, height, lossless, three qualities, placeholder
OUTPUT = 4 + 4 + 1 + 8 + HASH + 1 + 4  # width, height, format, bytes, hash, source_bytes, quality


def main(path):
    with open(path, encoding="utf-8") as f:
        m = json.load(f)
    n = len(m["sources"])
    if n == 0:
        sys.exit(f"{path}: the manifest records no sources")
    sources = sum(len(k) + SIZE + MTIME + HASH + INFO for k in m["sources"])
    entries = sum(HASH + ENTRY + OUTPUT * len(e["outputs"]) for e in m["entries"].values())
    files = sum(len(k) + SIZE + MTIME + HASH for k in m["files"])
    print(f"images {n}, entries {len(m['entries'])}, files {len(m['files'])}")
    print("packed bytes per image:")
    for name, total in (("sources", sources), ("entries", entries), ("files", files)):
        print(f"  {name:8} {total / n:6.0f}")
    print(f"  {'total':8} {(sources + entries + files) / n:6.0f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(sys.argv[1])

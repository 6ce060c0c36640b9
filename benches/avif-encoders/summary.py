#!/usr/bin/env python3
"""One Markdown table row for a configuration: summary.py CONFIG DIR (reads time.txt, scores.txt)."""
import sys
config, d = sys.argv[1], sys.argv[2]
wall, user, sys_, rss = open(f"{d}/time.txt").read().split()[:4]
import os
refs = len([f for f in os.listdir(os.path.join(d, "..", "ref")) if f.endswith(".png")])
rows = [l.split() for l in open(f"{d}/scores.txt") if l.strip()]
failed = refs - len(rows)
def agg(sel):
    b = sum(int(r[2]) for r in sel); px = sum(int(r[3]) for r in sel)
    sc = [float(r[4]) for r in sel if r[4] != "-"]
    return b, 8 * b / px if px else 0, sum(sc) / len(sc) if sc else 0, min(sc) if sc else 0
b, bpp, mean, mn = agg(rows)
pb, pbpp, pmean, _ = agg([r for r in rows if r[1] == "photo"])
gb, gbpp, gmean, _ = agg([r for r in rows if r[1] == "graphic"])
print(f"| {config} | {b/1e6:.3f} | {bpp:.3f} | {mean:.1f} | {mn:.1f} | {pbpp:.3f} / {pmean:.1f} | {gbpp:.3f} / {gmean:.1f} | {float(user)+float(sys_):.1f} | {float(wall):.1f} | {int(rss)/1024:.0f} |" + (f" {failed} of {refs} images failed to encode" if failed else ""), flush=True)

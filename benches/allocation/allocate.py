#!/usr/bin/env python3
"""Bytes at an equal mean SSIMULACRA2 for three ways of choosing each picture's WebP quality,
from the rate-distortion curves `examples/rd_curve.rs` prints (one row per picture and quality:
name, pixels, quality, bytes, score):

- fixed: one quality for every picture (eleventy-img's and sharp's way, q80 by default);
- target: per picture the lowest quality scoring at least T (postpix's `--quality auto`);
- slope: per picture the quality maximising score - lambda * bits per pixel, i.e. every picture
  bought to the same marginal cost of a score point (the byte-optimal rule for a mean score),
  with no picture below 60 where any quality reaches it.

Each rule's parameter is swept and its total bytes are interpolated to the same mean score, so
the rules are compared at equal mean quality on the same pictures.

usage: allocate.py CURVES.TSV [MEAN ...]   (default means 70 72 74)
"""
import collections
import statistics
import sys


def load(path):
    curves = collections.defaultdict(list)
    for line in open(path):
        name, px, q, b, s = line.rstrip("\n").split("\t")
        curves[name].append((int(q), int(b), float(s), int(px)))
    # A picture the scorer cannot score (NaN) is left out of every rule alike.
    return {n: sorted(c) for n, c in curves.items() if all(p[2] == p[2] for p in c)}


def fixed(curves, q):
    return [next(p for p in c if p[0] == q) for c in curves.values()]


def target(curves, t):
    return [next((p for p in c if p[2] >= t), c[-1]) for c in curves.values()]


def slope(curves, lam, floor=60.0):
    out = []
    for c in curves.values():
        ok = [p for p in c if p[2] >= floor] or [c[-1]]
        out.append(max(ok, key=lambda p: p[2] - lam * p[1] * 8 / p[3]))
    return out


def sweep(rule, curves, params):
    pts = []
    for k in params:
        chosen = rule(curves, k)
        pts.append((statistics.mean(p[2] for p in chosen), sum(p[1] for p in chosen)))
    return sorted(pts)


def at_mean(pts, m):
    """Total bytes at mean score m, linear between the two sweep points around it."""
    for (m0, b0), (m1, b1) in zip(pts, pts[1:]):
        if m0 <= m <= m1 and m1 > m0:
            return b0 + (b1 - b0) * (m - m0) / (m1 - m0)
    return float("nan")


def main():
    curves = load(sys.argv[1])
    means = [float(m) for m in sys.argv[2:]] or [70.0, 72.0, 74.0]
    qs = sorted({p[0] for c in curves.values() for p in c})
    rules = {
        "fixed quality": sweep(fixed, curves, qs),
        "target per picture (postpix)": sweep(target, curves, [t / 2 for t in range(100, 180)]),
        "equal slope": sweep(slope, curves, [1.05 ** k for k in range(0, 120)]),
    }
    print(f"{len(curves)} pictures, qualities {qs[0]}..{qs[-1]}")
    print("| rule | " + " | ".join(f"bytes at mean {m:g}" for m in means) + " |")
    print("|---|" + "---|" * len(means))
    base = rules["fixed quality"]
    for name, pts in rules.items():
        cells = [f"{at_mean(pts, m):,.0f} ({at_mean(pts, m) / at_mean(base, m):.3f}×)" for m in means]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

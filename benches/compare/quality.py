#!/usr/bin/env python3
"""Quality side by side: SSIMULACRA2 of each tool's WebP variants (QUALITY_FORMAT=avif: AVIF;
QUALITY_FORMAT=avif,webp: per picture the first of those the tool produced) against a Lanczos3 resize of
the source to the same size (8-bit sRGB both sides; transparent pictures scored on white and on
black, the lower kept), on the pictures every tool produced, with bits per pixel.

usage: quality.py IMAGES_DIR NAME=OUTDIR [NAME=OUTDIR ...]   (the first is the baseline)
Output names understood: postpix's `<slug>-<width>.<hash>.webp` and `<stem>-<width>.webp`
(eleventy.js and sharp.js name their files so). Scores come from the `ssim2` example
(examples/ssim2.rs), built by run.sh or `cargo build --release --example ssim2`.
"""
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def slug(stem):
    parts = re.split(r"[^A-Za-z0-9]+", stem)
    return "-".join(p.lower() for p in parts if p)[:40] or "img"


def variants(out_dir, sources, ext):
    """(source path, width) -> variant path for every `.ext` file under out_dir."""
    by_slug = {slug(Path(s).stem): s for s in sources}
    by_stem = {Path(s).stem: s for s in sources}
    found = {}
    for p in Path(out_dir).rglob(f"*.{ext}"):
        m = re.match(r"^(.*)-(\d+)\.[0-9a-f]{8}\." + ext + "$", p.name)
        if m and m.group(1) in by_slug:
            found[(by_slug[m.group(1)], int(m.group(2)))] = p
            continue
        m = re.match(r"^(.*)-(\d+)\." + ext + "$", p.name)
        if m and m.group(1) in by_stem:
            found[(by_stem[m.group(1)], int(m.group(2)))] = p
    return found


def summary(per):
    """Totals and score statistics of (score, bytes, pixels) rows; NaN scores are counted apart."""
    ok = [p[0] for p in per if p[0] == p[0]]
    nbytes = sum(p[1] for p in per)
    px = sum(p[2] for p in per)
    return dict(n=len(per), bytes=nbytes, bpp=nbytes * 8 / max(px, 1), mean=statistics.mean(ok),
                median=statistics.median(ok), min=min(ok), below60=sum(1 for s in ok if s < 60),
                nan=len(per) - len(ok))


def table(rows, tools, ext, base):
    print(f"| who | {ext} pictures | {ext} bytes | bits per pixel | bytes / {base} | mean SSIMULACRA2 | median | min | < 60 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, _ in tools:
        r = rows[name]
        print(f"| {name} | {r['n']} | {r['bytes']} | {r['bpp']:.3f} | {r['bytes'] / rows[base]['bytes']:.3f} | "
              f"{r['mean']:.1f} | {r['median']:.1f} | {r['min']:.1f} | {r['below60']} |")


def main():
    images = Path(sys.argv[1])
    tools = [a.split("=", 1) for a in sys.argv[2:]]
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    scorer = os.environ.get("SSIM2", str(target / "release/examples/ssim2"))
    sources = sorted(str(p) for p in images.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".gif")
                     and not p.name.startswith(("anim-", "liar-animated")))
    # QUALITY_FORMAT=avif,webp scores what an AVIF-capable browser fetches: per picture the
    # first format the tool produced (postpix leaves AVIF out where it is larger than WebP).
    exts = os.environ.get("QUALITY_FORMAT", "webp").split(",")
    ext = "/".join(exts)
    found = {}
    for name, d in tools:
        found[name] = {}
        for e in exts:
            for k, v in variants(d, sources, e).items():
                found[name].setdefault(k, v)
    common = sorted(set.intersection(*(set(f) for f in found.values())))
    per = {}
    for name, _ in tools:
        pairs = [(s, str(found[name][(s, w)])) for s, w in common]
        r = subprocess.run([scorer], input="".join(f"{a}\t{b}\n" for a, b in pairs), capture_output=True,
                           text=True, check=True)
        lines = [l.split() for l in r.stdout.splitlines()]
        # Per picture: score, bytes, pixels.
        per[name] = [(float(x[0]), Path(b).stat().st_size, int(x[1]) * int(x[2])) for x, (_, b) in zip(lines, pairs)]
    base = tools[0][0]
    rows = {name: summary(per[name]) for name, _ in tools}
    table(rows, tools, ext, base)
    # The baseline's mean is pulled down by the few pictures it gets wrong (an EXIF rotation
    # ignored, CMYK read as RGB: scores far below 0), so the same table again without those:
    # the comparison at equal quality on the pictures every tool renders right.
    keep = [i for i, p in enumerate(per[base]) if p[0] >= 60]
    if len(keep) < len(common):
        print()
        print(f"The same, on the {len(keep)} pictures {base} scores at least 60 on "
              f"(its {len(common) - len(keep)} below 60 left out):")
        print()
        table({name: summary([per[name][i] for i in keep]) for name, _ in tools}, tools, ext, base)

    if os.environ.get("QUALITY_JSON"):
        Path(os.environ["QUALITY_JSON"]).write_text(json.dumps(rows))


if __name__ == "__main__":
    main()

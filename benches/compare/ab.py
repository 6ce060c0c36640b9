#!/usr/bin/env python3
"""A/B: two postpix binaries doing the default job side by side, interleaved.

    benches/compare/ab.py OLD_BINARY NEW_BINARY [--reps 5] [--images DIR] [-- EXTRA ARGS]

The job is compare.py's postpix row: every still image of the corpus (tests/fixtures/corpus by
default, from its manifest.tsv) in one post, `build --no-rewrite --out OUT --cache-dir CACHE
-j 2`, cold each time. Runs alternate A, B, A, B, ... so both see the same machine load; GNU
time gives wall, user+sys CPU and peak RSS. Prints every run, then the medians and the ratio
B/A, and checks that both binaries wrote byte-identical variants. Use it for a change that
claims "no change in speed" (the redesign: CPU within 5 % of the old code).
"""
import argparse
import hashlib
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def stills(images: Path):
    rows = (images / "manifest.tsv").read_text().splitlines()[1:]
    for row in rows:
        name, fmt, _w, _h, frames, *_ = row.split("\t")
        if fmt in ("jpeg", "png", "gif") and frames == "1":
            yield images / name


def site(root: Path, images: Path) -> Path:
    s = root / "site"
    (s / "_posts").mkdir(parents=True)
    (s / "img").mkdir()
    (s / "_config.yml").write_text("title: postpix A/B\n")
    body = ["---", "title: every still image", "---", ""]
    for f in stills(images):
        shutil.copyfile(f, s / "img" / f.name)
        body.append(f"![{f.name}](/img/{f.name})\n")
    (s / "_posts" / "2000-01-01-ab.md").write_text("\n".join(body))
    return s


def timed(cmd):
    with tempfile.NamedTemporaryFile("r") as t:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", t.name, *cmd],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode not in (0, 1):
            sys.exit(f"{cmd[0]} failed ({r.returncode}):\n{r.stderr[-2000:]}")
        e, u, s, m = t.read().split()
    return {"wall": float(e), "cpu": float(u) + float(s), "rss_mb": int(m) / 1024}


def digest(out: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(out.rglob("*")):
        if p.is_file() and "responsive" in p.parts:
            h.update(str(p.relative_to(out)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--images", default=str(REPO / "tests/fixtures/corpus"))
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="postpix-ab-"))
    try:
        s = site(work, Path(args.images))
        bins = {"A": str(Path(args.a).resolve()), "B": str(Path(args.b).resolve())}
        runs = {"A": [], "B": []}
        digests = {}
        for rep in range(args.reps):
            for key, binary in bins.items():
                out, cache = work / f"out-{key}", work / f"cache-{key}"
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(cache, ignore_errors=True)
                m = timed([binary, "build", str(s), "--no-rewrite", "--out", str(out),
                           "--cache-dir", str(cache), "-j", "2", *args.extra])
                runs[key].append(m)
                digests[key] = digest(out)
                print(f"rep {rep + 1} {key}: wall {m['wall']:6.2f} s  cpu {m['cpu']:6.2f} s  "
                      f"rss {m['rss_mb']:5.0f} MB", file=sys.stderr)
        med = {k: {f: statistics.median(r[f] for r in v) for f in ("wall", "cpu", "rss_mb")}
               for k, v in runs.items()}
        print(f"| | A ({args.a}) | B ({args.b}) | B/A |\n|---|---|---|---|")
        for f, label in (("cpu", "CPU s"), ("wall", "wall s"), ("rss_mb", "peak RSS MB")):
            print(f"| median {label} | {med['A'][f]:.2f} | {med['B'][f]:.2f} | "
                  f"{med['B'][f] / med['A'][f]:.3f} |")
        same = digests["A"] == digests["B"]
        print(f"\nvariants byte-identical: {'yes' if same else 'NO'} ({args.reps} reps each, interleaved)")
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

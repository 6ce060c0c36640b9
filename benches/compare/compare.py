#!/usr/bin/env python3
"""Side-by-side timing of postpix against eleventy-img, sharp and the encoder floors.

Called by run.sh (see there for usage). Every peer does "the job" on the still images of a
folder: WebP q80 method/effort 4 at 480, 960 and 1440 px (never upscaled: a narrower source gets
its own width as the top width) plus a fallback in the source's format at the same widths, two
images at a time. Runs are interleaved (rep 1: every peer, rep 2: every peer, ...) and the
median of each metric is reported. GNU time gives wall, user+sys CPU and peak RSS (of the
largest single process). Output bytes are counted by file extension.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WORK = HERE / "work"
RUN = WORK / "run"


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, **kw)


def out_of(cmd):
    try:
        r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        if r.returncode != 0:
            # A floor's tool that is not installed: say so, not the shell's error.
            return "not installed"
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001
        return f"? ({e})"


def timed(cmd, env=None, stdout=None):
    """Run cmd under GNU time; return dict(wall, cpu, rss_mb) and the command's stdout."""
    tfile = RUN / "time.txt"
    full = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(tfile)] + cmd
    r = subprocess.run(full, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.stderr.write(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}\n")
    e, u, s, m = tfile.read_text().strip().splitlines()[-1].split()
    return {"wall": float(e), "cpu": float(u) + float(s), "rss_mb": int(m) / 1024, "ok": r.returncode == 0}, r.stdout


def bytes_by_format(root, only_dir=None):
    """Output bytes by format under root (only inside folders named only_dir, if given)."""
    acc = {}
    files = 0
    for p in Path(root).rglob("*"):
        if not p.is_file():
            continue
        if only_dir and only_dir not in p.parts:
            continue
        ext = p.suffix.lower().lstrip(".")
        ext = {"jpg": "jpeg"}.get(ext, ext)
        acc[ext] = acc.get(ext, 0) + p.stat().st_size
        files += 1
    return acc, files


def fresh(d):
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def prepare(images, stills_json, floors=True):
    """Probe, pre-resize for the floors (when they run), and lay out a one-post site for postpix."""
    stills = json.loads(stills_json.read_text())["stills"]
    pre = fresh(RUN / "pre")
    cwebp_lines, oxipng_lines, cjpeg_lines = [], [], []
    outs = RUN / "out"
    for s in stills:
        stem = Path(s["name"]).stem
        for w in s["widths"] if floors else []:
            resize = [] if w == s["width"] else ["-resize", f"{w}x"]
            png = pre / f"{stem}-{w}.png"
            sh(["convert", s["file"] + "[0]", "-auto-orient", *resize, "-strip", str(png)])
            cwebp_lines.append(f"-quiet -q 80 -m 4 {png} -o {outs}/floor-cwebp/{stem}-{w}.webp")
            if s["format"] == "jpeg":
                ppm = pre / f"{stem}-{w}.ppm"
                sh(["convert", str(png), str(ppm)])
                cjpeg_lines.append(
                    f"-quality 80 -optimize -progressive -outfile {outs}/floor-cjpeg/{stem}-{w}.jpg {ppm}")
            else:
                oxipng_lines.append(f"-q -o 2 --strip all --out {outs}/floor-oxipng/{stem}-{w}.png {png}")
    for name, lines in (("cwebp", cwebp_lines), ("oxipng", oxipng_lines), ("cjpeg", cjpeg_lines)):
        (RUN / f"{name}.args").write_text("\n".join(lines) + "\n")
    site = fresh(RUN / "site")
    (site / "_config.yml").write_text("title: postpix bench\n")
    (site / "_posts").mkdir()
    (site / "img").mkdir()
    body = ["---", "title: every still image", "---", ""]
    for s in stills:
        shutil.copyfile(s["file"], site / "img" / s["name"])
        body.append(f"![{s['name']}](/img/{s['name']})\n")
    (site / "_posts" / "2000-01-01-bench.md").write_text("\n".join(body))
    n_webp = sum(len(s["widths"]) for s in stills)
    n_jpeg = sum(len(s["widths"]) for s in stills if s["format"] == "jpeg")
    return stills, {"webp": n_webp, "jpeg": n_jpeg, "png": n_webp - n_jpeg}


QUALITY_RUNS = (
    # (title, QUALITY_FORMAT, tools; the first is the baseline)
    ("WebP, the default job", "webp", ("eleventy", "postpix-default", "postpix-q80", "postpix-matched", "sharp")),
    ("AVIF, the AVIF job (pictures both tools gave an AVIF)", "avif", ("eleventy-avif", "postpix-avif")),
    ("what an AVIF-capable browser fetches in the AVIF job (AVIF, else WebP)", "avif,webp",
     ("eleventy-avif", "postpix-avif")),
    ("WebP of the AVIF job (what a browser without AVIF fetches)", "webp", ("eleventy-avif", "postpix-avif")),
)


def quality_section(images, outs, samples, med):
    """SSIMULACRA2 tables (quality.py) for every run whose tools were measured, and the
    issue's bytes-at-quality and speed targets checked against them."""
    text, targets = "", []
    for title, fmt, tools in QUALITY_RUNS:
        tools = [k for k in tools if k in samples]
        # Jobs at another --target or AVIF speed (TARGETS / AVIF_TARGETS / AVIF_SPEEDS) join
        # the runs of their job.
        prefix = "postpix-avif-" if fmt != "webp" or tools[:1] == ["eleventy-avif"] else "postpix-t"
        tools += [k for k in samples if k.startswith(prefix)]
        if len(tools) < 2:
            continue
        js = RUN / f"quality-{fmt.replace(',', '-')}-{tools[0]}.json"
        env = dict(os.environ, QUALITY_FORMAT=fmt, QUALITY_JSON=str(js))
        q = subprocess.run([sys.executable, str(HERE / "quality.py"), images] +
                           [f"{k}={outs / k}" for k in tools], capture_output=True, text=True, env=env)
        text += (f"\n### Quality: {title}\n\n(benches/compare/quality.py, QUALITY_FORMAT={fmt}: SSIMULACRA2 "
                 "against a Lanczos3 resize of the source, sRGB, transparent pictures on white and black, "
                 "the lower kept)\n\n" + q.stdout +
                 (f"\n(quality.py failed: {q.stderr[-500:]})\n" if q.returncode else ""))
        if q.returncode == 0:
            targets += quality_targets(fmt, tools, json.loads(js.read_text()), med)
    if targets:
        text += ("\n### The issue's targets (#12), from this run\n\n| target | measured | met? |\n|---|---|---|\n" +
                 "\n".join(targets) + "\n")
    print(text, file=sys.stderr)
    return text


def quality_targets(fmt, tools, rows, med):
    """Rows of the targets table for one quality run."""
    out = []

    def row(name, value, ok):
        out.append(f"| {name} | {value} | {'yes' if ok else '**no**'} |")
    base = tools[0]
    if fmt == "webp" and base == "eleventy" and "postpix-default" in rows:
        p, e = rows["postpix-default"], rows[base]
        r = p["bytes"] / e["bytes"]
        row("default job: WebP bytes <= 0.80x eleventy-img's", f"{r:.3f}", r <= 0.80)
        row("default job: mean SSIMULACRA2 >= eleventy-img's", f"{p['mean']:.1f} vs {e['mean']:.1f}",
            p["mean"] >= e["mean"])
        row("default job: no WebP variant below 60", f"{p['below60']} below 60 (min {p['min']:.1f})",
            p["below60"] == 0)
        w = med("postpix-default", "wall") / med("eleventy", "wall")
        row("default job: wall <= 0.67x eleventy-img's (quality auto on)", f"{w:.3f}", w <= 0.67)
    if fmt == "avif" and "postpix-avif" in rows:
        p, e = rows["postpix-avif"], rows[base]
        r = p["bytes"] / e["bytes"]
        row("AVIF job: AVIF bytes <= eleventy-img's AVIF bytes (same pictures)", f"{r:.3f}", r <= 1.0)
        row("AVIF job: mean AVIF SSIMULACRA2 >= eleventy-img's", f"{p['mean']:.1f} vs {e['mean']:.1f}",
            p["mean"] >= e["mean"])
        w = med("postpix-avif", "wall") / med("eleventy-avif", "wall")
        row("AVIF job: wall <= 0.25x eleventy-img's", f"{w:.3f}", w <= 0.25)
        m = med("postpix-avif", "rss_mb") / med("eleventy-avif", "rss_mb")
        row("AVIF job: peak RSS <= 0.5x eleventy-img's", f"{m:.3f}", m <= 0.5)
    # The same jobs at another --target: bytes at an equal (or higher) mean score.
    for k in sorted(rows):
        extra = (fmt == "webp" and base == "eleventy" and k.startswith("postpix-t")) or \
                (fmt == "avif" and k.startswith("postpix-avif-"))
        if extra:
            p, e = rows[k], rows[base]
            r = p["bytes"] / e["bytes"]
            flag = "--avif-speed" if k.startswith("postpix-avif-s") else "--target"
            row(f"{k} (`{flag} {k.rsplit('-', 1)[1][1:]}`): {fmt.upper()} bytes / {base}'s at mean "
                f"{p['mean']:.1f} vs {e['mean']:.1f} (median {p['median']:.1f} vs {e['median']:.1f})",
                f"{r:.3f}, {p['below60']} below 60", r <= (0.80 if fmt == "webp" else 1.0) and p["mean"] >= e["mean"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--postpix", default=str(REPO / "target/release/postpix"))
    ap.add_argument("--only", default="", help="comma-separated peer keys to run (default: all)")
    ap.add_argument("--results", default=str(HERE / "results.md"))
    ap.add_argument("--targets", default="", help="comma-separated --target values: extra default jobs")
    ap.add_argument("--avif-targets", default="", help="comma-separated --target values: extra AVIF jobs")
    ap.add_argument("--avif-speeds", default="", help="comma-separated --avif-speed values: extra AVIF jobs")
    a = ap.parse_args()

    RUN.mkdir(parents=True, exist_ok=True)
    stills_json = RUN / "stills.json"
    with open(stills_json, "w") as f:
        sh(["node", str(HERE / "probe.js"), a.images], stdout=f)
    print("preparing (probe, pre-resize for the floors, temp site) ...", file=sys.stderr)
    floors = not a.only or any(k.startswith("floor-") for k in a.only.split(","))
    stills, counts = prepare(a.images, stills_json, floors)
    print(f"{len(stills)} still images, {counts['webp']} variants per format "
          f"({counts['jpeg']} JPEG, {counts['png']} PNG/GIF fallbacks)", file=sys.stderr)

    oxipng = shutil.which("oxipng") or str(WORK / "oxipng/bin/oxipng")
    outs = RUN / "out"
    pp = a.postpix
    site = RUN / "site"

    def xargs(tool, key):
        return ["xargs", "-P", "2", "-L", "1", "-a", str(RUN / f"{key}.args"), tool]

    def postpix_cmd(out, cache, extra):
        return [pp, "--json", "build", str(site), "--no-rewrite", "--out", str(out),
                "--cache-dir", str(cache), "-j", "2", *extra]

    peers = [
        # key, label, kind
        ("postpix-matched", "postpix, job-matched (`--lossless never`)", "postpix", ["--lossless", "never"]),
        ("eleventy", "eleventy-img 6.0.4 (concurrency 2)", "node", ("eleventy.js",)),
        ("postpix-default", "postpix, defaults (`--quality auto`)", "postpix", []),
        ("postpix-q80", "postpix, defaults but `--quality 80` (the old default)", "postpix", ["--quality", "80"]),
        ("sharp", "sharp, 2 at a time", "node", ("sharp.js",)),
        ("postpix-matched-p2", "postpix, job-matched, `--png-preset 2`", "postpix",
         ["--lossless", "never", "--png-preset", "2"]),
        ("postpix-default-p2", "postpix, defaults but `--png-preset 2`", "postpix", ["--png-preset", "2"]),
        ("postpix-avif", "postpix `--formats avif,webp` (quality auto for both)", "postpix", ["--formats", "avif,webp"]),
        ("eleventy-avif", "eleventy-img 6.0.4, `formats: [avif, webp, auto]`", "node", ("eleventy.js", "avif,webp,auto")),
        ("floor-cwebp", f"floor: cwebp alone on pre-resized inputs ({counts['webp']} WebP)", "xargs", ("cwebp", "cwebp")),
        ("floor-oxipng", f"floor: oxipng -o 2 alone on pre-resized PNGs ({counts['png']})", "xargs", (oxipng, "oxipng")),
        ("floor-cjpeg", f"floor: cjpeg -optimize -progressive alone ({counts['jpeg']} JPEG)", "xargs", ("cjpeg", "cjpeg")),
    ]
    if a.only:
        keep = set(a.only.split(","))
        peers = [p for p in peers if p[0] in keep]
    for t in filter(None, a.targets.split(",")):
        peers.append((f"postpix-t{t}", f"postpix, defaults but `--target {t}`", "postpix", ["--target", t]))
    for t in filter(None, a.avif_targets.split(",")):
        peers.append((f"postpix-avif-t{t}", f"postpix `--formats avif,webp --target {t}`", "postpix",
                      ["--formats", "avif,webp", "--target", t]))
    for v in filter(None, a.avif_speeds.split(",")):
        peers.append((f"postpix-avif-s{v}", f"postpix `--formats avif,webp --avif-speed {v}`", "postpix",
                      ["--formats", "avif,webp", "--avif-speed", v]))
    samples = {p[0]: [] for p in peers}
    noop = {p[0]: [] for p in peers if p[2] == "postpix"}
    env = dict(os.environ)
    for rep in range(a.reps):
        for key, label, kind, arg in peers:
            out = fresh(outs / key)
            if kind == "node":
                m, _ = timed(["node", str(HERE / arg[0]), str(stills_json), str(out), *arg[1:]])
                by, files = bytes_by_format(out)
            elif kind == "xargs":
                m, _ = timed(xargs(*arg))
                by, files = bytes_by_format(out)
            else:
                cache = fresh(RUN / "cache" / key)
                m, js = timed(postpix_cmd(out, cache, arg), env=env)
                by, files = bytes_by_format(out, only_dir="responsive")
                try:
                    summ = json.loads(js)["summary"]
                    m["reader_bytes"] = summ["bytes_after"]
                    m["failed"] = summ.get("failed", 0)
                except Exception as e:  # noqa: BLE001
                    print(f"cannot read postpix --json: {e}", file=sys.stderr)
                n, js2 = timed(postpix_cmd(out, cache, arg), env=env)
                noop[key].append(n)
            m["bytes"] = by
            m["files"] = files
            samples[key].append(m)
            line = f"rep {rep + 1} {key:16s} wall {m['wall']:6.2f} s cpu {m['cpu']:6.2f} s rss {m['rss_mb']:6.0f} MB " \
                   f"out {sum(by.values()) / 1e6:6.2f} MB ({files} files)"
            if key in noop:
                line += f"  no-op {noop[key][-1]['wall']:.3f} s"
            print(line, file=sys.stderr)

    def med(key, field, src=samples):
        return statistics.median(s[field] for s in src[key])

    def mn(key):
        return min(s["wall"] for s in samples[key])

    def med_bytes(key):
        return statistics.median(sum(s["bytes"].values()) for s in samples[key])

    rows = []
    hdr = "| who | wall s | CPU s | peak RSS MB | output MB | files | by format (MB) |\n|---|---|---|---|---|---|---|"
    rows.append(hdr)
    for key, label, kind, _ in peers:
        last = samples[key][-1]["bytes"]
        fmt = ", ".join(f"{k} {v / 1e6:.2f}" for k, v in sorted(last.items()))
        rows.append(f"| {label} | {med(key, 'wall'):.2f} | {med(key, 'cpu'):.1f} | {med(key, 'rss_mb'):.0f} | "
                    f"{med_bytes(key) / 1e6:.2f} | {samples[key][-1]['files']} | {fmt} |")
        if key in noop:
            rows.append(f"| {label}: no-op rebuild | {med(key, 'wall', noop):.3f} | {med(key, 'cpu', noop):.2f} | "
                        f"{med(key, 'rss_mb', noop):.0f} | | | |")
    table = "\n".join(rows)

    VARIANTS = ("postpix-matched", "postpix-default", "postpix-matched-p2", "postpix-default-p2")
    ratios = ["| ratio | matched | defaults | matched, png-preset 2 | defaults, png-preset 2 | target |"
              " met (matched + defaults, those run)? | met with png-preset 2? |",
              "|---|---|---|---|---|---|---|---|"]

    def ratio(name, f, target):
        vals = []
        for k in VARIANTS:
            try:
                vals.append(f(k))
            except (KeyError, ZeroDivisionError, statistics.StatisticsError, TypeError):
                vals.append(None)
        shown = [f"{v:.3f}" if v is not None else "n/a" for v in vals]

        def met(vs):
            # Judged on the jobs this run measured: a job left out (ONLY=...) is n/a, not a miss.
            got = [v for v in vs if v is not None]
            if not got:
                return "n/a"
            return "yes" if all(v <= target for v in got) else "**no**"
        ratios.append(f"| {name} | {' | '.join(shown)} | ≤ {target} | {met(vals[:2])} | {met(vals[2:])} |")

    if "postpix-matched" in samples or "postpix-default" in samples:
        ratio("cold wall / eleventy-img", lambda k: med(k, "wall") / med("eleventy", "wall"), 0.67)
        ratio("cold wall / sharp", lambda k: med(k, "wall") / med("sharp", "wall"), 0.67)
        ratio("cold wall / cwebp floor", lambda k: med(k, "wall") / med("floor-cwebp", "wall"), 2.0)
        ratio("cold CPU / cwebp floor CPU", lambda k: med(k, "cpu") / med("floor-cwebp", "cpu"), 2.0)
        # On a shared machine the wall medians swing with other people's builds; the fastest
        # repetition of each (the least disturbed) and CPU time are steadier.
        ratio("fastest cold wall / eleventy-img's fastest", lambda k: mn(k) / mn("eleventy"), 0.67)
        ratio("fastest cold wall / sharp's fastest", lambda k: mn(k) / mn("sharp"), 0.67)
        ratio("fastest cold wall / cwebp floor's fastest", lambda k: mn(k) / mn("floor-cwebp"), 2.0)
        ratio("cold CPU / eleventy-img CPU", lambda k: med(k, "cpu") / med("eleventy", "cpu"), 0.67)
        ratio("cold CPU / sharp CPU", lambda k: med(k, "cpu") / med("sharp", "cpu"), 0.67)
        ratio("peak RSS / eleventy-img", lambda k: med(k, "rss_mb") / med("eleventy", "rss_mb"), 0.5)
        ratio("output bytes / eleventy-img", lambda k: med_bytes(k) / med_bytes("eleventy"), 1.0)
        ratio("no-op wall / cold wall", lambda k: med(k, "wall", noop) / med(k, "wall"), 0.01)
        ratio("reader bytes (bytes_after) / matched job's",
              lambda k: med(k, "reader_bytes") / med(k.replace("default", "matched"), "reader_bytes"), 1.0)
    ratio_text = "\n".join(ratios)

    raw = ["| who | rep | wall s | CPU s | RSS MB | out MB |", "|---|---|---|---|---|---|"]
    for key, *_ in peers:
        for i, s in enumerate(samples[key]):
            raw.append(f"| {key} | {i + 1} | {s['wall']:.2f} | {s['cpu']:.2f} | {s['rss_mb']:.0f} | "
                       f"{sum(s['bytes'].values()) / 1e6:.2f} |")
    if any("reader_bytes" in s for k in noop for s in samples[k]):
        for k in noop:
            rb = [s.get("reader_bytes") for s in samples[k]]
            raw.append(f"\n{k}: bytes_after (bytes a reader downloads) per rep: {rb}")

    try:
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
    except Exception:  # noqa: BLE001
        cpu = platform.processor()
    mem = out_of("free -g | awk '/Mem:/{print $2\" GB RAM\"}'")
    load = open("/proc/loadavg").read().split()[:3] if Path("/proc/loadavg").exists() else "?"
    el = json.loads((WORK / "node_modules/@11ty/eleventy-img/package.json").read_text())["version"]
    el_sharp = out_of(f"node -p \"require(require.resolve('sharp/package.json', {{paths: [require.resolve('@11ty/eleventy-img', {{paths: ['{WORK}']}})]}})).version\"")
    sharp_v = json.loads((WORK / "node_modules/sharp/package.json").read_text())["version"]
    cjpeg_v = out_of("dpkg-query -W -f='${Version}' libjpeg-turbo-progs")
    facts = [
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {cpu}, {os.cpu_count()} cores, {mem}, {platform.system()} {platform.release()}; "
        f"load average at the end {' '.join(load)} (shared machine: other builds were running)",
        f"- images: `{a.images}`: {len(stills)} still images ({counts['jpeg'] and sum(1 for s in stills if s['format']=='jpeg')} JPEG, "
        f"{sum(1 for s in stills if s['format']=='png')} PNG, {sum(1 for s in stills if s['format']=='gif')} GIF), "
        f"{counts['webp']} widths in all; animated files left out",
        f"- postpix {out_of(pp + ' --version')} at git {out_of('git -C ' + str(REPO) + ' rev-parse --short HEAD')}; "
        f"eleventy-img {el} on sharp {el_sharp}; sharp {sharp_v}; {out_of('cwebp -version').split()[0]} (cwebp); "
        f"{out_of(oxipng + ' --version')}; cjpeg {cjpeg_v}; node {out_of('node --version')}",
        f"- {a.reps} interleaved repetitions, medians; reproduce: `benches/compare/setup.sh && benches/compare/run.sh`",
    ]
    # Quality: SSIMULACRA2 of every tool's WebP (last repetition's files) on the common pictures.
    quality = quality_section(a.images, outs, samples, med)
    report = ("## postpix vs peers: the job on " + f"`{a.images}`\n\n" + "\n".join(facts) + "\n\n" + table +
              "\n\n### Ratios of postpix to the peers (one run, medians)\n\n" + ratio_text + "\n" + quality +
              "\n\n<details><summary>every repetition</summary>\n\n" + "\n".join(raw) + "\n\n</details>\n")
    print(report)
    (RUN / "last-report.md").write_text(report)
    notes = HERE / "notes.md"
    if notes.exists():
        report += "\n" + notes.read_text()
    if a.results:
        Path(a.results).write_text("# Benchmark results (benches/compare)\n\n" + report)
        print(f"written to {a.results}", file=sys.stderr)


if __name__ == "__main__":
    main()

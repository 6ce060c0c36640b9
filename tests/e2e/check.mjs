// Serve a built Jekyll site on 127.0.0.1 and load pages in headless Chromium; print what the
// browser saw as JSON on stdout. Assertions live in the Rust test (tests/e2e.rs).
//
// usage: node check.mjs <site-dir> <page-path>...
// Every request to another host is aborted: the pipeline and its test never touch the network.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const [root, ...pages] = process.argv.slice(2);
const TYPES = {
  ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript",
  ".webp": "image/webp", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
  ".gif": "image/gif", ".svg": "image/svg+xml", ".xml": "application/xml",
};

const server = http.createServer((req, res) => {
  let p;
  try {
    p = decodeURIComponent(new URL(req.url, "http://x").pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  let file = path.join(root, p);
  if (!file.startsWith(path.resolve(root))) { res.writeHead(403).end(); return; }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
  if (!fs.existsSync(file)) { res.writeHead(404).end("not found"); return; }
  res.writeHead(200, { "content-type": TYPES[path.extname(file).toLowerCase()] || "application/octet-stream" });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
});

// POSTPIX_E2E_VIEWPORTS (JSON, e.g. [{"width":375,"height":800,"dpr":1}]) replaces the default set.
const viewports = process.env.POSTPIX_E2E_VIEWPORTS ? JSON.parse(process.env.POSTPIX_E2E_VIEWPORTS) : [
  { width: 375, height: 800, dpr: 2 },
  { width: 768, height: 900, dpr: 1 },
  { width: 1440, height: 900, dpr: 1 },
];
const results = [];
for (const vp of viewports) {
  const context = await browser.newContext({
    viewport: { width: vp.width, height: vp.height }, deviceScaleFactor: vp.dpr,
  });
  for (const page of pages) {
    const tab = await context.newPage();
    // Variant files are held back until the page has been looked at without them: what shows
    // while images load (the placeholder colour) is recorded before any of them arrives.
    let release;
    const gate = new Promise((r) => { release = r; });
    await tab.route("**/*", async (route) => {
      const url = route.request().url();
      if (!url.startsWith(base)) return route.abort();
      if (url.includes("/responsive/")) await gate;
      return route.continue();
    });
    const responses = [];
    tab.on("response", (r) => responses.push({ url: r.url(), status: r.status() }));
    const failed = [];
    tab.on("requestfailed", (r) => failed.push({ url: r.url(), error: r.failure()?.errorText }));
    await tab.goto(`${base}/${page}`, { waitUntil: "domcontentloaded" });
    const beforeLoad = await tab.evaluate(() => Array.from(document.images).map((img) => {
      const cs = getComputedStyle(img);
      return {
        background: cs.backgroundColor, clip: cs.backgroundClip,
        style: img.getAttribute("style"), naturalWidth: img.naturalWidth,
        currentSrc: img.currentSrc,
      };
    }));
    release();
    await tab.waitForLoadState("load");
    const images = await tab.evaluate(async () => {
      const out = [];
      for (const img of Array.from(document.images)) {
        img.scrollIntoView({ block: "center" });
        if (!img.complete) {
          await new Promise((resolve) => {
            img.addEventListener("load", resolve, { once: true });
            img.addEventListener("error", resolve, { once: true });
            setTimeout(resolve, 5000);
          });
        }
        const picture = img.closest("picture");
        const span = img.closest("span.postpix");
        const source = picture ? picture.querySelector('source[type="image/webp"]') : null;
        const avifSource = picture ? picture.querySelector('source[type="image/avif"]') : null;
        const abs = (u) => new URL(u, document.baseURI).href;
        const srcsetUrls = (v) => (v || "").split(",").map((c) => c.trim().split(/\s+/)[0]).filter(Boolean);
        const candidates = span
          ? [img.getAttribute("src"), ...srcsetUrls(img.getAttribute("srcset")),
             ...srcsetUrls(source && source.getAttribute("srcset")),
             ...srcsetUrls(avifSource && avifSource.getAttribute("srcset"))].filter(Boolean).map(abs)
          : [];
        // Each srcset candidate with its width descriptor, as absolute URLs.
        const widthsOf = (v) => (v || "").split(",").map((c) => c.trim().split(/\s+/))
          .filter((p) => p.length > 1 && p[1].endsWith("w")).map((p) => [abs(p[0]), parseInt(p[1], 10)]);
        const candidateWidths = span
          ? [...widthsOf(img.getAttribute("srcset")), ...widthsOf(source && source.getAttribute("srcset")),
             ...widthsOf(avifSource && avifSource.getAttribute("srcset"))]
          : [];
        // What the browser itself decodes from the chosen file: frames, per-frame durations and
        // the loop count, read with WebCodecs' ImageDecoder (animated WebP must really animate).
        let anim = null;
        if (span && img.currentSrc.endsWith(".webp") && typeof ImageDecoder !== "undefined") {
          try {
            const data = await (await fetch(img.currentSrc)).arrayBuffer();
            const dec = new ImageDecoder({ data, type: "image/webp" });
            await dec.tracks.ready;
            const track = dec.tracks.selectedTrack;
            const durations = [];
            if (track.frameCount > 1) {
              for (let i = 0; i < track.frameCount; i++) {
                const r = await dec.decode({ frameIndex: i });
                durations.push(Math.round((r.image.duration || 0) / 1000));
                r.image.close();
              }
            }
            anim = { frames: track.frameCount, durations, repetitionCount: track.repetitionCount };
            dec.close();
          } catch (e) {
            anim = { error: String(e) };
          }
        }
        out.push({
          anim,
          orig: span ? span.getAttribute("data-postpix-orig") : null,
          candidates,
          candidateWidths,
          rewritten: !!span,
          src: img.getAttribute("src"),
          currentSrc: img.currentSrc,
          complete: img.complete,
          naturalWidth: img.naturalWidth,
          renderedWidth: img.getBoundingClientRect().width,
          renderedHeight: img.getBoundingClientRect().height,
          hasWebpSource: !!source,
          webpSrcset: source ? source.srcset : null,
          hasAvifSource: !!avifSource,
          avifSrcset: avifSource ? avifSource.srcset : null,
          imgSrcset: img.srcset || null,
          inLink: !!img.closest("a"),
          loading: img.getAttribute("loading"),
          sizes: img.getAttribute("sizes"),
          // Sized by a height attribute alone: its width is the theme's to decide (a stylesheet
          // with `img { height: auto }` overrides the attribute), so no `sizes` fits every theme.
          heightAttrOnly: img.hasAttribute("height") && !img.hasAttribute("width")
            && !/(^|;)\s*(width|height)\s*:/i.test(img.getAttribute("style") || ""),
        });
      }
      // Escaped markup shows up as text: kramdown turns a broken <img> into visible "&lt;img".
      const bodyText = document.body.innerText;
      const count = (re) => (bodyText.match(re) || []).length;
      return { out, escaped: count(/<(img|picture|source|span)\b/gi) + count(/\{\{|\{%/g) };
    });
    results.push({
      page, viewport: vp.width, dpr: vp.dpr, images: images.out, escapedMarkup: images.escaped,
      beforeLoad,
      responses, failed: failed.filter((f) => f.url.startsWith(base)),
    });
    await tab.close();
  }
  await context.close();
}
await browser.close();
server.close();
process.stdout.write(JSON.stringify({ base, results }, null, 1));

// The job with @11ty/eleventy-img: WebP q80 effort 4 + the source format ("auto") at
// 480/960/1440 (it never upscales), concurrency 2, into OUTDIR. FORMATS (default webp,auto)
// gives the AVIF job as avif,webp,auto: AVIF at sharp's defaults (quality 50, effort 4).
// usage: node eleventy.js stills.json OUTDIR [FORMATS]
const fs = require('fs');
const path = require('path');
const Image = require(require.resolve('@11ty/eleventy-img', { paths: [path.join(__dirname, 'work')] }));

(async () => {
  const { stills } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const outputDir = process.argv[3];
  const formats = (process.argv[4] || 'webp,auto').split(',');
  Image.concurrency = 2;
  await Promise.all(stills.map((s) => Image(s.file, {
    widths: [480, 960, 1440],
    formats,
    outputDir,
    sharpWebpOptions: { quality: 80, effort: 4 },
    // Readable names (source stem and width), so benches/compare/quality.py can score them.
    filenameFormat: (id, src, width, format) => `${path.parse(src).name}-${width}.${format}`,
  })));
})().catch((e) => { console.error(e); process.exit(1); });

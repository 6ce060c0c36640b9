// Probe a folder of images with sharp: print a JSON list of the still ones (one frame) with
// their true format and upright size, and the job's widths (480/960/1440, never upscaled: a
// narrower source gets its own width as the top width). Animated images (pages > 1) are left
// out because eleventy-img keeps only their first frame.
// usage: node probe.js DIR > stills.json
const fs = require('fs');
const path = require('path');
const sharp = require(require.resolve('sharp', { paths: [path.join(__dirname, 'work')] }));
const JOB_WIDTHS = [480, 960, 1440];

function jobWidths(w) {
  const ws = JOB_WIDTHS.filter((x) => x <= w);
  if (w < Math.max(...JOB_WIDTHS)) ws.push(w);
  return [...new Set(ws)].sort((a, b) => a - b);
}

(async () => {
  const dir = process.argv[2];
  const out = [];
  const skipped = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (!fs.statSync(file).isFile() || !/\.(jpe?g|png|gif)$/i.test(name)) continue;
    let m;
    try {
      m = await sharp(file).metadata();
    } catch (e) {
      skipped.push({ name, why: String(e.message || e) });
      continue;
    }
    if ((m.pages || 1) > 1) {
      skipped.push({ name, why: `animated (${m.pages} frames)` });
      continue;
    }
    const swap = (m.orientation || 1) >= 5;
    const width = swap ? m.height : m.width;
    const height = swap ? m.width : m.height;
    out.push({ name, file: path.resolve(file), format: m.format, width, height,
               orientation: m.orientation || 1, widths: jobWidths(width) });
  }
  process.stdout.write(JSON.stringify({ stills: out, skipped }, null, 1) + '\n');
})();

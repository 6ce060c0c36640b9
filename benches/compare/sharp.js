// The job with sharp alone, 2 images at a time: each source is read once, turned upright, then
// for each of the job's widths written as WebP q80 effort 4 and in its own format (JPEG q80
// progressive, PNG at sharp's defaults, GIF), never upscaled.
// usage: node sharp.js stills.json OUTDIR
const fs = require('fs');
const path = require('path');
const sharp = require(require.resolve('sharp', { paths: [path.join(__dirname, 'work')] }));

async function one(s, outDir) {
  const base = sharp(fs.readFileSync(s.file)).rotate();
  const stem = path.join(outDir, path.parse(s.name).name);
  const jobs = [];
  for (const w of s.widths) {
    const r = () => base.clone().resize({ width: w, withoutEnlargement: true });
    jobs.push(r().webp({ quality: 80, effort: 4 }).toFile(`${stem}-${w}.webp`));
    if (s.format === 'jpeg') jobs.push(r().jpeg({ quality: 80, progressive: true }).toFile(`${stem}-${w}.jpg`));
    else if (s.format === 'png') jobs.push(r().png().toFile(`${stem}-${w}.png`));
    else jobs.push(r().gif().toFile(`${stem}-${w}.gif`));
  }
  await Promise.all(jobs);
}

(async () => {
  const { stills } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const outDir = process.argv[3];
  const queue = stills.slice();
  const worker = async () => { for (let s; (s = queue.shift()); ) await one(s, outDir); };
  await Promise.all([worker(), worker()]);
})().catch((e) => { console.error(e); process.exit(1); });

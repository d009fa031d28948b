// The sharp column of bench/images.py (issue 4): the same five renditions as ours, made with sharp.
//
//   node bench/sharp_renditions.mjs jobs.json      (or the JSON on stdin: node ... < jobs.json, or "-")
//
// Input: {"workers": 2, "background": [255, 255, 255], "position": "entropy",
//         "renditions": [{"name": "4x5", "width": 1080, "height": 1350, "maxBytes": 8388608}, ...,
//                        {"name": "keep", "maxSide": 2000, "maxBytes": 1000000}],
//         "jobs": [{"source": "/path/a.jpg", "out": "/dir"}, ...]}
// or a bare list of jobs, each with its own "renditions" (and optional "out"). Output: one JSON line on
// stdout, {"seconds": ..., "renditions": ..., ...}; seconds are from the first decode to the last write,
// without Node's start-up and sharp's import.
//
// Matching ours (postwright.media with libvips) as closely as sharp allows:
// - geometry: fit "cover" at the exact output size for the aspect renditions, cropped around the most
//   detailed region with sharp's entropy strategy (ours: an edge-energy smart crop); "inside" at 2000 px for
//   the byte-limited one; never enlarged. Lanczos-3 after JPEG shrink-on-load, like ours.
// - colour and metadata: auto-orient from EXIF, sRGB out, every piece of metadata stripped (sharp's
//   default), alpha flattened onto the brand background (white).
// - JPEG: baseline, 4:2:0 chroma, no Huffman optimisation (sharp defaults to optimised tables; ours does
//   not optimise), no mozjpeg trellis/deringing (sharp's defaults); the libjpeg in sharp's libvips is
//   mozjpeg, run with libvips's fastest profile.
// - quality: the same search as ours (media._fit_quality): 95 first, then guesses interpolated on
//   log(size) between the nearest fitting and non-fitting qualities, bisection after three guesses, down to
//   40; then 0.85× smaller per side, up to ten times. Every rendition has a byte limit, so every one goes
//   through it; the four aspect crops fit at 95 with one encode, like ours. The search re-encodes the
//   resized pixels (kept raw in memory), never re-decodes the source.
// - parallelism: `workers` sources in flight at once (ours: that many processes), each source's renditions
//   one after another, one libvips thread per pipeline (sharp.concurrency(1), ours
//   pyvips.concurrency_set(1)) and a libuv pool of `workers` threads.
// - the source is read once into memory; each rendition is one sharp pipeline on those bytes (decoding
//   again, at its own shrink-on-load scale), which is how sharp is used: one pipeline per output.

import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const QUALITY_MAX = 95;
const QUALITY_MIN = 40;
const DOWNSCALE_STEP = 0.85;
const DOWNSCALE_TRIES = 10;
const MAX_PIXELS = 105_000_000; // ours refuses larger sources before decoding

function readInput() {
  const argument = process.argv[2];
  const text = argument && argument !== "-" ? readFileSync(argument, "utf8") : readFileSync(0, "utf8");
  const input = JSON.parse(text);
  return Array.isArray(input) ? { jobs: input } : input;
}

const input = readInput();
const workers = Math.max(1, input.workers ?? 2);
// before sharp's first asynchronous call: libuv starts its pool (default 4 threads) once, on first use
process.env.UV_THREADPOOL_SIZE ??= String(workers);
const { default: sharp } = await import("sharp");
sharp.concurrency(1);

const background = input.background ?? [255, 255, 255];
const flatten = { background: { r: background[0], g: background[1], b: background[2] } };
const position = input.position === "centre" ? "centre" : sharp.strategy[input.position ?? "entropy"];

function jpeg(raw, info, quality) {
  return sharp(raw, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality, progressive: false, chromaSubsampling: "4:2:0", optimiseCoding: false })
    .toBuffer();
}

function interpolate(sizes, fits, tooBig, limit) {
  const target = Math.log(limit * 0.98);
  const high = Math.log(sizes.get(tooBig).length);
  if (fits !== null) {
    const low = Math.log(sizes.get(fits).length);
    if (high === low) return Math.floor((fits + tooBig) / 2);
    return Math.floor(fits + ((target - low) * (tooBig - fits)) / (high - low));
  }
  const tried = [...sizes.keys()].sort((a, b) => a - b);
  let slope = Math.log(2) / 12;
  if (tried.length >= 2) {
    const rise = Math.log(sizes.get(tried[1]).length) - Math.log(sizes.get(tried[0]).length);
    if (rise > 0) slope = rise / (tried[1] - tried[0]);
  }
  return Math.floor(tried[0] - (Math.log(sizes.get(tried[0]).length) - target) / slope);
}

// [bytes, quality] at the highest quality in QUALITY_MIN..QUALITY_MAX that fits `limit`, or null
async function fitQuality(raw, info, limit, counts) {
  const encode = async (quality) => {
    counts.encodes += 1;
    return jpeg(raw, info, quality);
  };
  const sizes = new Map([[QUALITY_MAX, await encode(QUALITY_MAX)]]);
  if (sizes.get(QUALITY_MAX).length <= limit) return [sizes.get(QUALITY_MAX), QUALITY_MAX];
  let fits = null;
  let tooBig = QUALITY_MAX;
  let guesses = 0;
  for (;;) {
    const floor = fits ?? QUALITY_MIN - 1;
    if (tooBig - floor <= 1) break;
    let guess = guesses < 3 ? interpolate(sizes, fits, tooBig, limit) : Math.floor((floor + tooBig) / 2);
    guess = Math.min(Math.max(guess, floor + 1), tooBig - 1);
    guesses += 1;
    sizes.set(guess, await encode(guess));
    if (sizes.get(guess).length <= limit) fits = guess;
    else tooBig = guess;
  }
  return fits === null ? null : [sizes.get(fits), fits];
}

async function rendition(data, spec, counts) {
  const resize = spec.maxSide
    ? { width: spec.maxSide, height: spec.maxSide, fit: "inside", withoutEnlargement: true }
    : { width: spec.width, height: spec.height, fit: "cover", position, withoutEnlargement: true };
  const options = { autoOrient: true, failOn: "truncated", limitInputPixels: MAX_PIXELS };
  let { data: raw, info } = await sharp(data, options)
    .resize(resize)
    .flatten(flatten)
    .raw()
    .toBuffer({ resolveWithObject: true });
  for (let step = 0; step <= DOWNSCALE_TRIES; step += 1) {
    const found = await fitQuality(raw, info, spec.maxBytes ?? Infinity, counts);
    if (found !== null) return { bytes: found[0], quality: found[1], width: info.width, height: info.height };
    const width = Math.max(1, Math.round(info.width * DOWNSCALE_STEP));
    const height = Math.max(1, Math.round(info.height * DOWNSCALE_STEP));
    const shape = { raw: { width: info.width, height: info.height, channels: info.channels } };
    ({ data: raw, info } = await sharp(raw, shape)
      .resize(width, height, { fit: "fill", kernel: "lanczos3" })
      .raw()
      .toBuffer({ resolveWithObject: true }));
  }
  return null;
}

async function run(job, counts) {
  const data = await readFile(job.source);
  const out = job.out ?? input.out;
  const stem = path.parse(job.source).name;
  for (const spec of job.renditions ?? input.renditions) {
    const made = await rendition(data, spec, counts);
    if (made === null) {
      counts.problems.push(`${job.source}: no ${spec.name} rendition fits in ${spec.maxBytes} bytes`);
      continue;
    }
    counts.renditions += 1;
    counts.bytes += made.bytes.length;
    (counts.qualities[spec.name] ??= []).push(made.quality);
    if (out) await writeFile(path.join(out, `${stem}-${spec.name}.jpg`), made.bytes);
  }
}

function peakRssMb() {
  // VmHWM, as bench/images.py reads it for ours; resourceUsage().maxRSS (KB) where /proc is absent
  try {
    const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("VmHWM:"));
    if (line) return Number(line.split(/\s+/)[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

const jobs = input.jobs ?? [];
const counts = { renditions: 0, bytes: 0, encodes: 0, qualities: {}, problems: [] };
const outs = new Set(jobs.map((job) => job.out ?? input.out).filter(Boolean));
await Promise.all([...outs].map((out) => mkdir(out, { recursive: true })));

const start = process.hrtime.bigint();
let next = 0;
async function worker() {
  while (next < jobs.length) {
    const job = jobs[next++];
    try {
      await run(job, counts);
    } catch (error) {
      counts.problems.push(`${job.source}: ${error.message}`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, worker));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;

console.log(
  JSON.stringify({
    seconds,
    sources: jobs.length,
    ...counts,
    workers,
    position: input.position ?? "entropy",
    peakRssMb: peakRssMb(),
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
  }),
);

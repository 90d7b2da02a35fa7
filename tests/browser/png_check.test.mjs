// The page's PNG data check (web/src/images.js: pngDataProblem), run in Node: every PNG that
// PIL writes or reads (each colour type and bit depth, odd sizes, Adam7 interlacing) passes,
// and damaged compressed data is caught. Firefox needs this check (see web/README.md), and a
// wrong size rule would refuse good pictures in every browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { pngDataProblem, pngRawBytes } from "../../web/src/images.js";
import { encodePng, testPicture, WEB } from "./helpers.mjs";

const PYTHON = "/usr/bin/python3";
const noPil = !existsSync(PYTHON) && `no ${PYTHON}`;

// Writes a PNG with PIL for each mode and size below; returns {file name: bytes}.
function pilPngs() {
  const dir = mkdtempSync(join(tmpdir(), "camscope-png-"));
  try {
    const script = `
import sys, numpy as np
from PIL import Image
out = sys.argv[1]
rng = np.random.default_rng(0)
for w, h in [(1, 1), (7, 5), (37, 23), (64, 48)]:
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    base = Image.fromarray(rgba, "RGBA")
    for mode in ["RGB", "RGBA", "L", "LA", "1", "P"]:
        base.convert(mode).save(f"{out}/{mode}_{w}x{h}.png")
    base.convert("P").save(f"{out}/P4_{w}x{h}.png", bits=4)
    Image.fromarray((rng.integers(0, 65536, (h, w))).astype(np.uint16)).save(f"{out}/I16_{w}x{h}.png")
`;
    execFileSync(PYTHON, ["-c", script, dir], { stdio: "pipe" });
    return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// An 8-bit RGB PNG with Adam7 interlacing (PIL does not write them; it reads them below).
function interlacedPng(width, height, rgb) {
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  const raw = [];
  for (const [x0, y0, dx, dy] of passes) {
    if (x0 >= width || y0 >= height) continue;
    for (let y = y0; y < height; y += dy) {
      raw.push(0);
      for (let x = x0; x < width; x += dx) raw.push(...rgb.subarray(3 * (y * width + x), 3 * (y * width + x) + 3));
    }
  }
  const png = encodePng(width, height, rgb, { idat: deflateSync(Buffer.from(raw)) });
  png[28] = 1; // IHDR's interlace byte, and the IHDR CRC (over its type and data) to match
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return { png, raw: raw.length };
}

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test("every PNG PIL writes passes the check", { skip: noPil }, async () => {
  const files = pilPngs();
  assert.ok(Object.keys(files).length >= 32);
  for (const [name, bytes] of Object.entries(files)) assert.equal(await pngDataProblem(new Uint8Array(bytes)), "", name);
  for (const sample of ["both.png"]) assert.equal(await pngDataProblem(new Uint8Array(readFileSync(join(WEB, "samples", sample)))), "", sample);
});

test("interlaced PNGs pass (their size rule is Adam7's), as PIL reads them", { skip: noPil }, async () => {
  for (const [w, h] of [[1, 1], [3, 2], [9, 9], [37, 23], [301, 203]]) {
    const rgb = testPicture(w, h);
    const { png, raw } = interlacedPng(w, h, rgb);
    assert.equal(pngRawBytes(w, h, 8, 2, true), raw, `${w}x${h}: Adam7 size`);
    assert.equal(await pngDataProblem(new Uint8Array(png)), "", `${w}x${h}`);
    // The file really is a valid interlaced PNG of these pixels: PIL decodes it so.
    const dir = mkdtempSync(join(tmpdir(), "camscope-png-"));
    try {
      writeFileSync(join(dir, "i.png"), png);
      writeFileSync(join(dir, "rgb"), rgb);
      const check = `
import sys
from PIL import Image
im = Image.open(sys.argv[1])
assert im.info.get("interlace") == 1
sys.stdout.write(str(im.convert("RGB").tobytes() == open(sys.argv[2], "rb").read()))`;
      const same = execFileSync(PYTHON, ["-c", check, join(dir, "i.png"), join(dir, "rgb")], { stdio: "pipe" }).toString();
      assert.equal(same, "True", `${w}x${h}: PIL reads the same pixels`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("damaged pixel data is caught: not zlib, cut short, too little, no data, bad header", async () => {
  const rgb = testPicture(40, 30);
  const good = encodePng(40, 30, rgb);
  assert.equal(await pngDataProblem(new Uint8Array(good)), "");
  const rows = Buffer.alloc((40 * 3 + 1) * 30);
  const z = deflateSync(rows);
  const cases = [
    ["not zlib", encodePng(40, 30, rgb, { idat: Buffer.from("not zlib data at all") }), /invalid/],
    ["stream cut in half", encodePng(40, 30, rgb, { idat: z.subarray(0, z.length >> 1) }), /invalid|incomplete/],
    ["one row short", encodePng(40, 30, rgb, { idat: deflateSync(rows.subarray(0, rows.length - 121)) }), /incomplete/],
    ["no IDAT", encodePng(40, 30, rgb, { idat: Buffer.alloc(0) }), /invalid|incomplete/],
    ["header only", good.subarray(0, 20), /cut short/],
  ];
  const badDepth = Buffer.from(good);
  badDepth[24] = 3; // bit depth 3 does not exist
  cases.push(["bit depth 3", badDepth, /header is invalid/]);
  for (const [what, bytes, expected] of cases) assert.match(await pngDataProblem(new Uint8Array(bytes)), expected, what);
});

test("random damage never throws and never passes a file whose data is gone", async () => {
  const good = encodePng(64, 48, testPicture(64, 48));
  let seed = 7;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  for (let k = 0; k < 300; k++) {
    const b = new Uint8Array(good);
    for (let j = 1 + rand(8); j > 0; j--) b[rand(b.length)] = rand(256);
    const problem = await pngDataProblem(b.subarray(0, b.length - rand(3) * rand(b.length)));
    assert.equal(typeof problem, "string");
  }
  assert.notEqual(await pngDataProblem(new Uint8Array(good.subarray(0, 60))), "");
});

// Fuzzes the page's picture-header reader (web/src/images.js) with random and mutated
// headers: it must never throw, and must answer null or a format with finite sizes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sniffPicture, looksTruncated } from "../../web/src/images.js";

const root = join(fileURLToPath(import.meta.url), "..", "..", "..");
const seeds = ["both.png", "cat.jpg", "dog.jpg"].map((f) => readFileSync(join(root, "web", "samples", f)));

// A small deterministic generator (xorshift32).
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

test("sniffPicture reads the sample headers", () => {
  assert.deepEqual(sniffPicture(seeds[0]), { format: "PNG", width: 224, height: 224 });
  const cat = sniffPicture(seeds[1]);
  assert.equal(cat.format, "JPEG");
  assert.ok(cat.width > 0 && cat.height > 0);
  assert.equal(looksTruncated("JPEG", seeds[1].subarray(-64)), false);
  assert.equal(looksTruncated("JPEG", seeds[1].subarray(0, 2000).subarray(-64)), true);
});

test("sniffPicture never throws on random or mutated headers", () => {
  const r = rng(7);
  let recognised = 0;
  for (let iter = 0; iter < 20000; iter++) {
    let b;
    if (iter % 4 === 0) {
      b = new Uint8Array(Math.floor(r() * 64)).map(() => Math.floor(r() * 256));
    } else {
      const s = seeds[iter % 3];
      b = Uint8Array.from(s.subarray(0, Math.floor(r() * Math.min(s.length, 4096))));
      for (let e = 0; e < 1 + Math.floor(r() * 8); e++) if (b.length) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    }
    const got = sniffPicture(b);
    if (got === null) continue;
    recognised++;
    assert.equal(typeof got.format, "string");
    assert.ok(Number.isInteger(got.width) && got.width >= 0, `width ${got.width}`);
    assert.ok(Number.isInteger(got.height) && got.height >= 0, `height ${got.height}`);
    assert.equal(typeof looksTruncated(got.format, b.subarray(-64)), "boolean");
  }
  assert.ok(recognised > 1000, `only ${recognised} headers recognised`);
});

// One drawing path (issue 12): the page's drawing (web/src/draw.js) against the core's bound
// functions (wasm/maps.cpp, wasm/colormap.cpp through Embind: upsample, overlay, colormapLut,
// Session.featureGrid), pixel for pixel, on the same maps: random ones (sizes from 1x1 to
// 13x13, exact zeros, all-zero, constant, tiny and large values) and the shipped model's real
// maps and activations for photos decoded by the CLI. Every colour map and normalisation (per
// map, shared by the classes, raw with an automatic top, a top below the max (clamped) and
// above it), several output sizes (identity, 224², odd sizes) and opacities (0, 0.35, 0.5, 1).
// Exact equality throughout: draw.js computes in the core's float32 arithmetic.
// The one step done here rather than by a bound function is the normalisation's division
// (divide_map, v / top in float32: one IEEE operation, Math.fround(v / top) in JS), because
// the core binds no normalisation (the page and the core's overlay take maps already in [0, 1]).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WEB, CLI, SHIPPED_WEIGHTS, existsSync, readNpy, pageCore } from "./helpers.mjs";

const CMAPS = ["viridis", "gray", "turbo", "jet"];
const ALPHAS = [0, 0.35, 0.5, 1];
const f32 = Math.fround;

let core;
let draw;
let session;
let info;
before(async () => {
  core = await pageCore();
  session = new core.Session();
  assert.equal(session.loadWeights(readFileSync(SHIPPED_WEIGHTS)), "");
  info = JSON.parse(session.info());
  // draw.js has no imports and touches the DOM only inside its canvas functions.
  draw = await import(`data:text/javascript;base64,${readFileSync(join(WEB, "src", "draw.js")).toString("base64")}`);
});

// A deterministic generator (tests must not depend on Math.random's seed).
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

// Random maps per class (Float32Array, h x w) with the values a map can have.
function randomMaps(kind, h, w, classes, rand) {
  return Array.from({ length: classes }, (_, c) => {
    const m = new Float32Array(h * w);
    for (let i = 0; i < m.length; i++) {
      const u = rand();
      if (kind === "relu") m[i] = Math.max(0, u - 0.4) * (c + 1) * 3.7; // exact zeros, as after ReLU
      else if (kind === "tiny") m[i] = u * 1e-7;
      else if (kind === "large") m[i] = u * 8e5;
      else if (kind === "constant") m[i] = 0.25;
      else if (kind === "zero") m[i] = 0;
      else m[i] = u;
    }
    return m;
  });
}

// The tops each normalisation divides by (draw.js's mapScale: what the page uses).
function tops(classMaps, cls) {
  const max = Math.max(...classMaps.map(draw.maxOf));
  return [
    ["map", draw.mapScale("map", classMaps, cls)],
    ["shared", draw.mapScale("shared", classMaps, cls)],
    ["raw auto", draw.mapScale("raw", classMaps, cls, 0)],
    ["raw below max", draw.mapScale("raw", classMaps, cls, max * 0.37)],
    ["raw above max", draw.mapScale("raw", classMaps, cls, max * 2.5 + 0.1)],
  ];
}

function firstDifference(a, b) {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `at ${i}: ${a[i]} and ${b[i]}`;
  return null;
}

const counts = { maps: 0, upsampled: 0, coloured: 0, blended: 0, grid: 0 };

// Draws one class's map both ways at oh x ow for every normalisation, colour map and opacity.
function compareMaps(what, classMaps, h, w, oh, ow, rand) {
  const picture = new Uint8Array(oh * ow * 4);
  for (let i = 0; i < picture.length; i++) picture[i] = i % 4 === 3 ? 255 : Math.floor(rand() * 256);
  classMaps.forEach((raw, cls) => {
    counts.maps++;
    const jsUp = draw.upsample(raw, h, w, oh, ow);
    const coreUp = core.upsample(raw, h, w, oh, ow);
    const d = firstDifference(jsUp, coreUp);
    assert.equal(d, null, `${what} class ${cls} ${h}x${w} -> ${oh}x${ow}: upsampled maps differ ${d}`);
    counts.upsampled += jsUp.length;
    for (const [norm, top] of tops(classMaps, cls)) {
      // the core's divide_map: v / top in float32, all zero when top is not positive
      const t = f32(top);
      const map01 = t > 0 && Number.isFinite(t) ? coreUp.map((v) => f32(v / t)) : new Float32Array(coreUp.length);
      for (const cmap of CMAPS) {
        const lut = core.colormapLut(cmap);
        const colours = draw.heatPixels(jsUp, top, lut);
        const coreColours = core.overlay(picture, ow, oh, map01, cmap, 1);
        const dc = firstDifference(colours, coreColours);
        assert.equal(dc, null, `${what} class ${cls} ${norm} ${cmap} ${oh}x${ow}: colours differ ${dc}`);
        counts.coloured += colours.length / 4;
        // The blend does not depend on the normalisation: every opacity once per colour map.
        if (norm !== "map") continue;
        for (const alpha of ALPHAS) {
          const blended = draw.blendPixels(picture, colours, alpha);
          const coreBlended = core.overlay(picture, ow, oh, map01, cmap, alpha);
          const db = firstDifference(blended, coreBlended);
          assert.equal(db, null, `${what} class ${cls} ${norm} ${cmap} alpha ${alpha}: overlays differ ${db}`);
          counts.blended += blended.length / 4;
        }
      }
    }
  });
}

test("random maps: upsampling, colours and overlays equal the core's, every colour map and normalisation", () => {
  const rand = rng(12);
  const sizes = [[1, 1], [2, 3], [6, 6], [13, 13], [7, 5]];
  const outs = [[24, 24], [13, 13], [1, 1], [37, 29]];
  for (const kind of ["uniform", "relu", "tiny", "large", "constant", "zero"])
    for (const [h, w] of sizes) {
      const maps = randomMaps(kind, h, w, 2, rand);
      for (const [oh, ow] of outs) compareMaps(`${kind}`, maps, h, w, oh, ow, rand);
    }
  // and a picture-sized one (an odd ratio each way)
  compareMaps("relu", randomMaps("relu", 13, 13, 2, rand), 13, 13, 399, 500, rand);
});

test("the shipped model's maps of real photos: equal to the core's", { skip: !existsSync(CLI) && `the CLI is not built (${CLI})` }, (t) => {
  const out = mkdtempSync(join(tmpdir(), "camscope-draw-"));
  const rand = rng(7);
  try {
    for (const name of ["both.png", "cat.jpg"]) {
      const npy = join(out, `${name}.npy`);
      execFileSync(CLI, ["decode", join(WEB, "samples", name), npy]);
      const { shape, data } = readNpy(npy); // H x W x 3 as PIL decodes it
      const [ph, pw] = shape;
      const rgba = new Uint8Array(ph * pw * 4);
      for (let i = 0; i < ph * pw; i++) {
        rgba.set(data.subarray(3 * i, 3 * i + 3), 4 * i);
        rgba[4 * i + 3] = 255;
      }
      assert.equal(session.setPicture(rgba, pw, ph), "");
      for (const layer of ["features.14", "avgpool"]) {
        const i = info.layers.findIndex((l) => l.name === layer);
        const [, h, w] = info.layers[i].shape;
        for (const method of ["gradcam", "layercam"]) {
          const maps = info.classes.map((_, c) => session.cam(method, i, c));
          compareMaps(`${name} ${layer} ${method}`, maps, h, w, ...draw.fitSize(pw, ph, 160).reverse(), rand);
        }
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  t.diagnostic(`${counts.maps} maps: ${counts.upsampled} upsampled values, ${counts.coloured} coloured and ${counts.blended} blended pixels, all equal to the core's`);
});

test("feature grids: every tile equals the core's featureGrid, per channel and shared, every colour map", () => {
  const rand = rng(3);
  const rgba = new Uint8Array(160 * 120 * 4).map((_, i) => (i % 4 === 3 ? 255 : Math.floor(rand() * 256)));
  assert.equal(session.setPicture(rgba, 160, 120), "");
  for (const layer of ["features.14", "features.4"]) {
    const i = info.layers.findIndex((l) => l.name === layer);
    const shape = info.layers[i].shape;
    const [c, h, w] = shape;
    const data = session.activation(i);
    const order = Array.from({ length: c }, (_, k) => k);
    for (const shared of [false, true])
      for (const cmap of CMAPS)
        for (const scale of [1, 2]) {
          const cols = 16;
          const gap = 1;
          const lut = core.colormapLut(cmap);
          const js = draw.featureGridPixels(data, shape, order, { cols, scale, shared, lut, gap });
          const ref = session.featureGrid(i, cols, scale, gap, shared, cmap);
          const tw = w * scale;
          const th = h * scale;
          for (let k = 0; k < c; k++) {
            const jx = gap + (k % cols) * (tw + gap);
            const jy = gap + Math.floor(k / cols) * (th + gap);
            const cx = (k % cols) * (tw + gap);
            const cy = Math.floor(k / cols) * (th + gap);
            for (let y = 0; y < th; y++)
              for (let x = 0; x < tw; x++) {
                const a = 4 * ((jy + y) * js.width + jx + x);
                const b = 4 * ((cy + y) * ref.width + cx + x);
                for (let q = 0; q < 4; q++)
                  if (js.px[a + q] !== ref.pixels[b + q])
                    assert.fail(`${layer} ${cmap} shared=${shared} scale ${scale} channel ${k} (${x}, ${y}): ${js.px.slice(a, a + 4)} vs ${ref.pixels.slice(b, b + 4)}`);
              }
            counts.grid += tw * th;
          }
        }
  }
  assert.ok(counts.grid > 0);
});

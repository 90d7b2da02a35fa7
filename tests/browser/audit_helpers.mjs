// Shared pieces of the audit tests (issue 13: the page as a keyboard user, a presenter, a
// report writer and a first-time visitor use it): axe-core injected from npm, colour maths
// (WCAG contrast, a deuteranopia simulation, CIE L*), a saved PNG's pixels, layout facts.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { idle } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// Runs axe-core (every rule it runs by default, best practices included) on the page as it
// is; returns the violations as short lines ("rule: target — summary").
export async function axeViolations(page) {
  // page.evaluate is not bound by the page's Content-Security-Policy (a <script> tag would be).
  await page.evaluate(`if (!window.axe) { ${AXE_SOURCE} }`);
  // A view fades in when shown (style.css .view, 0.15 s): its colours are measured once the
  // fade has ended, not halfway (the muted text then reads as too pale; seen when the page was
  // idle within the fade).
  await page.evaluate(() => {
    const ending = document.getAnimations().filter((a) => a.effect && Number.isFinite(a.effect.getComputedTiming().endTime)); // not the busy spinner
    return Promise.all(ending.map((a) => a.finished.catch(() => {})));
  });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => `${n.target.join(" ")} — ${(n.failureSummary || "").split("\n").slice(1, 2).join(" ").trim()}`) }));
  });
  return found.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n}`));
}

// Presses a key and waits until the page has drawn.
export async function press(page, key) {
  await page.keyboard.press(key);
  await idle(page);
}

// What has the focus: tag, id, data-focus/data-picture/data-view and text.
export async function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return { tag: "BODY" };
    return { tag: a.tagName, id: a.id, focus: a.dataset.focus || "", picture: a.dataset.picture || "", view: a.dataset.view || "", text: (a.textContent || "").trim().slice(0, 40) };
  });
}

// ---- colours

// "rgb(1, 2, 3)" / "rgba(...)" / "#rrggbb" -> [r, g, b, a]
export function parseColour(s) {
  s = String(s).trim();
  if (s.startsWith("#")) return [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16)).concat(1);
  const m = s.match(/rgba?\(([^)]*)\)/);
  if (!m) throw new Error(`not a colour: ${s}`);
  const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}

function linear(c) {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

export function luminance([r, g, b]) {
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

// WCAG contrast ratio of two opaque colours.
export function contrast(a, b) {
  const [x, y] = [luminance(parseColour(a)), luminance(parseColour(b))].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// How a colour looks to someone with deuteranopia (Machado, Oliveira & Fernandes 2009,
// severity 1, applied to linear RGB); returns sRGB 0..255.
export function deuteranopia([r, g, b]) {
  const M = [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ];
  const lin = [linear(r), linear(g), linear(b)];
  return M.map((row) => {
    const v = Math.max(0, Math.min(1, row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]));
    return 255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
  });
}

// CIE L* (lightness, 0..100) of an sRGB colour.
export function lightness(rgb) {
  const y = luminance(rgb);
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y;
}

// ---- saved pictures

// Decodes PNG bytes in the page; returns {width, height, at(x, y) -> [r, g, b, a]} for the
// points asked (pixels are read in the page, only those come back).
export async function pngPixels(page, bytes, points) {
  return page.evaluate(
    async ([b64, pts]) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const bitmap = await createImageBitmap(new Blob([data], { type: "image/png" }));
      const c = document.createElement("canvas");
      c.width = bitmap.width;
      c.height = bitmap.height;
      const ctx = c.getContext("2d");
      ctx.drawImage(bitmap, 0, 0);
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      return { width: c.width, height: c.height, points: pts.map(([x, y]) => Array.from(px.subarray(4 * (y * c.width + x), 4 * (y * c.width + x) + 4))) };
    },
    [Buffer.from(bytes).toString("base64"), points], // base64: a long array would crawl through the protocol
  );
}

// Whether two rectangles {x, y, w, h} overlap (by more than `slack` pixels each way).
export function overlaps(a, b, slack = 0.5) {
  return a.x + a.w > b.x + slack && b.x + b.w > a.x + slack && a.y + a.h > b.y + slack && b.y + b.h > a.y + slack;
}

// The Explain view's map canvases: their CSS width, the layout chosen, whether the page
// scrolls (document taller or wider than the window), the picture's drawn width.
export async function explainLayout(page) {
  return page.evaluate(() => {
    const maps = [...document.querySelectorAll("#view-explain canvas[data-method]")].map((c) => c.getBoundingClientRect());
    const heads = [...document.querySelectorAll("#view-explain .col-head, #view-explain .group-head, #view-explain .row-head")].map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height, text: e.textContent };
    });
    const explain = document.querySelector("#view-explain .explain");
    return {
      widths: maps.map((r) => Math.round(r.width)),
      lowest: Math.max(...maps.map((r) => r.bottom)),
      heads,
      layout: document.querySelector("#view-explain .maps").dataset.layout,
      picturePlace: explain.dataset.picture,
      tried: explain.dataset.tried,
      scrollY: document.documentElement.scrollHeight - window.innerHeight,
      scrollX: document.documentElement.scrollWidth - window.innerWidth,
      legendFont: Number(document.querySelector("#view-explain canvas.colourbar").dataset.font),
    };
  });
}

// The page scrolls neither way.
export async function pageScroll(page) {
  return page.evaluate(() => ({ y: document.documentElement.scrollHeight - window.innerHeight, x: document.documentElement.scrollWidth - window.innerWidth }));
}

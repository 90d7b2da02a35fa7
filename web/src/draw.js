// All canvas drawing: upsampling raw maps, colouring them with the core's colour tables,
// overlays, colour bars, the feature-map grid, the channel-weight bar chart and PNG export.
// Nothing here talks to the worker or reads the page state.

export const BAR_POSITIVE = "#d55e00";
export const BAR_NEGATIVE = "#0072b2";
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

export function makeCanvas(width, height) {
  const c = document.createElement("canvas");
  c.width = Math.max(1, Math.round(width));
  c.height = Math.max(1, Math.round(height));
  return c;
}

// The page draws maps by the core's own rules (wasm/maps.cpp, wasm/colormap.cpp), in the
// core's float32 arithmetic: Math.fround after every operation reproduces an IEEE float32
// operation exactly (double has more than 2 x 24 + 2 bits, so the double rounding is
// harmless), and the core is built with -ffp-contract=off (no fused multiply-adds). So the
// page's upsampled maps, colours, overlays and feature grids equal the core's bit for bit
// (tests/browser/draw_core.test.mjs compares them for every colour map and normalisation).
const f32 = Math.fround;

// Source taps for resizing an axis of n values to `out` (the core's linear_taps): PyTorch's
// align_corners=False rule, the ratio a float, the source position in double, weights floats.
function linearTaps(n, out) {
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const l0 = new Float32Array(out);
  const l1 = new Float32Array(out);
  if (n === out) {
    for (let i = 0; i < out; i++) {
      i0[i] = i1[i] = i;
      l0[i] = 1;
    }
    return { i0, i1, l0, l1 };
  }
  const ratio = f32(n / out);
  for (let i = 0; i < out; i++) {
    const src = Math.max(0, ratio * (i + 0.5) - 0.5);
    const a = Math.min(Math.trunc(src), n - 1);
    i0[i] = a;
    i1[i] = Math.min(a + 1, n - 1);
    l1[i] = src - a; // stored as float32, as the core's cast
    l0[i] = 1 - l1[i];
  }
  return { i0, i1, l0, l1 };
}

// Bilinear resize of an h x w map to oh x ow, the rule of PyTorch's
// F.interpolate(mode="bilinear", align_corners=False): the core's upsample_bilinear, in float32.
// The core's sums along x (t0, t1) depend only on the source row and x: each source row the
// output uses is resized along x once, then the rows are mixed along y (same values, a
// quarter of the work per output pixel).
export function upsample(src, h, w, oh, ow) {
  const out = new Float32Array(oh * ow);
  const tx = linearTaps(w, ow);
  const ty = linearTaps(h, oh);
  const used = new Uint8Array(h);
  for (let y = 0; y < oh; y++) used[ty.i0[y]] = used[ty.i1[y]] = 1;
  const alongX = new Float32Array(h * ow); // source row r resized along x (rounded by the store)
  for (let r = 0; r < h; r++) {
    if (!used[r]) continue;
    const s = r * w;
    const o = r * ow;
    for (let x = 0; x < ow; x++) alongX[o + x] = f32(src[s + tx.i0[x]] * tx.l0[x]) + f32(src[s + tx.i1[x]] * tx.l1[x]);
  }
  for (let y = 0; y < oh; y++) {
    const r0 = ty.i0[y] * ow;
    const r1 = ty.i1[y] * ow;
    const a0 = ty.l0[y];
    const a1 = ty.l1[y];
    const o = y * ow;
    for (let x = 0; x < ow; x++) out[o + x] = f32(alongX[r0 + x] * a0) + f32(alongX[r1 + x] * a1); // rounded to float32 by the store
  }
  return out;
}

// The colour table's entry for t (the core's lut_index): t clamped to [0, 1], NaN -> 0, the
// nearest of 256 entries as the core rounds it (t * 255 + 0.5 truncated, in float32).
export function lutIndex(t) {
  if (!(t > 0)) return 0;
  if (t >= 1) return 255;
  return Math.trunc(f32(f32(f32(t) * 255) + 0.5));
}

export function maxOf(values) {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

export function minMax(values, start = 0, end = values.length) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

// An RGB colour of the table for t in [0, 1].
export function lutColour(lut, t) {
  const i = lutIndex(t);
  return `rgb(${lut[3 * i]}, ${lut[3 * i + 1]}, ${lut[3 * i + 2]})`;
}

const lutWordTables = new WeakMap(); // colour table -> its 256 colours as RGBA words

// The colour table's entries as 32-bit words holding R, G, B, 255 in memory order (written
// through bytes: the same in either byte order), so that a pixel is one store.
function lutWords(lut) {
  let words = lutWordTables.get(lut);
  if (words) return words;
  words = new Uint32Array(256);
  const bytes = new Uint8Array(words.buffer);
  for (let i = 0; i < 256; i++) {
    bytes[4 * i] = lut[3 * i];
    bytes[4 * i + 1] = lut[3 * i + 1];
    bytes[4 * i + 2] = lut[3 * i + 2];
    bytes[4 * i + 3] = 255;
  }
  lutWordTables.set(lut, words);
  return words;
}

// Values -> RGBA colours: each value divided by `scale` (the core's divide_map: in float32;
// a scale that is not a positive finite number gives the table's first colour everywhere),
// then its colour table entry (lutIndex).
export function heatPixels(values, scale, lut) {
  const px = new Uint8ClampedArray(values.length * 4);
  const out = new Uint32Array(px.buffer);
  const words = lutWords(lut);
  const s = f32(scale);
  if (!(s > 0 && Number.isFinite(s))) {
    out.fill(words[0]);
    return px;
  }
  for (let i = 0; i < values.length; i++) out[i] = words[lutIndex(f32(values[i] / s))];
  return px;
}

// Values -> an opaque coloured image {width: ow, height: oh, pixels} (heatPixels), as
// drawOverlay takes it.
export function heatImage(values, ow, oh, scale, lut) {
  return { width: ow, height: oh, pixels: heatPixels(values, scale, lut) };
}

// Values -> an opaque coloured canvas (ow x oh): heatPixels; the canvas keeps them as
// `pixels` for drawOverlay's blend.
export function heatCanvas(values, ow, oh, scale, lut) {
  const image = heatImage(values, ow, oh, scale, lut);
  const c = imageCanvas(image);
  c.pixels = image.pixels;
  return c;
}

const blendTables = new Map(); // alpha -> Uint8Array(65536): the blend of every (picture, colour) pair

// The core's blend_overlay rule for one alpha as a table of every byte pair (p << 8 | c):
// (1 - alpha) p + alpha c in float32, rounded to a byte (+ 0.5, truncated); alpha clamped to
// [0, 1], NaN -> 0. A table makes the blend a lookup per channel (opacity changes are quick).
function blendTable(alpha) {
  const a = alpha > 0 ? Math.min(f32(alpha), 1) : 0;
  let table = blendTables.get(a);
  if (table) return table;
  const b = f32(1 - a);
  table = new Uint8Array(65536);
  for (let p = 0; p < 256; p++) {
    const bp = f32(b * p);
    for (let c = 0; c < 256; c++) {
      const v = f32(bp + f32(a * c));
      table[(p << 8) | c] = Math.trunc(f32(Math.min(Math.max(v, 0), 255) + 0.5));
    }
  }
  blendTables.set(a, table);
  if (blendTables.size > 8) blendTables.delete(blendTables.keys().next().value);
  return table;
}

// The core's blend_overlay on RGBA pixels: out = (1 - alpha) picture + alpha colour per
// channel (blendTable's rule); out's alpha 255. `out` may be `picture`.
export function blendPixels(picture, colours, alpha, out = new Uint8ClampedArray(picture.length)) {
  const table = blendTable(alpha);
  for (let i = 0; i < picture.length; i += 4) {
    out[i] = table[(picture[i] << 8) | colours[i]];
    out[i + 1] = table[(picture[i + 1] << 8) | colours[i + 1]];
    out[i + 2] = table[(picture[i + 2] << 8) | colours[i + 2]];
    out[i + 3] = 255;
  }
  return out;
}

const scaledPictures = new WeakMap(); // picture canvas -> Map("w x h" -> its pixels at that size)

// A picture's pixels drawn at w x h (smoothed, as drawImage draws it), kept per picture and
// size unless `fresh` (a canvas whose content changes, such as the camera's).
function pictureAt(picture, w, h, fresh) {
  let sizes = fresh ? null : scaledPictures.get(picture);
  const key = `${w}x${h}`;
  if (sizes && sizes.has(key)) return sizes.get(key);
  const c = makeCanvas(w, h);
  const ctx = c.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(picture, 0, 0, w, h);
  const px = ctx.getImageData(0, 0, w, h).data;
  if (!fresh) {
    if (!sizes) scaledPictures.set(picture, (sizes = new Map()));
    sizes.set(key, px);
    if (sizes.size > 3) sizes.delete(sizes.keys().next().value);
  }
  return px;
}

// A canvas holding an image {width, height, pixels} (RGBA bytes).
function imageCanvas({ width, height, pixels }) {
  const c = makeCanvas(width, height);
  c.getContext("2d").putImageData(new ImageData(pixels, width, height), 0, 0);
  return c;
}

// picture, then the heatmap over it at `alpha`: out = (1 - alpha) picture + alpha colour, by
// the core's rule (blendPixels) when the heatmap is at the canvas' size, else by the canvas.
// `heat`: a canvas from heatCanvas or an image from heatImage.
// `fresh`: the picture canvas' content changes between calls (its pixels are not kept).
export function drawOverlay(canvas, picture, heat, alpha, { fresh = false } = {}) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  if (heat && heat.pixels && heat.width === w && heat.height === h) {
    const img = new ImageData(w, h);
    blendPixels(pictureAt(picture, w, h, fresh), heat.pixels, alpha, img.data);
    ctx.putImageData(img, 0, 0);
    return;
  }
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(picture, 0, 0, w, h);
  if (heat) {
    ctx.globalAlpha = alpha;
    ctx.drawImage(heat.getContext ? heat : imageCanvas(heat), 0, 0, w, h);
  }
  ctx.restore();
}

// The picture, dimmed, with a short note in the middle (e.g. an all-zero map).
export function drawNote(canvas, picture, lines) {
  const ctx = canvas.getContext("2d");
  ctx.save();
  if (picture) ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "rgba(20, 24, 32, 0.72)";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const size = Math.max(12, Math.round(canvas.width / 18));
  ctx.fillStyle = "#fff";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  lines.forEach((line, i) => {
    ctx.font = `${i === 0 ? 600 : 400} ${i === 0 ? size : Math.round(size * 0.8)}px ${FONT}`;
    ctx.fillText(line, canvas.width / 2, canvas.height / 2 + (i - (lines.length - 1) / 2) * size * 1.4);
  });
  ctx.restore();
}

// A number short enough for a label.
export function fmt(v, digits = 3) {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000 || a < 0.001) return v.toExponential(digits - 1);
  return v.toPrecision(digits).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

// A horizontal colour scale drawn at the size the canvas has on screen (or its own size when
// not on screen): the gradient, then `low` under its left end and `high` under its right end,
// `label` before the gradient. `font`: text size in CSS pixels (the page's type size).
export function drawLegend(canvas, lut, { low = "0", high = "", label = "", font = 13, ink = "#1d2330" } = {}) {
  const ratio = window.devicePixelRatio || 1;
  const box = canvas.getBoundingClientRect();
  if (box.width > 0 && box.height > 0) {
    canvas.width = Math.round(box.width * ratio);
    canvas.height = Math.round(box.height * ratio);
  }
  const k = box.width > 0 ? ratio : 1;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(k, 0, 0, k, 0, 0);
  const w = canvas.width / k;
  const h = canvas.height / k;
  ctx.clearRect(0, 0, w, h);
  ctx.font = `${font}px ${FONT}`;
  ctx.fillStyle = ink;
  ctx.textBaseline = "middle";
  const barH = Math.max(8, Math.round(h - font * 1.35));
  const labelW = label ? ctx.measureText(label).width + font * 0.6 : 0;
  if (label) ctx.fillText(label, 0, barH / 2);
  const x0 = Math.round(labelW);
  const barW = Math.max(20, w - x0 - 1);
  for (let x = 0; x < barW; x++) {
    ctx.fillStyle = lutColour(lut, x / (barW - 1));
    ctx.fillRect(x0 + x, 0, 1, barH);
  }
  ctx.strokeStyle = "#6b7384";
  ctx.lineWidth = 1;
  ctx.strokeRect(x0 + 0.5, 0.5, barW - 1, barH - 1);
  ctx.fillStyle = ink;
  ctx.textBaseline = "top";
  ctx.fillText(low, x0, barH + 2);
  const lowW = ctx.measureText(low).width + font;
  const shown = ellipsize(ctx, high, barW - lowW);
  ctx.fillText(shown, x0 + barW - ctx.measureText(shown).width, barH + 2);
}

// The pixels of a feature grid: every channel of a C x H x W activation as tiles, in `order`
// (channel indices), `cols` per row, each tile enlarged by an integer `scale` (nearest),
// `gap` px around and between tiles (dark grey, 32); per-channel min-max colouring, or one
// range over all channels when `shared` — the core's feature_grid rule, in float32:
// t = (v - lo) / (hi - lo), its colour table entry (lutIndex), 0 when hi == lo.
export function featureGridPixels(data, shape, order, { cols, scale, shared, lut, gap }) {
  const [c, h, w] = shape;
  const rows = Math.ceil(order.length / cols);
  const width = cols * (w * scale + gap) + gap;
  const height = rows * (h * scale + gap) + gap;
  const px = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < px.length; i += 4) {
    px[i] = px[i + 1] = px[i + 2] = 32;
    px[i + 3] = 255;
  }
  const plane = h * w;
  const [glo, ghi] = shared ? minMax(data, 0, c * plane) : [0, 0];
  order.forEach((ch, n) => {
    const base = ch * plane;
    const [lo, hi] = shared ? [glo, ghi] : minMax(data, base, base + plane);
    const range = f32(hi - lo);
    const ox = gap + (n % cols) * (w * scale + gap);
    const oy = gap + Math.floor(n / cols) * (h * scale + gap);
    for (let y = 0; y < h * scale; y++) {
      const row = base + Math.floor(y / scale) * w;
      let o = 4 * ((oy + y) * width + ox);
      for (let x = 0; x < w * scale; x++, o += 4) {
        const t = range > 0 ? lutIndex(f32(f32(data[row + Math.floor(x / scale)] - lo) / range)) : 0;
        px[o] = lut[3 * t];
        px[o + 1] = lut[3 * t + 1];
        px[o + 2] = lut[3 * t + 2];
      }
    }
  });
  return { width, height, px };
}

// The feature grid (featureGridPixels) on `canvas`, 1-px gaps (more for exports); `numbers`:
// write each tile's channel number in its corner (for exports; needs tiles of about 24 px or
// more); `selected`: that channel outlined. Returns the layout for hit tests.
export function drawFeatureGrid(canvas, data, shape, order, { cols, scale, shared, lut, selected = -1, numbers = false }) {
  const [, h, w] = shape;
  const gap = numbers ? Math.max(2, Math.round(scale / 2)) : Math.max(1, Math.round(scale / 2));
  const rows = Math.ceil(order.length / cols);
  const grid = featureGridPixels(data, shape, order, { cols, scale, shared, lut, gap });
  canvas.width = grid.width;
  canvas.height = grid.height;
  const ctx = canvas.getContext("2d");
  ctx.putImageData(new ImageData(grid.px, grid.width, grid.height), 0, 0);
  const layout = { cols, rows, scale, gap, tileW: w * scale, tileH: h * scale, order };
  if (numbers) {
    const size = Math.max(9, Math.min(16, Math.round(layout.tileW / 4)));
    ctx.font = `600 ${size}px ${FONT}`;
    ctx.textBaseline = "top";
    order.forEach((ch, n) => {
      const [x, y] = tileOrigin(layout, n);
      const text = String(ch);
      const tw = ctx.measureText(text).width;
      ctx.fillStyle = "rgba(0, 0, 0, 0.72)";
      ctx.fillRect(x, y, tw + 4, size + 3);
      ctx.fillStyle = "#fff";
      ctx.fillText(text, x + 2, y + 1);
    });
  }
  const at = order.indexOf(selected);
  if (at >= 0) {
    const [x, y] = tileOrigin(layout, at);
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = Math.max(2, gap);
    ctx.strokeRect(x - gap / 2, y - gap / 2, layout.tileW + gap, layout.tileH + gap);
  }
  return layout;
}

export function tileOrigin(layout, n) {
  return [
    layout.gap + (n % layout.cols) * (layout.tileW + layout.gap),
    layout.gap + Math.floor(n / layout.cols) * (layout.tileH + layout.gap),
  ];
}

// The position (in `order`) of the tile under canvas pixel (x, y), or -1.
export function tileAt(layout, x, y) {
  const col = Math.floor((x - layout.gap / 2) / (layout.tileW + layout.gap));
  const row = Math.floor((y - layout.gap / 2) / (layout.tileH + layout.gap));
  if (col < 0 || row < 0 || col >= layout.cols || row >= layout.rows) return -1;
  const n = row * layout.cols + col;
  return n < layout.order.length ? n : -1;
}

// Bar chart of per-channel values (e.g. Grad-CAM weights) in the order given; positive bars
// orange, negative blue (Okabe and Ito's pair, distinct for colour-blind eyes); `mark`
// channels outlined. Sized to the canvas' CSS box.
export function drawBars(canvas, values, order, { title = "", mark = [], ink = "#1d2330", font = 14 } = {}) {
  const ratio = window.devicePixelRatio || 1;
  const box = canvas.getBoundingClientRect();
  const cw = Math.max(200, Math.round(box.width || canvas.width));
  const ch = Math.max(120, Math.round(box.height || canvas.height));
  canvas.width = cw * ratio;
  canvas.height = ch * ratio;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, cw, ch);
  const [lo, hi] = minMax(values);
  const top = Math.max(hi, 0);
  const bottom = Math.min(lo, 0);
  const span = top - bottom || 1;
  const left = font * 4.5;
  const right = 8;
  const titleH = title ? font * 1.8 : 4;
  const axisH = font * 1.8;
  const plotH = ch - titleH - axisH;
  const plotW = cw - left - right;
  const y = (v) => titleH + ((top - v) / span) * plotH;
  ctx.font = `${font}px ${FONT}`;
  ctx.fillStyle = ink;
  if (title) {
    ctx.textBaseline = "top";
    ctx.fillText(title, 0, 2);
  }
  // axis
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  for (const v of [top, 0, bottom]) {
    if (v === 0 && (top === 0 || bottom === 0) && v !== top && v !== bottom) continue;
    ctx.fillText(fmt(v), left - 6, y(v));
  }
  ctx.textAlign = "left";
  const bw = plotW / Math.max(1, order.length);
  const marked = new Set(mark);
  order.forEach((k, i) => {
    const v = values[k];
    ctx.fillStyle = v >= 0 ? BAR_POSITIVE : BAR_NEGATIVE;
    const y0 = y(Math.max(v, 0));
    const y1 = y(Math.min(v, 0));
    ctx.fillRect(left + i * bw, y0, Math.max(1, bw - (bw > 3 ? 1 : 0)), Math.max(1, y1 - y0));
    if (marked.has(k)) {
      ctx.strokeStyle = ink;
      ctx.lineWidth = 2;
      ctx.strokeRect(left + i * bw - 1, y0 - 1, Math.max(3, bw) + 1, Math.max(1, y1 - y0) + 2);
    }
  });
  ctx.fillStyle = ink;
  ctx.fillRect(left, Math.round(y(0)), plotW, 1);
  ctx.textBaseline = "top";
  ctx.fillText(`${order.length} channels →`, left, ch - axisH + 4);
  return { left, bw, order };
}

// The longest start of `text` (with "…") that is at most maxW wide in ctx's font.
export function ellipsize(ctx, text, maxW) {
  text = String(text);
  if (ctx.measureText(text).width <= maxW) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid).trimEnd()}…`).width <= maxW) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo).trimEnd()}…`;
}

// `text` broken into at most `maxLines` lines of at most maxW, the last one ellipsized.
export function wrapLines(ctx, text, maxW, maxLines) {
  const lines = [];
  let line = "";
  const words = String(text).split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const next = line ? `${line} ${words[i]}` : words[i];
    if (ctx.measureText(next).width <= maxW || !line) {
      line = next;
      continue;
    }
    if (lines.length === maxLines - 1) {
      line = `${line} ${words.slice(i).join(" ")}`;
      break;
    }
    lines.push(line);
    line = words[i];
  }
  if (line) lines.push(line);
  return lines.slice(0, maxLines).map((l) => ellipsize(ctx, l, maxW));
}

// A report-ready figure on one canvas, for PNG export: a title, subtitle lines (picture,
// class, method, layer, normalisation…), colour-scale legends, column headings, rows of
// canvases with captions and row labels, footer lines. Every text is shortened with an
// ellipsis to its own space, never drawn over a picture. cells: rows of {canvas, caption} or
// null; legends: [{lut, label, low, high}] (a colour table's scale) or [{label, swatches:
// [{colour, text}]}] (a key of a few colours). The canvas' `figure` property records every text
// and picture rectangle drawn (what the tests check).
export function composeTable({ title, lines = [], header = [], rows = [], labels = [], cell = 256, legends = [], footer = [] }) {
  const pad = 16;
  const font = 16;
  const labelW = labels.length ? 170 : 0;
  const cols = Math.max(header.length, ...rows.map((r) => r.length), 1);
  const capLines = 2;
  const capH = font * 0.85 * 1.3 * capLines + 6;
  const width = Math.max(pad * 2 + labelW + cols * (cell + pad), 640);
  const inner = width - 2 * pad;
  const legendW = 230;
  const legendH = Math.round(font * 1.3 + 14 + font * 1.3);
  const perLegendRow = Math.max(1, Math.floor((inner + pad) / (legendW + pad)));
  const legendRows = Math.ceil(legends.length / perLegendRow);
  const headH = header.length ? font * 1.8 : 0;
  const titleH = pad + font * 2.2 + lines.length * font * 1.4 + (legends.length ? legendRows * (legendH + 8) + 6 : 0) + 8;
  const rowH = (r) => {
    const tallest = Math.max(1, ...r.map((c) => (c && c.canvas ? c.canvas.height * Math.min(cell / c.canvas.width, cell / c.canvas.height) : 0)));
    return Math.ceil(tallest + capH + pad);
  };
  const heights = rows.map(rowH);
  const height = Math.ceil(titleH + headH + heights.reduce((a, b) => a + b, 0) + pad + footer.length * font * 1.3);
  const canvas = makeCanvas(width, height);
  const figure = { texts: [], images: [], legends: [], width: canvas.width, height: canvas.height };
  canvas.figure = figure;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = "top";
  const text = (t, x, y, maxW, size, weight = 400, colour = "#1d2330") => {
    ctx.font = `${weight} ${size}px ${FONT}`;
    ctx.fillStyle = colour;
    const shown = ellipsize(ctx, t, maxW);
    ctx.fillText(shown, x, y);
    figure.texts.push({ text: shown, x, y, w: ctx.measureText(shown).width, h: size * 1.2 });
    return shown;
  };
  let y = pad;
  text(title, pad, y, inner, font * 1.35, 600);
  y += font * 2.2;
  for (const line of lines) {
    text(line, pad, y, inner, font, 400, "#3d4556");
    y += font * 1.4;
  }
  if (legends.length) {
    y += 6;
    legends.forEach((g, i) => {
      const lx = pad + (i % perLegendRow) * (legendW + pad);
      const ly = y + Math.floor(i / perLegendRow) * (legendH + 8);
      const gy = ly + font * 1.3;
      text(g.label || "colour scale", lx, ly, legendW, font * 0.9, 600);
      if (g.swatches) {
        const each = legendW / g.swatches.length;
        g.swatches.forEach((sw, k) => {
          ctx.fillStyle = sw.colour;
          ctx.fillRect(lx + k * each, gy, 14, 14);
          figure.legends.push({ x: lx + k * each, y: gy, w: 14, h: 14, label: g.label, colour: sw.colour });
          text(sw.text, lx + k * each + 18, gy, each - 22, font * 0.85);
        });
        return;
      }
      for (let x = 0; x < legendW; x++) {
        ctx.fillStyle = lutColour(g.lut, x / (legendW - 1));
        ctx.fillRect(lx + x, gy, 1, 14);
      }
      ctx.strokeStyle = "#6b7384";
      ctx.strokeRect(lx + 0.5, gy + 0.5, legendW - 1, 13);
      figure.legends.push({ x: lx, y: gy, w: legendW, h: 14, label: g.label });
      const lowShown = text(g.low, lx, gy + 16, legendW / 2 - 4, font * 0.85);
      ctx.font = `400 ${font * 0.85}px ${FONT}`;
      const lowW = ctx.measureText(lowShown).width;
      const highShown = ellipsize(ctx, g.high, legendW - lowW - 8);
      text(highShown, lx + legendW - ctx.measureText(highShown).width, gy + 16, legendW - lowW - 8, font * 0.85);
    });
    y += legendRows * (legendH + 8);
  }
  y = titleH;
  header.forEach((hd, i) => text(hd, pad + labelW + i * (cell + pad), y, cell, font, 600));
  y += headH;
  rows.forEach((row, r) => {
    if (labels[r]) {
      ctx.font = `600 ${font}px ${FONT}`;
      wrapLines(ctx, labels[r], labelW - pad, 3).forEach((line, i) => text(line, pad, y + 4 + i * font * 1.3, labelW - pad, font, 600));
    }
    row.forEach((c, i) => {
      if (!c || !c.canvas) return;
      const x = pad + labelW + i * (cell + pad);
      const s = Math.min(cell / c.canvas.width, cell / c.canvas.height);
      const w = c.canvas.width * s;
      const h = c.canvas.height * s;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(c.canvas, x, y, w, h);
      figure.images.push({ x, y, w, h });
      if (c.caption) {
        ctx.font = `400 ${font * 0.85}px ${FONT}`;
        wrapLines(ctx, c.caption, cell, capLines).forEach((line, k) => text(line, x, y + h + 4 + k * font * 0.85 * 1.3, cell, font * 0.85, 400, "#3d4556"));
      }
    });
    y += heights[r];
  });
  footer.forEach((line, i) => text(line, pad, height - (footer.length - i) * font * 1.3 - 4, inner, font * 0.85, 400, "#3d4556"));
  return canvas;
}

// Saves a canvas as a PNG download (a local blob: URL; nothing is sent anywhere).
export function downloadCanvas(canvas, filename) {
  return new Promise((resolve) => {
    canvas.toBlob((blob) => {
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      resolve();
    }, "image/png");
  });
}

// ---- maps on pictures

// The value drawn at the top of the colour scale for one map: its own max ("map"), the max
// over the classes of that method ("shared"), or a fixed value / that same max ("raw", shown
// with a colour bar). classMaps: one raw map per class.
export function mapScale(norm, classMaps, cls, rawMax = 0) {
  if (norm === "map") return maxOf(classMaps[cls]);
  if (norm === "raw" && rawMax > 0) return rawMax;
  return Math.max(...classMaps.map(maxOf));
}

const upsampled = new Map(); // key -> Float32Array at canvas size (a few dozen kept)
const heats = new Map(); // key|scale|cmap -> coloured image (heatImage)

function remember(cache, key, make, limit) {
  if (cache.has(key)) {
    const v = cache.get(key);
    cache.delete(key);
    cache.set(key, v);
    return v;
  }
  const v = make();
  cache.set(key, v);
  if (cache.size > limit) cache.delete(cache.keys().next().value);
  return v;
}

// Whether a map whose largest value is `max` shows nothing (renderMap then draws a note).
export function isEmptyMap(max) {
  return !(max > 0);
}

// Makes ready what drawOverlay will need for a w x h heatmap over `picture` at `alpha`: the
// picture's pixels at that size and the blend's table (kept, as drawOverlay keeps them).
export function prepareOverlay(picture, w, h, alpha) {
  pictureAt(picture, w, h, false);
  blendTable(alpha);
}

// Draws one raw map (h x w, layer resolution) over `picture` on `canvas` (already sized):
// upsampled bilinearly to the canvas, coloured by value / scale, blended at `alpha`.
// An all-zero map is drawn as a note (`empty`: its lines), never as a flat colour. `key` names the map for the
// caches (picture, layer, method, class). Returns {max, empty}.
export function renderMap(canvas, picture, raw, shape, { scale, lut, cmap, alpha, key, empty = ["empty map", "no positive evidence at this layer"] }) {
  const [, h, w] = shape;
  const max = maxOf(raw);
  if (isEmptyMap(max)) {
    drawNote(canvas, picture, empty); // the note's words: the caller's language (text.js)
    return { max, empty: true };
  }
  const ow = canvas.width;
  const oh = canvas.height;
  const sizeKey = `${key}|${ow}x${oh}`;
  const up = remember(upsampled, sizeKey, () => upsample(raw, h, w, oh, ow), 48);
  const heat = remember(heats, `${sizeKey}|${scale}|${cmap}`, () => heatImage(up, ow, oh, scale, lut), 48);
  drawOverlay(canvas, picture, heat, alpha);
  return { max, empty: false };
}

const gradientImages = new Map(); // key -> canvas at the network input's size

// Draws an RGB gradient image (the core's gradientRgba: RGBA bytes, h x w at the network
// input) onto `canvas`, stretched to the canvas: the picture's own geometry, since the
// network's input is the whole picture resized without a crop. `key` names it for the cache.
export function drawGradientImage(canvas, rgba, h, w, key) {
  const src = remember(gradientImages, key, () => {
    const c = makeCanvas(w, h);
    c.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
    return c;
  }, 24);
  const ctx = canvas.getContext("2d");
  ctx.save();
  // Cleared first: a stretched image's edge pixels blend with what lies under them.
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(src, 0, 0, canvas.width, canvas.height);
  ctx.restore();
}

export function forgetMapCaches() {
  upsampled.clear();
  heats.clear();
  gradientImages.clear();
}

// Canvas size for a map of a width x height picture: long side `side`.
export function fitSize(width, height, side) {
  const s = side / Math.max(width, height);
  return [Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s))];
}

// All canvas drawing: upsampling raw maps, colouring them with the core's colour tables,
// overlays, colour bars, the feature-map grid, the channel-weight bar chart and PNG export.
// Nothing here talks to the worker or reads the page state.

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

export function makeCanvas(width, height) {
  const c = document.createElement("canvas");
  c.width = Math.max(1, Math.round(width));
  c.height = Math.max(1, Math.round(height));
  return c;
}

// Bilinear resize of an h x w map to oh x ow, the rule of PyTorch's
// F.interpolate(mode="bilinear", align_corners=False) (and of the core's upsample()).
export function upsample(src, h, w, oh, ow) {
  const out = new Float32Array(oh * ow);
  const x0 = new Int32Array(ow);
  const x1 = new Int32Array(ow);
  const lx = new Float32Array(ow);
  const sw = w / ow;
  for (let x = 0; x < ow; x++) {
    const sx = Math.max(0, (x + 0.5) * sw - 0.5);
    x0[x] = Math.min(Math.floor(sx), w - 1);
    x1[x] = Math.min(x0[x] + 1, w - 1);
    lx[x] = sx - x0[x];
  }
  const sh = h / oh;
  for (let y = 0; y < oh; y++) {
    const sy = Math.max(0, (y + 0.5) * sh - 0.5);
    const y0 = Math.min(Math.floor(sy), h - 1);
    const y1 = Math.min(y0 + 1, h - 1);
    const ly = sy - y0;
    const r0 = y0 * w;
    const r1 = y1 * w;
    const o = y * ow;
    for (let x = 0; x < ow; x++) {
      const a = src[r0 + x0[x]] * (1 - lx[x]) + src[r0 + x1[x]] * lx[x];
      const b = src[r1 + x0[x]] * (1 - lx[x]) + src[r1 + x1[x]] * lx[x];
      out[o + x] = a * (1 - ly) + b * ly;
    }
  }
  return out;
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
  const i = Math.max(0, Math.min(255, Math.round((Number.isFinite(t) ? t : 0) * 255)));
  return `rgb(${lut[3 * i]}, ${lut[3 * i + 1]}, ${lut[3 * i + 2]})`;
}

// Values -> an opaque coloured canvas (ow x oh): colour of value / scale (clamped to [0, 1]).
export function heatCanvas(values, ow, oh, scale, lut) {
  const c = makeCanvas(ow, oh);
  const ctx = c.getContext("2d");
  const img = ctx.createImageData(ow, oh);
  const px = img.data;
  const k = scale > 0 ? 255 / scale : 0;
  for (let i = 0; i < values.length; i++) {
    let t = Math.round(values[i] * k);
    t = t < 0 ? 0 : t > 255 ? 255 : t;
    px[4 * i] = lut[3 * t];
    px[4 * i + 1] = lut[3 * t + 1];
    px[4 * i + 2] = lut[3 * t + 2];
    px[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

// picture, then the heatmap over it at `alpha`: out = (1 - alpha) picture + alpha colour.
export function drawOverlay(canvas, picture, heat, alpha) {
  const ctx = canvas.getContext("2d");
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
  if (heat) {
    ctx.globalAlpha = alpha;
    ctx.drawImage(heat, 0, 0, canvas.width, canvas.height);
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

// A vertical colour bar from 0 (bottom) to `max` (top) with tick labels, drawn at the size
// the canvas has on screen (or its own size when not on screen).
export function drawColourBar(canvas, lut, max, label) {
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
  const size = Math.max(11, Math.min(15, Math.round(w / 5.5)));
  const top = size * 0.7 + (label ? size * 1.4 : 0);
  const bottom = h - size * 0.7;
  const barW = Math.max(10, Math.round(w * 0.22));
  for (let y = Math.floor(top); y < bottom; y++) {
    ctx.fillStyle = lutColour(lut, 1 - (y - top) / (bottom - top));
    ctx.fillRect(0, y, barW, 1);
  }
  ctx.strokeStyle = "#8a93a3";
  ctx.lineWidth = 1;
  ctx.strokeRect(0.5, top + 0.5, barW - 1, bottom - top - 1);
  ctx.fillStyle = "#1d2330";
  ctx.font = `${size}px ${FONT}`;
  ctx.textBaseline = "middle";
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const y = bottom - t * (bottom - top);
    ctx.fillRect(barW, Math.round(y), 4, 1);
    if (t === 0 || t === 0.5 || t === 1) ctx.fillText(fmt(t * max), barW + 6, y);
  }
  if (label) {
    ctx.textBaseline = "top";
    ctx.fillText(label, 0, 0);
  }
}

// Every channel of a C x H x W activation as tiles, in `order` (channel indices), `cols` per
// row, each tile scaled by an integer `scale`, 1-px gaps; per-channel min-max colouring, or
// one range over all channels when `shared`. Returns the layout for hit tests.
export function drawFeatureGrid(canvas, data, shape, order, { cols, scale, shared, lut, selected = -1 }) {
  const [c, h, w] = shape;
  const gap = Math.max(1, Math.round(scale / 2));
  const rows = Math.ceil(order.length / cols);
  canvas.width = cols * (w * scale + gap) + gap;
  canvas.height = rows * (h * scale + gap) + gap;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(canvas.width, canvas.height);
  const px = img.data;
  for (let i = 0; i < px.length; i += 4) {
    px[i] = px[i + 1] = px[i + 2] = 32;
    px[i + 3] = 255;
  }
  const plane = h * w;
  let [glo, ghi] = shared ? minMax(data, 0, c * plane) : [0, 0];
  order.forEach((ch, n) => {
    const base = ch * plane;
    const [lo, hi] = shared ? [glo, ghi] : minMax(data, base, base + plane);
    const k = hi > lo ? 255 / (hi - lo) : 0;
    const ox = gap + (n % cols) * (w * scale + gap);
    const oy = gap + Math.floor(n / cols) * (h * scale + gap);
    for (let y = 0; y < h * scale; y++) {
      const row = base + Math.floor(y / scale) * w;
      let o = 4 * ((oy + y) * canvas.width + ox);
      for (let x = 0; x < w * scale; x++, o += 4) {
        const t = Math.round((data[row + Math.floor(x / scale)] - lo) * k);
        px[o] = lut[3 * t];
        px[o + 1] = lut[3 * t + 1];
        px[o + 2] = lut[3 * t + 2];
      }
    }
  });
  ctx.putImageData(img, 0, 0);
  const layout = { cols, rows, scale, gap, tileW: w * scale, tileH: h * scale, order };
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
// warm, negative cool; `mark` channels outlined. Sized to the canvas' CSS box.
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
    ctx.fillStyle = v >= 0 ? "#d9534f" : "#3b7dd8";
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

// A titled table of canvases (rows x columns) on one canvas, for PNG export. cells: rows of
// {canvas, caption} or null; header: column titles; labels: row titles.
export function composeTable({ title, subtitle = "", header = [], rows = [], labels = [], cell = 256, footer = "", legend = [] }) {
  const pad = 16;
  const font = 16;
  const labelW = labels.length ? 150 : 0;
  const cols = Math.max(header.length, ...rows.map((r) => r.length), 1);
  const capH = font * 1.6;
  const headH = header.length ? font * 2 : 0;
  const titleH = font * 2.6 + (subtitle ? font * 1.4 : 0);
  const width = pad * 2 + labelW + cols * (cell + pad);
  const height = titleH + headH + rows.length * (cell + capH + pad) + pad + (footer ? font * 1.6 : 0);
  const canvas = makeCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#1d2330";
  ctx.textBaseline = "top";
  ctx.font = `600 ${font * 1.4}px ${FONT}`;
  ctx.fillText(title, pad, pad);
  ctx.font = `${font}px ${FONT}`;
  if (subtitle) {
    ctx.fillStyle = "#4a5366";
    ctx.fillText(subtitle, pad, pad + font * 1.8);
  }
  let lx = width - pad;
  for (const c of legend.slice().reverse()) {
    lx -= c.width;
    ctx.drawImage(c, lx, pad);
    lx -= pad;
  }
  ctx.fillStyle = "#1d2330";
  ctx.font = `600 ${font}px ${FONT}`;
  header.forEach((h, i) => ctx.fillText(h, pad + labelW + i * (cell + pad), titleH));
  rows.forEach((row, r) => {
    const y = titleH + headH + r * (cell + capH + pad);
    if (labels[r]) {
      ctx.font = `600 ${font}px ${FONT}`;
      ctx.fillStyle = "#1d2330";
      wrapText(ctx, labels[r], pad, y + 4, labelW - pad, font * 1.3);
    }
    row.forEach((c, i) => {
      if (!c || !c.canvas) return;
      const x = pad + labelW + i * (cell + pad);
      const s = Math.min(cell / c.canvas.width, cell / c.canvas.height);
      const w = c.canvas.width * s;
      const h = c.canvas.height * s;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(c.canvas, x, y, w, h);
      if (c.caption) {
        ctx.font = `${font * 0.85}px ${FONT}`;
        ctx.fillStyle = "#4a5366";
        ctx.fillText(c.caption, x, y + h + 4);
      }
    });
  });
  if (footer) {
    ctx.font = `${font * 0.85}px ${FONT}`;
    ctx.fillStyle = "#4a5366";
    ctx.fillText(footer, pad, height - font * 1.6);
  }
  return canvas;
}

function wrapText(ctx, text, x, y, maxW, lineH) {
  let line = "";
  for (const word of String(text).split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width > maxW && line) {
      ctx.fillText(line, x, y);
      y += lineH;
      line = word;
    } else line = next;
  }
  if (line) ctx.fillText(line, x, y);
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
const heats = new Map(); // key|scale|cmap -> coloured canvas

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

// Draws one raw map (h x w, layer resolution) over `picture` on `canvas` (already sized):
// upsampled bilinearly to the canvas, coloured by value / scale, blended at `alpha`.
// An all-zero map is drawn as a note, never as a flat colour. `key` names the map for the
// caches (picture, layer, method, class). Returns {max, empty}.
export function renderMap(canvas, picture, raw, shape, { scale, lut, cmap, alpha, key }) {
  const [, h, w] = shape;
  const max = maxOf(raw);
  if (!(max > 0)) {
    drawNote(canvas, picture, ["empty map", "no positive evidence at this layer"]);
    return { max, empty: true };
  }
  const ow = canvas.width;
  const oh = canvas.height;
  const sizeKey = `${key}|${ow}x${oh}`;
  const up = remember(upsampled, sizeKey, () => upsample(raw, h, w, oh, ow), 48);
  const heat = remember(heats, `${sizeKey}|${scale}|${cmap}`, () => heatCanvas(up, ow, oh, scale, lut), 48);
  drawOverlay(canvas, picture, heat, alpha);
  return { max, empty: false };
}

export function forgetMapCaches() {
  upsampled.clear();
  heats.clear();
}

// Canvas size for a map of a width x height picture: long side `side`.
export function fitSize(width, height, side) {
  const s = side / Math.max(width, height);
  return [Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s))];
}

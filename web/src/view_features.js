// The Feature maps view: every channel of the chosen layer as a grid of tiles (in pages of
// 256 for wide layers), sortable by the chosen class's weight under any method that has
// channel weights; a click enlarges one channel over the picture.
import { state, update, classNames, focusClassOf, layerName } from "./state.js";
import { h, clear, append } from "./dom.js";
import {
  drawFeatureGrid, tileAt, tileOrigin, makeCanvas, fitSize, upsample, heatCanvas, drawOverlay, minMax, fmt, composeTable,
} from "./draw.js";
import { methodTitle } from "./methods.js";
import { extraKey } from "./engine.js";
import { TABLET_WIDTH } from "./view_explain.js";
import { cmapWords, layerWithGrid, saveName, pictureStem, channelPage, PAGE_BUTTONS, weightOrder, LABELS, FEATURES, EXPLAIN } from "./text.js";
import { lang } from "./i18n.js";

// Tiles per page: a layer wider than this (ResNet50's 2048 channels) is shown a page at a time.
export const PAGE = 256;

let view = null; // {key, node, grid, layout, order, ...}

// The channel weights the grid can be sorted by: "weight" (Grad-CAM, always there) and every
// method whose weights the page has for this layer: {value: [Float32Array per class]}.
function weightSets(maps, extras) {
  const sets = { weight: { title: methodTitle("gradcam"), weights: maps.weights } };
  for (const [m, w] of Object.entries(maps.methodWeights || {})) if (m !== "gradcam" && w && w[0]) sets[m] = { title: methodTitle(m), weights: w };
  const score = extras && extras.get(extraKey({ kind: "score", layer: maps.layer }));
  if (score && score.weights && score.weights[0]) sets.scorecam = { title: methodTitle("scorecam"), weights: score.weights };
  return sets;
}

// Channels in display order: by index, or by the class's Grad-CAM weight, largest first.
export function channelOrder(c, weights, by) {
  const order = Array.from({ length: c }, (_, k) => k);
  if (by === "weight" && weights) order.sort((a, b) => weights[b] - weights[a] || a - b);
  return order;
}

function gridScale(shape, cols) {
  return Math.max(1, Math.floor(760 / (cols * (shape[2] + 1))));
}

export function renderFeatures(root, { picture, prediction, maps, acts, extras }, exportButton) {
  const names = classNames();
  const cls = focusClassOf(prediction);
  const shape = acts.shape;
  const [c, hh, ww] = shape;
  const sets = weightSets(maps, extras);
  const by = state.featureOrder === "index" ? "index" : sets[state.featureOrder] ? state.featureOrder : "weight";
  const weights = sets[by === "index" ? "weight" : by].weights[cls];
  const byTitle = sets[by === "index" ? "weight" : by].title;
  const order = channelOrder(c, weights, by === "index" ? "index" : "weight");
  const selected = state.channel >= 0 && state.channel < c ? state.channel : order[0];
  const lut = state.model.luts[state.cmap];
  const pages = Math.ceil(c / PAGE);
  const page = Math.floor(order.indexOf(selected) / PAGE);
  const shown = order.slice(page * PAGE, (page + 1) * PAGE);
  const cols = Math.ceil(Math.sqrt(Math.min(c, PAGE)));
  const lname = layerName(state.model.info, acts.layer);

  const key = [lang(), picture.id, state.model.version, acts.layer].join("|");
  if (!view || view.key !== key || !root.contains(view.node)) {
    const grid = makeCanvas(10, 10);
    grid.tabIndex = 0;
    grid.setAttribute("role", "img");
    grid.addEventListener("keydown", gridKeys);
    const big = makeCanvas(...fitSize(picture.width, picture.height, 420));
    const plain = makeCanvas(...fitSize(picture.width, picture.height, 420));
    big.setAttribute("role", "img");
    plain.setAttribute("role", "img");
    const about = h("p", { class: "small muted" });
    const orderSel = h("select", { "aria-label": FEATURES.orderLabel });
    const shared = h("input", { type: "checkbox" });
    const title = h("h2");
    const info = h("dl");
    const heading = h("h3");
    const pageText = h("span", { class: "muted small", "aria-live": "polite" });
    const pageButtons = [-1, 1].map((d) =>
      h("button", { type: "button", "data-focus": d < 0 ? "page-prev" : "page-next", onclick: () => turnPage(d) }, d < 0 ? PAGE_BUTTONS.previous : PAGE_BUTTONS.next));
    const pager = h("div", { class: "feature-pages" }, pageButtons[0], pageText, pageButtons[1]);
    const node = h(
      "div",
      { class: "features" },
      h(
        "div",
        { class: "card feature-grid" },
        h("div", { class: "view-head" }, title, h("span", { class: "spacer" }), exportButton),
        h(
          "div",
          { class: "feature-tools" },
          h("label", { class: "control" }, h("span", {}, FEATURES.order), orderSel),
          h("label", { class: "control" }, shared, h("span", {}, FEATURES.oneRange)),
          h("span", { class: "muted small" }, FEATURES.howTo),
        ),
        pager,
        grid,
      ),
      h(
        "div",
        { class: "card channel-card" },
        heading,
        h("div", { class: "pair" }, h("figure", {}, big), h("figure", {}, plain)),
        info,
        about,
      ),
    );
    exportButton.setAttribute("aria-label", saveName(FEATURES.saveWhat));
    orderSel.addEventListener("change", () => update({ featureOrder: orderSel.value }));
    shared.addEventListener("change", () => update({ featureShared: shared.checked }));
    const pick = (event) => {
      const rect = grid.getBoundingClientRect();
      const x = ((event.clientX - rect.left) * grid.width) / rect.width;
      const y = ((event.clientY - rect.top) * grid.height) / rect.height;
      const n = tileAt(view.layout, x, y);
      if (n >= 0) update({ channel: view.layout.order[n] });
    };
    grid.addEventListener("click", pick);
    clear(root).append(node);
    view = { key, node, grid, big, plain, orderSel, shared, title, info, heading, about, pager, pageText, pageButtons };
  }

  const words = cmapWords(state.cmap);
  view.about.textContent = FEATURES.about(words.high, words.low);
  view.title.textContent = FEATURES.title(c, lname, hh, ww);
  append(clear(view.orderSel), [
    h("option", { value: "index", selected: by === "index" }, FEATURES.byNumber),
    Object.entries(sets).map(([value, set]) => h("option", { value, selected: by === value }, weightOrder(set.title, names[cls]))),
  ]);
  view.shared.checked = state.featureShared;
  view.pager.hidden = pages < 2;
  view.pageText.textContent = channelPage(page * PAGE + 1, page * PAGE + shown.length, c);
  view.pageButtons[0].disabled = page === 0;
  view.pageButtons[1].disabled = page >= pages - 1;
  view.layout = drawFeatureGrid(view.grid, acts.data, shape, shown, {
    cols,
    scale: gridScale(shape, cols),
    shared: state.featureShared,
    lut,
    selected,
  });
  // As large as the space left allows (tiles stay crisp: pixelated scaling), then smaller
  // while the page would scroll.
  const rect = view.grid.parentElement.getBoundingClientRect();
  const below = view.grid.parentElement.getBoundingClientRect().bottom - view.grid.getBoundingClientRect().bottom +
    parseFloat(getComputedStyle(document.querySelector("main")).paddingBottom) + document.querySelector("footer").offsetHeight;
  const availH = Math.max(200, window.innerHeight - view.grid.getBoundingClientRect().top - window.scrollY - below - 4);
  // A phone or a tablet upright (one column: style.css) scrolls down: the grid takes the
  // card's width (a tap enlarges a tile below).
  const phone = window.innerWidth <= TABLET_WIDTH;
  let width = Math.floor(phone ? rect.width - 24 : Math.min(rect.width - 32, (availH * view.grid.width) / view.grid.height));
  view.grid.style.width = `${width}px`;
  for (let i = 0; i < 3 && !phone; i++) {
    const over = document.documentElement.scrollHeight - window.innerHeight;
    if (over <= 0 || width <= 160) break;
    width = Math.max(160, Math.floor(width - (over * view.grid.width) / view.grid.height) - 1);
    view.grid.style.width = `${width}px`;
  }
  const rank = order.indexOf(selected);
  const pageWords = pages > 1 ? FEATURES.pageWords(page + 1, pages, channelPage(page * PAGE + 1, page * PAGE + shown.length, c)) : "";
  view.grid.setAttribute(
    "aria-label",
    FEATURES.gridLabel(c, lname, pageWords, gridSize(view), selected, rank + 1),
  );

  // The enlarged channel: over the picture, and on its own.
  const plane = acts.data.subarray(selected * hh * ww, (selected + 1) * hh * ww);
  const [lo, hi] = minMax(plane);
  const shifted = plane.map((v) => v - lo);
  const up = upsample(shifted, hh, ww, view.big.height, view.big.width);
  const heat = heatCanvas(up, view.big.width, view.big.height, hi - lo, lut);
  drawOverlay(view.big, picture.canvas, heat, state.opacity);
  const ctx = view.plain.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(heatCanvas(shifted, ww, hh, hi - lo, lut), 0, 0, view.plain.width, view.plain.height);
  clear(view.heading).append(FEATURES.heading(selected));
  const range = FEATURES.range(fmt(lo), fmt(hi), names[cls], fmt(maps.weights[cls][selected], 4));
  view.big.setAttribute("aria-label", FEATURES.bigAlt(selected, lname, picture.name, range));
  view.plain.setAttribute("aria-label", FEATURES.plainAlt(selected, lname, `${hh}×${ww}`, range));
  append(clear(view.info), [
    names.map((n, k) => [h("dt", {}, FEATURES.gcWeightFor(n)), h("dd", {}, fmt(maps.weights[k][selected], 4))]),
    by !== "index" && by !== "weight" ? [h("dt", {}, LABELS.weightFor(byTitle, names[cls])), h("dd", {}, fmt(weights[selected], 4))] : null,
    h("dt", {}, FEATURES.activationRange),
    h("dd", {}, `${fmt(lo)} … ${fmt(hi)}`),
    h("dt", {}, FEATURES.place),
    h("dd", {}, FEATURES.rankOf(rank + 1, c)),
  ]);
  // The enlarged channel's card, filled, can be the taller one (a toolbar on two rows): its
  // pictures give way too.
  const pair = view.big.closest(".pair");
  pair.style.maxWidth = "";
  for (let i = 0; i < 3 && !phone; i++) {
    const over = document.documentElement.scrollHeight - window.innerHeight;
    if (over <= 0) break;
    const w = pair.getBoundingClientRect().width;
    pair.style.maxWidth = `${Math.max(160, Math.floor(w - (2 * over * view.big.width) / view.big.height) - 2)}px`;
  }
  view.selected = selected;
  view.order = order;
  view.cls = cls;
  view.by = by;
  view.byTitle = byTitle;
  view.page = page;
  view.shown = shown;
}

// The previous (-1) or next (+1) page of a wide layer's tiles: its first channel is selected.
function turnPage(d) {
  if (!view || !view.order) return;
  const page = Math.max(0, Math.min(Math.ceil(view.order.length / PAGE) - 1, view.page + d));
  update({ channel: view.order[page * PAGE] });
}

// "16 by 16": the tile grid's columns and rows, for its text alternative.
function gridSize(v) {
  return v.layout ? FEATURES.gridSize(v.layout.cols, v.layout.rows) : "";
}

// ← / → : the previous / next channel in the current order.
export function stepChannel(delta) {
  if (!view || !view.order) return;
  const i = view.order.indexOf(view.selected);
  const next = view.order[Math.max(0, Math.min(view.order.length - 1, i + delta))];
  update({ channel: next });
}

// Keys on the focused tile grid: ← → by one, ↑ ↓ by a row (staying put at the edge), Home /
// End the first / last tile, PageUp / PageDown four rows (stopping in the first / last row).
function gridKeys(e) {
  if (!view || !view.layout || e.ctrlKey || e.metaKey || e.altKey) return;
  const cols = view.layout.cols;
  const n = view.order.length;
  const i = view.order.indexOf(view.selected);
  let j;
  if (e.key === "ArrowLeft") j = Math.max(0, i - 1);
  else if (e.key === "ArrowRight") j = Math.min(n - 1, i + 1);
  else if (e.key === "ArrowUp") j = i - cols >= 0 ? i - cols : i;
  else if (e.key === "ArrowDown") j = i + cols < n ? i + cols : i;
  else if (e.key === "Home") j = 0;
  else if (e.key === "End") j = n - 1;
  else if (e.key === "PageUp") for (j = i - 4 * cols; j < 0; j += cols);
  else if (e.key === "PageDown") for (j = i + 4 * cols; j >= n; j -= cols);
  else return;
  e.preventDefault();
  update({ channel: view.order[Math.max(0, Math.min(n - 1, j))] });
}

export function exportFeatures({ picture, acts, maps }) {
  if (!view) return null;
  const names = classNames();
  const layer = { name: layerName(state.model.info, acts.layer) };
  const [c, hh, ww] = acts.shape;
  // The grid again (this page), with tiles large enough to carry their channel numbers.
  const cols = view.layout.cols;
  const scale = Math.max(1, Math.ceil(44 / ww));
  const numbered = makeCanvas(10, 10);
  const grid = drawFeatureGrid(numbered, acts.data, acts.shape, view.shown, {
    cols, scale, shared: state.featureShared, lut: state.model.luts[state.cmap], selected: view.selected, numbers: true,
  });
  const words = cmapWords(state.cmap);
  const plane = acts.data.subarray(view.selected * hh * ww, (view.selected + 1) * hh * ww);
  const [lo, hi] = minMax(plane);
  const pages = Math.ceil(c / PAGE);
  const pageText = pages > 1 ? ` · ${channelPage(view.page * PAGE + 1, view.page * PAGE + view.shown.length, c)}` : "";
  const orderText = `${view.by !== "index" ? LABELS.sortedBy(view.byTitle, names[view.cls])   : FEATURES.byChannel}${pageText}`;
  const canvas = composeTable({
    title: FEATURES.figTitle(picture.name, c, layerWithGrid(layer.name, acts.shape)),
    lines: [
      FEATURES.figLine(picture.name, picture.width, picture.height, layerWithGrid(layer.name, acts.shape), c, orderText),
      state.featureShared
        ? FEATURES.figShared
        : FEATURES.figOwn,
      FEATURES.figColours(words.name, words.low, words.high, view.selected, fmt(lo), fmt(hi), names[view.cls], fmt(maps.weights[view.cls][view.selected], 4)),
    ],
    header: [FEATURES.headAll, FEATURES.headOver(view.selected), FEATURES.headPlain(view.selected, `${hh}×${ww}`)],
    rows: [[{ canvas: numbered }, { canvas: view.big }, { canvas: view.plain }]],
    cell: Math.min(1400, Math.max(420, numbered.width)),
    legends: [{ lut: state.model.luts[state.cmap], label: FEATURES.activation, low: state.featureShared ? fmt(minMax(acts.data)[0]) : FEATURES.tileMin, high: state.featureShared ? fmt(minMax(acts.data)[1]) : FEATURES.tileMax }],
    footer: [EXPLAIN.model(state.model.name)],
  });
  // Where each channel number sits in the figure (for the tests: the saved file is read back).
  const at = canvas.figure.images[0];
  const k = at.w / numbered.width;
  canvas.figure.numbers = view.shown.map((ch, n) => {
    const [x, y] = tileOrigin(grid, n);
    return { channel: ch, x: at.x + x * k, y: at.y + y * k };
  });
  const parts = [
    "features", pictureStem(picture.name), layerWithGrid(layer.name, acts.shape),
    view.by !== "index" ? `by-${view.by === "weight" ? "gradcam" : view.by}-weight-${names[view.cls]}` : "by-channel", pages > 1 ? `page-${view.page + 1}-of-${pages}` : "", `channel-${view.selected}`,
    state.featureShared ? "one-range" : "per-tile",
  ];
  return { canvas, parts };
}

// The Feature maps view: every channel of the chosen layer as a grid of tiles, sortable by
// the chosen class's Grad-CAM weight; a click enlarges one channel over the picture.
import { state, update, classNames, focusClassOf } from "./state.js";
import { h, clear, append } from "./dom.js";
import {
  drawFeatureGrid, tileAt, makeCanvas, fitSize, upsample, heatCanvas, drawOverlay, minMax, fmt, composeTable,
} from "./draw.js";

let view = null; // {key, node, grid, layout, order, ...}

// Channels in display order: by index, or by the class's Grad-CAM weight, largest first.
export function channelOrder(c, weights, by) {
  const order = Array.from({ length: c }, (_, k) => k);
  if (by === "weight" && weights) order.sort((a, b) => weights[b] - weights[a] || a - b);
  return order;
}

function gridScale(shape, cols) {
  return Math.max(1, Math.floor(760 / (cols * (shape[2] + 1))));
}

export function renderFeatures(root, { picture, prediction, maps, acts }, exportButton) {
  const names = classNames();
  const cls = focusClassOf(prediction);
  const shape = acts.shape;
  const [c, hh, ww] = shape;
  const weights = maps.weights[cls];
  const order = channelOrder(c, weights, state.featureOrder);
  const selected = state.channel >= 0 && state.channel < c ? state.channel : order[0];
  const lut = state.model.luts[state.cmap];
  const cols = Math.ceil(Math.sqrt(c));
  const layerName = state.model.info.layers[acts.layer].name;

  const key = [picture.id, state.model.version, acts.layer].join("|");
  if (!view || view.key !== key || !root.contains(view.node)) {
    const grid = makeCanvas(10, 10);
    grid.tabIndex = 0;
    grid.setAttribute("role", "img");
    const big = makeCanvas(...fitSize(picture.width, picture.height, 420));
    const plain = makeCanvas(...fitSize(picture.width, picture.height, 420));
    const orderSel = h("select", { "aria-label": "Order of the tiles" });
    const shared = h("input", { type: "checkbox" });
    const title = h("h2");
    const info = h("dl");
    const heading = h("h3");
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
          h("label", { class: "control" }, h("span", {}, "Order"), orderSel),
          h("label", { class: "control" }, shared, h("span", {}, "one colour range for all channels")),
          h("span", { class: "muted small" }, "Click a tile to enlarge it (← → step through)."),
        ),
        grid,
      ),
      h(
        "div",
        { class: "card channel-card" },
        heading,
        h("div", { class: "pair" }, h("figure", {}, big), h("figure", {}, plain)),
        info,
        h(
          "p",
          { class: "small muted" },
          "A channel is one feature detector: bright where the pattern it responds to appears. " +
            "Its Grad-CAM weight says how much more of it would raise the class score (red/positive) or lower it.",
        ),
      ),
    );
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
    view = { key, node, grid, big, plain, orderSel, shared, title, info, heading };
  }

  view.title.textContent = `All ${c} channels of ${layerName} (${hh}×${ww} each)`;
  clear(view.orderSel).append(
    h("option", { value: "index", selected: state.featureOrder === "index" }, "channel number"),
    h("option", { value: "weight", selected: state.featureOrder === "weight" }, `Grad-CAM weight for “${names[cls]}”, largest first`),
  );
  view.shared.checked = state.featureShared;
  view.layout = drawFeatureGrid(view.grid, acts.data, shape, order, {
    cols,
    scale: gridScale(shape, cols),
    shared: state.featureShared,
    lut,
    selected,
  });
  // As large as the space left allows (tiles stay crisp: pixelated scaling).
  const rect = view.grid.parentElement.getBoundingClientRect();
  const availH = Math.max(240, window.innerHeight - view.grid.getBoundingClientRect().top - 70);
  const width = Math.min(rect.width - 32, (availH * view.grid.width) / view.grid.height);
  view.grid.style.width = `${Math.floor(width)}px`;
  view.grid.setAttribute("aria-label", `${c} feature maps of ${layerName}; channel ${selected} selected`);

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
  const rank = order.indexOf(selected);
  clear(view.heading).append(`Channel ${selected}`);
  append(clear(view.info), [
    names.map((n, k) => [h("dt", {}, `Grad-CAM weight for ${n}`), h("dd", {}, fmt(maps.weights[k][selected], 4))]),
    h("dt", {}, "activation range"),
    h("dd", {}, `${fmt(lo)} … ${fmt(hi)}`),
    h("dt", {}, "place in this order"),
    h("dd", {}, `${rank + 1} of ${c}`),
  ]);
  view.selected = selected;
  view.order = order;
  view.cls = cls;
}

// ← / → : the previous / next channel in the current order.
export function stepChannel(delta) {
  if (!view || !view.order) return;
  const i = view.order.indexOf(view.selected);
  const next = view.order[Math.max(0, Math.min(view.order.length - 1, i + delta))];
  update({ channel: next });
}

export function exportFeatures({ picture, acts }) {
  if (!view) return null;
  const layerName = state.model.info.layers[acts.layer].name;
  return composeTable({
    title: `camscope — ${picture.name}: the ${acts.shape[0]} channels of ${layerName}`,
    subtitle: `order: ${state.featureOrder === "weight" ? `Grad-CAM weight for ${classNames()[view.cls]}` : "channel number"} · colours ${state.cmap}`,
    header: ["all channels", `channel ${view.selected}`, ""],
    rows: [[{ canvas: view.grid }, { canvas: view.big }, { canvas: view.plain }]],
    cell: Math.max(360, view.grid.width),
  });
}

// The Compare view (the lab's tables): rows = the pictures (samples and the person's own),
// columns = picture, then each class's map — one table per method — and a table with
// Grad-CAM and Layer-CAM side by side for each picture's predicted class.
import { state, classNames, NORMS } from "./state.js";
import { h, clear, percent } from "./dom.js";
import { renderMap, mapScale, fitSize, makeCanvas, drawColourBar, composeTable, fmt, maxOf } from "./draw.js";
import { rowFor } from "./engine.js";

const CELL = 220;
let view = null; // {key, node, tables: [{id, title, header, rows: [{picture, cells}], bar}], data: Map}

function methodTitle(name) {
  const m = state.model.methods.find(([n]) => n === name);
  return m ? m[1] : name;
}

function thumb(picture) {
  const c = makeCanvas(...fitSize(picture.width, picture.height, CELL));
  c.getContext("2d").drawImage(picture.canvas, 0, 0, c.width, c.height);
  return c;
}

function tableCard(title, header, pictures, extraCols, makeExport, note) {
  const rows = pictures.map((p) => {
    const cells = extraCols.map(() => {
      const canvas = makeCanvas(...fitSize(p.width, p.height, CELL));
      const cap = h("div", { class: "cap" }, "…");
      return { canvas, cap };
    });
    const pic = thumb(p);
    const predCap = h("div", { class: "cap" }, "…");
    const tr = h(
      "tr",
      {},
      h("td", {}, pic, h("div", { class: "rowname" }, p.name), predCap),
      cells.map((c) => h("td", {}, c.canvas, c.cap)),
    );
    return { picture: p, pic, predCap, cells, tr };
  });
  const bars = h("div", { class: "bars-slot" });
  const button = h("button", { type: "button", onclick: makeExport, title: "Save this table as a PNG picture" }, "Save PNG");
  const node = h(
    "div",
    { class: "card table-card" },
    h("header", {}, h("h3", {}, title), bars, button),
    note ? h("p", { class: "small muted", style: { margin: 0 } }, note) : null,
    h("table", { class: "lab" }, h("thead", {}, h("tr", {}, header.map((t) => h("th", {}, t)))), h("tbody", {}, rows.map((r) => r.tr))),
  );
  return { title, header, rows, node, bars };
}

export async function renderCompare(root, { isStale }, exportButton) {
  const names = classNames();
  const methods = state.model.methods.map(([m]) => m);
  const pictures = state.pictures.slice();
  const layer = state.layer;
  const key = [state.model.version, layer, pictures.map((p) => p.id).join(",")].join("|");
  if (!view || view.key !== key || !root.contains(view.node)) {
    const l = state.model.info.layers[layer];
    const tables = methods.map((m) =>
      tableCard(
        methodTitle(m),
        ["picture", ...names],
        pictures,
        names.map((n) => n),
        () => download(tables.indexOf(tables.find((t) => t.method === m))),
      ),
    );
    tables.forEach((t, i) => (t.method = methods[i]));
    const vs = tableCard(
      `${methods.map(methodTitle).join(" vs ")} — predicted class`,
      ["picture", ...methods.map(methodTitle)],
      pictures,
      methods,
      () => download(tables.length),
      "Each row uses the class the network predicted for that picture.",
    );
    vs.vs = true;
    tables.push(vs);
    const node = h(
      "div",
      { class: "compare" },
      h(
        "div",
        { class: "view-head" },
        h("h2", {}, `Compare pictures — layer ${l.name} (${l.shape[1]}×${l.shape[2]})`),
        h("span", { class: "muted small" }, "Rows: the sample pictures and the ones you opened. Drop more pictures to add rows."),
        h("span", { class: "spacer" }),
        exportButton,
      ),
      h("div", { class: "compare-tables" }, tables.map((t) => t.node)),
    );
    clear(root).append(node);
    view = { key, node, tables, data: new Map(), layer };
  }
  const current = view;
  for (const p of pictures) {
    if (current.data.has(p.id)) continue;
    const row = await rowFor(p, layer);
    if (isStale() || view !== current) return;
    current.data.set(p.id, row);
    redraw();
  }
  redraw();
}

// Scale per method for "raw": the fixed bar top, else the largest value in the whole table.
function rawScales() {
  const scales = {};
  for (const [m] of state.model.methods) {
    let top = 0;
    for (const row of view.data.values()) for (const map of row.maps.maps[m]) top = Math.max(top, maxOf(map));
    scales[m] = state.rawMax > 0 ? state.rawMax : top;
  }
  return scales;
}

function redraw() {
  if (!view) return;
  const names = classNames();
  const lut = state.model.luts[state.cmap];
  const raw = state.norm === "raw";
  const scales = raw ? rawScales() : {};
  const norm = raw ? "raw" : state.norm;
  for (const table of view.tables) {
    clear(table.bars);
    table.barCanvases = [];
    if (raw) {
      for (const m of table.vs ? state.model.methods.map(([n]) => n) : [table.method]) {
        const bar = makeCanvas(180, 30);
        drawHorizontalBar(bar, lut, scales[m], table.vs ? methodTitle(m) : "");
        table.bars.append(bar);
        table.barCanvases.push(bar);
      }
    }
    for (const r of table.rows) {
      const row = view.data.get(r.picture.id);
      if (!row) continue;
      const { prediction, maps } = row;
      r.predCap.textContent = `${names[prediction.predicted]} ${percent(prediction.probabilities[prediction.predicted])}`;
      const jobs = table.vs
        ? state.model.methods.map(([m]) => [m, prediction.predicted])
        : names.map((n, c) => [table.method, c]);
      jobs.forEach(([m, c], i) => {
        const classMaps = maps.maps[m];
        const scale = raw ? scales[m] : mapScale(norm, classMaps, c);
        const res = renderMap(r.cells[i].canvas, r.picture.canvas, classMaps[c], maps.shape, {
          scale,
          lut,
          cmap: state.cmap,
          alpha: state.opacity,
          key: `${r.picture.id}|${state.model.version}|${maps.layer}|${m}|${c}`,
        });
        r.cells[i].cap.textContent = res.empty ? "all zero" : `${table.vs ? `${names[c]} · ` : ""}peak ${fmt(res.max)}`;
      });
    }
  }
}

function drawHorizontalBar(canvas, lut, max, label) {
  // A vertical bar would be too tall for a table header: draw it sideways.
  const v = makeCanvas(canvas.height, canvas.width);
  drawColourBar(v, lut, max, "");
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const w = canvas.width - 60;
  for (let x = 0; x < w; x++) {
    const i = Math.round((x / (w - 1)) * 255);
    ctx.fillStyle = `rgb(${lut[3 * i]}, ${lut[3 * i + 1]}, ${lut[3 * i + 2]})`;
    ctx.fillRect(x, 0, 1, 14);
  }
  ctx.fillStyle = "#1d2330";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "top";
  ctx.fillText("0", 0, 16);
  const top = fmt(max);
  ctx.fillText(top, w - ctx.measureText(top).width, 16);
  if (label) ctx.fillText(label, w + 6, 2);
}

export function refreshCompare() {
  redraw();
}

function tableCanvas(i) {
  const table = view.tables[i];
  const norm = NORMS.find(([n]) => n === state.norm)[1];
  const rows = table.rows.filter((r) => view.data.has(r.picture.id));
  return composeTable({
    title: `camscope — ${table.title}`,
    subtitle: `layer ${state.model.info.layers[view.layer].name} · normalised ${norm} · colours ${state.cmap} · model ${state.model.name}`,
    header: table.header,
    rows: rows.map((r) => [{ canvas: r.pic, caption: r.predCap.textContent }, ...r.cells.map((c) => ({ canvas: c.canvas, caption: c.cap.textContent }))]),
    labels: rows.map((r) => r.picture.name),
    cell: CELL,
    legend: table.barCanvases || [],
  });
}

let downloader = null;
export function setDownloader(fn) {
  downloader = fn;
}

function download(i) {
  if (view && downloader) downloader(tableCanvas(i), `camscope_compare_${i === view.tables.length - 1 ? "methods" : view.tables[i].method}.png`);
}

// All tables, one under another, as one PNG.
export function exportCompare() {
  if (!view) return null;
  const parts = view.tables.map((t, i) => tableCanvas(i));
  const width = Math.max(...parts.map((c) => c.width));
  const height = parts.reduce((s, c) => s + c.height, 0);
  const out = makeCanvas(width, height);
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  let y = 0;
  for (const c of parts) {
    ctx.drawImage(c, 0, y);
    y += c.height;
  }
  return out;
}

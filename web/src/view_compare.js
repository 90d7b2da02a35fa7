// The Compare view (the lab's tables): rows = the pictures (samples and the person's own),
// columns = picture, then each class's result — one table per chosen method — and a table
// with the chosen methods side by side for each picture's predicted class. A row's picture
// is a button that opens that picture in Explain.
import { state, classNames, chosenMethods, layerName } from "./state.js";
import { h, clear, percent } from "./dom.js";
import { renderMap, mapScale, fitSize, makeCanvas, drawLegend, composeTable, maxOf, drawNote, drawGradientImage } from "./draw.js";
import { rowFor, extraSpec } from "./engine.js";
import { methodTitle, layerMethods, rowResult } from "./methods.js";
import { figureLines, remPx } from "./view_explain.js";
import {
  mapCaption, mapAlt, layerWithGrid, saveName, cmapWords, normShort, gradientCaption, gradientAlt, rgbLegend, longWaitNote, WAITING,
  progressText, LABELS, REPORT, COMPARE, EXPLAIN, UI,
} from "./text.js";
import { lang } from "./i18n.js";

const CELL = 220;
let view = null; // {key, node, tables: [{title, header, rows, method | vs, legendBox}], data: Map}
let actions = { save: null, open: null, print: null };

// save(canvas, fileNameParts): download a figure; open(picture): explain that picture;
// print(): the printable lab report (report.js).
export function setCompareActions(a) {
  actions = { ...actions, ...a };
}

function thumb(picture) {
  const c = makeCanvas(...fitSize(picture.width, picture.height, CELL));
  c.getContext("2d").drawImage(picture.canvas, 0, 0, c.width, c.height);
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", COMPARE.picture(picture.name));
  return c;
}

function tableCard(spec, pictures) {
  const { title, header, columns, note, what } = spec;
  const rows = pictures.map((p) => {
    const cells = columns.map(() => {
      const canvas = makeCanvas(...fitSize(p.width, p.height, CELL));
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", COMPARE.notDrawn(p.name));
      const cap = h("div", { class: "cap" }, "…");
      return { canvas, cap };
    });
    const pic = thumb(p);
    const predCap = h("span", { class: "cap" }, "…");
    const open = h(
      "button",
      { type: "button", class: "row-open", "data-picture": p.id, title: COMPARE.explain(p.name), onclick: () => actions.open && actions.open(p) },
      h("span", { class: "sr-only" }, COMPARE.explainSr),
      h("span", { class: "rowname" }, p.name),
      predCap,
    );
    const tr = h(
      "tr",
      // The whole row answers a click; the keyboard's way in is the button.
      { onclick: (e) => !e.target.closest("button") && actions.open && actions.open(p) },
      h("td", {}, pic, open),
      cells.map((c) => h("td", {}, c.canvas, c.cap)),
    );
    return { picture: p, pic, predCap, cells, tr, open };
  });
  const legendBox = h("div", { class: "legend-slot" });
  const card = { ...spec, rows, legendBox };
  const button = h("button", { type: "button", title: COMPARE.saveTitle(what), "aria-label": saveName(COMPARE.saveName(what)), onclick: () => download(card) }, UI.savePng);
  card.node = h(
    "div",
    { class: "card table-card" },
    h("header", {}, h("h3", {}, title), button),
    legendBox,
    note ? h("p", { class: "small muted", style: { margin: 0 } }, note) : null,
    h("table", { class: "lab" }, h("thead", {}, h("tr", {}, header.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows.map((r) => r.tr))),
  );
  card.button = button;
  return card;
}

export async function renderCompare(root, { isStale }, exportButton) {
  const names = classNames();
  const methods = chosenMethods();
  const pictures = state.pictures.slice();
  const layer = state.layer;
  const extras = methods.map((m) => extraSpec(m, layer)).filter(Boolean);
  const key = [lang(), state.model.version, layer, pictures.map((p) => p.id).join(","), state.large, methods.join("+"), state.smoothSamples, state.smoothNoise].join("|");
  if (!view || view.key !== key || !root.contains(view.node)) {
    const l = state.model.info.layers[layer];
    const tables = methods.map((m) =>
      tableCard({ title: methodTitle(m), header: [COMPARE.headPicture, ...names], columns: names, method: m, what: COMPARE.table(methodTitle(m)) }, pictures),
    );
    const vsTitle = COMPARE.vsTitle(methods.map(methodTitle));
    tables.push(
      tableCard({
        title: vsTitle,
        header: [COMPARE.headPicture, ...methods.map(methodTitle)],
        columns: methods,
        vs: true,
        what: COMPARE.table(methods.length > 3 ? COMPARE.sideBySide(methods.length) : COMPARE.vs(methods.map(methodTitle))),
        note: COMPARE.vsNote,
      }, pictures),
    );
    exportButton.setAttribute("aria-label", saveName(COMPARE.allTables(tables.length)));
    const node = h(
      "div",
      { class: "compare" },
      h(
        "div",
        { class: "view-head" },
        h("h2", {}, COMPARE.title(layerWithGrid(layerName(state.model.info, layer), l.shape))),
        h("span", { class: "muted small" }, COMPARE.rows),
        h("span", { class: "spacer" }),
        exportButton,
        printButton(),
      ),
      h("div", { class: "compare-tables" }, tables.map((t) => t.node)),
    );
    clear(root).append(node);
    view = { key, node, tables, data: new Map(), layer, methods, pictures };
  }
  const current = view;
  for (const p of pictures) {
    if (current.data.has(p.id)) continue;
    // Long methods show their progress in the row's cells while the row is computed.
    current.pending = p.id;
    redraw();
    const row = await rowFor(p, layer, layerMethods(methods), extras);
    if (isStale() || view !== current) return;
    current.data.set(p.id, row);
    current.pending = null;
    redraw();
  }
  redraw();
}

// One cell's result: a column method's result for a row (see methods.js rowResult).
function cellResult(m, row, picture) {
  return rowResult({ id: m, method: m, title: methodTitle(m) }, picture.id, row.maps, row.extras);
}

// Scale per method for "raw": the fixed bar top, else the largest value in the whole table.
function rawScales() {
  const scales = {};
  for (const m of view.methods) {
    let top = 0;
    for (const [id, row] of view.data) {
      const res = cellResult(m, row, state.pictures.find((p) => p.id === id) || { id });
      if (res.type === "map") for (const map of res.classMaps) top = Math.max(top, maxOf(map));
    }
    scales[m] = state.rawMax > 0 ? state.rawMax : top;
  }
  return scales;
}

// The ends of a table's colour scale, in words or numbers.
function legendEnds(m, scales) {
  if (state.norm === "raw") return ["0", String(Number(scales[m].toPrecision(3)))];
  return ["0", state.norm === "map" ? COMPARE.eachPeak : COMPARE.strongerPeak];
}

// Whether a method's results are drawn as RGB gradient images (no colour scale).
function isRgb(m) {
  for (const [id, row] of view.data) return cellResult(m, row, { id }).type === "rgb";
  return false;
}

function tableLegends(table, scales) {
  const ms = table.vs ? view.methods : [table.method];
  return ms.filter((m) => !isRgb(m)).map((m) => {
    const [low, high] = legendEnds(m, scales);
    return { lut: state.model.luts[state.cmap], label: methodTitle(m), low, high };
  });
}

// A cell still waiting for its result: the picture dimmed with a note, and a progress bar
// for the long methods of the row being computed.
function drawWaitingCell(cell, picture, res, computing) {
  const long = res.method === "scorecam" || res.method === "smoothgrad";
  const l = state.model.info.layers[view.layer];
  drawNote(cell.canvas, picture.canvas, (long ? longWaitNote(res.method, { channels: l.shape[0], samples: state.smoothSamples }) : WAITING).filter(Boolean));
  cell.canvas.setAttribute("aria-label", LABELS.waitingAlt(methodTitle(res.method), picture.name));
  if (!long || !computing) {
    cell.cap.textContent = WAITING[0];
    delete cell.cap.dataset.progress;
    return;
  }
  if (cell.cap.dataset.progress === res.tag) return;
  clear(cell.cap);
  cell.cap.dataset.progress = res.tag;
  cell.cap.dataset.method = res.method;
  const p = state.progress[res.tag];
  cell.cap.append(
    h("progress", { max: String(p ? p.total : 1), value: String(p ? p.done : 0), "aria-label": methodTitle(res.method) }),
    h("span", { class: "progress-text" }, p ? progressText(res.method, methodTitle(res.method), p.done, p.total) : `${methodTitle(res.method)}: …`),
  );
}

// "Print lab report": enabled once every row of the view is computed.
function printButton() {
  return h("button", { type: "button", id: "print-report", disabled: true, title: REPORT.buttonTitle, onclick: () => actions.print && actions.print() }, REPORT.button);
}

function redraw() {
  if (!view) return;
  const pb = view.node.querySelector("#print-report");
  if (pb) pb.disabled = !reportReady();
  const names = classNames();
  const lut = state.model.luts[state.cmap];
  const raw = state.norm === "raw";
  const scales = raw ? rawScales() : {};
  const font = Math.round(0.78 * remPx());
  for (const table of view.tables) {
    clear(table.legendBox);
    for (const g of tableLegends(table, scales)) {
      const c = makeCanvas(10, 10);
      c.className = "colourbar";
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", EXPLAIN.colourScale(g.label, cmapWords(state.cmap).low, g.low, cmapWords(state.cmap).high, g.high));
      table.legendBox.append(c);
      drawLegend(c, lut, { low: g.low, high: g.high, label: g.label, font });
    }
    for (const m of table.vs ? view.methods : [table.method]) if (isRgb(m)) table.legendBox.append(h("p", { class: "small muted rgb-legend" }, rgbLegend(methodTitle(m))));
    for (const r of table.rows) {
      const row = view.data.get(r.picture.id);
      if (!row) {
        if (view.pending !== r.picture.id) continue;
        // The row being computed: its long methods' progress.
        const pendingRow = { maps: { layer: view.layer, maps: {}, shape: state.model.info.layers[view.layer].shape }, extras: new Map() };
        const jobs = table.vs ? view.methods.map((m) => [m, 0]) : names.map((n, c) => [table.method, c]);
        jobs.forEach(([m], i) => {
          const res = cellResult(m, pendingRow, r.picture);
          if (res.type === "wait") drawWaitingCell(r.cells[i], r.picture, res, true);
        });
        continue;
      }
      const { prediction } = row;
      const verdict = `${names[prediction.predicted]} ${percent(prediction.probabilities[prediction.predicted])}`;
      r.predCap.textContent = verdict;
      r.pic.setAttribute("aria-label", COMPARE.predictedAlt(r.picture.name, verdict));
      const jobs = table.vs ? view.methods.map((m) => [m, prediction.predicted]) : names.map((n, c) => [table.method, c]);
      jobs.forEach(([m, c], i) => {
        const cell = r.cells[i];
        const res = cellResult(m, row, r.picture);
        const title = methodTitle(m);
        if (res.type === "wait") {
          drawWaitingCell(cell, r.picture, res, false);
          return;
        }
        delete cell.cap.dataset.progress;
        if (res.type === "rgb") {
          drawGradientImage(cell.canvas, res.rgba[c], res.size[0], res.size[1], `${res.key}|${c}`);
          cell.cap.textContent = `${table.vs ? `${names[c]} · ` : ""}${gradientCaption(res.peaks[c])}`;
          cell.canvas.setAttribute("aria-label", gradientAlt({ method: title, className: names[c], picture: r.picture.name, peak: res.peaks[c] }));
          return;
        }
        const classMaps = res.classMaps;
        const peaks = classMaps.map(maxOf);
        const strongest = Math.max(...peaks);
        const scale = raw ? scales[m] : mapScale(state.norm, classMaps, c);
        const drawn = renderMap(cell.canvas, r.picture.canvas, classMaps[c], res.shape, {
          empty: LABELS.emptyMap,
          scale,
          lut,
          cmap: state.cmap,
          alpha: state.opacity,
          key: `${res.key}|${c}`,
        });
        const caption = mapCaption({
          empty: drawn.empty, peak: drawn.max, strongest, strongestName: names[peaks.indexOf(strongest)], norm: state.norm, isStrongest: peaks[c] === strongest,
        });
        cell.cap.textContent = `${table.vs ? `${names[c]} · ` : ""}${caption}`;
        cell.canvas.setAttribute("aria-label", mapAlt({ method: title, className: names[c], picture: r.picture.name, peak: drawn.max, empty: drawn.empty }));
      });
    }
  }
}

// A table row as composeTable's cells: the picture, then each result with its caption.
function rowCells(table, r, names) {
  return [
    { canvas: r.pic, caption: COMPARE.predicted(r.predCap.textContent) },
    ...r.cells.map((c, i) => ({ canvas: c.canvas, caption: `${table.vs ? methodTitle(view.methods[i]) : `${methodTitle(table.method)} · ${names[i]}`} · ${c.cap.textContent}` })),
  ];
}

function tableFigure(table) {
  const names = classNames();
  const rows = table.rows.filter((r) => view.data.has(r.picture.id));
  const shape = state.model.info.layers[view.layer].shape;
  const scales = state.norm === "raw" ? rawScales() : {};
  const ms = table.vs ? view.methods : [table.method];
  return composeTable({
    title: COMPARE.figTitle(table.title, rows.length),
    lines: [
      table.vs ? COMPARE.eachPredicted : COMPARE.classes(names),
      ...figureLines({ layer: view.layer, shape, norm: state.norm, methods: ms }),
      ...ms.filter(isRgb).map((m) => rgbLegend(methodTitle(m))),
    ],
    header: table.header,
    rows: rows.map((r) => rowCells(table, r, names)),
    labels: rows.map((r) => r.picture.name),
    cell: CELL,
    legends: tableLegends(table, scales),
    footer: [COMPARE.footer(state.model.name, normShort(state.norm))],
  });
}

function tableParts(table) {
  const l = state.model.info.layers[view.layer];
  const what = table.vs ? [{ text: view.methods.join("-vs-"), max: 200 }, "predicted-class"] : [table.method, "all-classes"];
  return ["compare", ...what, layerWithGrid(layerName(state.model.info, view.layer), l.shape), `${view.data.size}-pictures`, state.norm];
}

function download(table) {
  if (view && actions.save && view.tables.includes(table)) actions.save(tableFigure(table), tableParts(table));
}

// All tables, one under another, as one PNG (its figure record merged, for the tests).
export function exportCompare() {
  if (!view) return null;
  const parts = view.tables.map(tableFigure);
  const width = Math.max(...parts.map((c) => c.width));
  const height = parts.reduce((s, c) => s + c.height, 0);
  const out = makeCanvas(width, height);
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  const figure = { texts: [], images: [], legends: [], width, height };
  let y = 0;
  for (const c of parts) {
    ctx.drawImage(c, 0, y);
    for (const k of ["texts", "images", "legends"]) figure[k].push(...c.figure[k].map((r) => ({ ...r, y: r.y + y })));
    y += c.height;
  }
  out.figure = figure;
  const l = state.model.info.layers[view.layer];
  return { canvas: out, parts: ["compare", `all-${parts.length}-tables`, layerWithGrid(layerName(state.model.info, view.layer), l.shape), `${view.data.size}-pictures`, state.norm] };
}

// Whether every picture's row is computed (the report waits for that).
export function reportReady() {
  return Boolean(view) && view.pending == null && view.pictures.every((p) => view.data.has(p.id));
}

// The report's figures: per table its title and one figure per picture (that row alone, with
// the table's header and colour scales), so that no figure has to be cut at a page's end.
export function reportFigures() {
  if (!reportReady()) return null;
  const names = classNames();
  const shape = state.model.info.layers[view.layer].shape;
  const scales = state.norm === "raw" ? rawScales() : {};
  const line = REPORT.figureLine(layerWithGrid(layerName(state.model.info, view.layer), shape), normShort(state.norm));
  return view.tables.map((table) => ({
    title: table.title,
    figures: table.rows.map((r) => ({
      picture: r.picture.name,
      canvas: composeTable({
        title: `${table.title} — ${r.picture.name}`,
        lines: [line],
        header: table.header,
        rows: [rowCells(table, r, names)],
        labels: [r.picture.name],
        cell: CELL,
        legends: tableLegends(table, scales),
      }),
    })),
  }));
}

// The Compare view (the lab's tables): rows = the pictures (samples and the person's own),
// columns = picture, then each class's map — one table per method — and a table with
// Grad-CAM and Layer-CAM side by side for each picture's predicted class. A row's picture
// is a button that opens that picture in Explain.
import { state, classNames } from "./state.js";
import { h, clear, percent } from "./dom.js";
import { renderMap, mapScale, fitSize, makeCanvas, drawLegend, composeTable, maxOf } from "./draw.js";
import { rowFor } from "./engine.js";
import { methodTitle, figureLines, remPx } from "./view_explain.js";
import { mapCaption, mapAlt, layerWithGrid, saveName, cmapWords, normShort } from "./text.js";

const CELL = 220;
let view = null; // {key, node, tables: [{title, header, rows, method | vs, legendBox}], data: Map}
let actions = { save: null, open: null };

// save(canvas, fileNameParts): download a figure; open(picture): explain that picture.
export function setCompareActions(a) {
  actions = { ...actions, ...a };
}

function thumb(picture) {
  const c = makeCanvas(...fitSize(picture.width, picture.height, CELL));
  c.getContext("2d").drawImage(picture.canvas, 0, 0, c.width, c.height);
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", `the picture ${picture.name}`);
  return c;
}

function tableCard(spec, pictures) {
  const { title, header, columns, note, what } = spec;
  const rows = pictures.map((p) => {
    const cells = columns.map(() => {
      const canvas = makeCanvas(...fitSize(p.width, p.height, CELL));
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `map for ${p.name}, not drawn yet`);
      const cap = h("div", { class: "cap" }, "…");
      return { canvas, cap };
    });
    const pic = thumb(p);
    const predCap = h("span", { class: "cap" }, "…");
    const open = h(
      "button",
      { type: "button", class: "row-open", "data-picture": p.id, title: `Explain ${p.name}`, onclick: () => actions.open && actions.open(p) },
      h("span", { class: "sr-only" }, "Explain "),
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
  const button = h("button", { type: "button", title: `Save the ${what} as a PNG picture`, "aria-label": saveName(`the ${what}`), onclick: () => download(card) }, "Save PNG");
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
  const methods = state.model.methods.map(([m]) => m);
  const pictures = state.pictures.slice();
  const layer = state.layer;
  const key = [state.model.version, layer, pictures.map((p) => p.id).join(","), state.large].join("|");
  if (!view || view.key !== key || !root.contains(view.node)) {
    const l = state.model.info.layers[layer];
    const tables = methods.map((m) =>
      tableCard({ title: methodTitle(m), header: ["picture", ...names], columns: names, method: m, what: `${methodTitle(m)} table` }, pictures),
    );
    const vsTitle = `${methods.map(methodTitle).join(" vs ")} — predicted class`;
    tables.push(
      tableCard({
        title: vsTitle,
        header: ["picture", ...methods.map(methodTitle)],
        columns: methods,
        vs: true,
        what: `${methods.map(methodTitle).join(" vs ")} table`,
        note: "Each row uses the class the network predicted for that picture.",
      }, pictures),
    );
    exportButton.setAttribute("aria-label", saveName(`all ${tables.length} tables`));
    const node = h(
      "div",
      { class: "compare" },
      h(
        "div",
        { class: "view-head" },
        h("h2", {}, `Compare pictures — layer ${layerWithGrid(l.name, l.shape)}`),
        h("span", { class: "muted small" }, "Rows: the sample pictures and the ones you opened — click a row to explain that picture. Drop more pictures to add rows."),
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

// The ends of a table's colour scale, in words or numbers.
function legendEnds(m, scales) {
  if (state.norm === "raw") return ["0", String(Number(scales[m].toPrecision(3)))];
  return ["0", state.norm === "map" ? "each map's peak" : "stronger class's peak"];
}

function tableLegends(table, scales) {
  const ms = table.vs ? state.model.methods.map(([n]) => n) : [table.method];
  return ms.map((m) => {
    const [low, high] = legendEnds(m, scales);
    return { lut: state.model.luts[state.cmap], label: methodTitle(m), low, high };
  });
}

function redraw() {
  if (!view) return;
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
      c.setAttribute("aria-label", `${g.label} colour scale: ${cmapWords(state.cmap).low} = ${g.low}, ${cmapWords(state.cmap).high} = ${g.high}`);
      table.legendBox.append(c);
      drawLegend(c, lut, { low: g.low, high: g.high, label: g.label, font });
    }
    for (const r of table.rows) {
      const row = view.data.get(r.picture.id);
      if (!row) continue;
      const { prediction, maps } = row;
      const verdict = `${names[prediction.predicted]} ${percent(prediction.probabilities[prediction.predicted])}`;
      r.predCap.textContent = verdict;
      r.pic.setAttribute("aria-label", `the picture ${r.picture.name}, predicted ${verdict}`);
      const jobs = table.vs
        ? state.model.methods.map(([m]) => [m, prediction.predicted])
        : names.map((n, c) => [table.method, c]);
      jobs.forEach(([m, c], i) => {
        const classMaps = maps.maps[m];
        const peaks = classMaps.map(maxOf);
        const strongest = Math.max(...peaks);
        const scale = raw ? scales[m] : mapScale(state.norm, classMaps, c);
        const res = renderMap(r.cells[i].canvas, r.picture.canvas, classMaps[c], maps.shape, {
          scale,
          lut,
          cmap: state.cmap,
          alpha: state.opacity,
          key: `${r.picture.id}|${state.model.version}|${maps.layer}|${m}|${c}`,
        });
        const caption = mapCaption({
          empty: res.empty, peak: res.max, strongest, strongestName: names[peaks.indexOf(strongest)], norm: state.norm, isStrongest: peaks[c] === strongest,
        });
        r.cells[i].cap.textContent = `${table.vs ? `${names[c]} · ` : ""}${caption}`;
        r.cells[i].canvas.setAttribute("aria-label", mapAlt({ method: methodTitle(m), className: names[c], picture: r.picture.name, peak: res.max, empty: res.empty }));
      });
    }
  }
}

function tableFigure(table) {
  const names = classNames();
  const rows = table.rows.filter((r) => view.data.has(r.picture.id));
  const first = rows.length ? view.data.get(rows[0].picture.id).maps : null;
  const shape = first ? first.shape : state.model.info.layers[view.layer].shape;
  const scales = state.norm === "raw" ? rawScales() : {};
  return composeTable({
    title: `camscope — ${table.title}: ${rows.length} pictures`,
    lines: [
      table.vs ? "each picture's predicted class" : `classes: ${names.join(", ")}`,
      ...figureLines({ layer: view.layer, shape, norm: state.norm, methods: table.vs ? state.model.methods.map(([m]) => m) : [table.method] }),
    ],
    header: table.header,
    rows: rows.map((r) => [
      { canvas: r.pic, caption: `predicted ${r.predCap.textContent}` },
      ...r.cells.map((c, i) => ({ canvas: c.canvas, caption: `${table.vs ? methodTitle(state.model.methods[i][0]) : `${methodTitle(table.method)} · ${names[i]}`} · ${c.cap.textContent}` })),
    ]),
    labels: rows.map((r) => r.picture.name),
    cell: CELL,
    legends: tableLegends(table, scales),
    footer: [`model ${state.model.name} · normalised ${normShort(state.norm)}`],
  });
}

function tableParts(table) {
  const l = state.model.info.layers[view.layer];
  const what = table.vs ? [state.model.methods.map(([m]) => m).join("-vs-"), "predicted-class"] : [table.method, "all-classes"];
  return ["compare", ...what, layerWithGrid(l.name, l.shape), `${view.data.size}-pictures`, state.norm];
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
  return { canvas: out, parts: ["compare", `all-${parts.length}-tables`, layerWithGrid(l.name, l.shape), `${view.data.size}-pictures`, state.norm] };
}

// The Explain view: the picture, the prediction, and the chosen methods' results for every
// class (maps over the picture, or the RGB gradient images of the picture methods), and a
// fused view of several layers when one is chosen.
import { state, classNames, layerName } from "./state.js";
import { h, clear, percent, append } from "./dom.js";
import { renderMap, mapScale, fitSize, drawLegend, composeTable, makeCanvas, maxOf, drawNote, drawGradientImage, isEmptyMap, prepareOverlay } from "./draw.js";
import { methodTitle, explainRows, rowResult, fusedLayerNames } from "./methods.js";
import {
  cmapWords, knowsOnly, evidenceSentence, normNote, normShort, mapCaption, legendEnds, pictureWarnings, mapAlt, layerWithGrid,
  saveName, pictureStem, layerNote, layerHint, longWaitNote, WAITING, progressText, gradientCaption, rgbLegend, gradientAlt, fusedLayers, LABELS, EXPLAIN, UI,
} from "./text.js";
import { lang } from "./i18n.js";

export const MAP_SIDE = 560;
// Below this side (CSS px) maps are too small to read: the view scrolls instead, with maps of
// up to SCROLL_SIDE.
const MIN_FIT_SIDE = 100;
const SCROLL_SIDE = 300;
// Narrower than this (CSS px: phones, a small tablet upright) the maps are one column as wide
// as the card, each with its method and class above it, and the page scrolls down.
export const PHONE_WIDTH = 640;
// Up to this width (a tablet upright; style.css stacks the picture above the maps there) the
// maps take the width, as large as it allows, and the page scrolls down rather than shrink
// them to fit the height.
export const TABLET_WIDTH = 820;

let built = null; // {key, rows, canvases: {row: [canvas per class]}, legends: {row: canvas}, ...}

// "features.14 13×13 (256 channels)"
export function layerLabel(maps) {
  return EXPLAIN.layerLabel(layerWithGrid(layerName(state.model.info, maps.layer), maps.shape), maps.shape[0]);
}

// The page's type size in CSS pixels (1 rem): canvas text follows it (large type).
export function remPx() {
  return parseFloat(getComputedStyle(document.documentElement).fontSize) || 15;
}

function predictionBlock(picture, prediction, note) {
  const names = classNames();
  const win = prediction.predicted;
  const warnings = pictureWarnings(picture, state.model.info.input);
  return h(
    "div",
    { class: "prediction" },
    h(
      "div",
      { class: "prediction-main" },
      h("p", { class: "verdict", "data-testid": "verdict" }, names[win], h("span", { class: "p" }, percent(prediction.probabilities[win]))),
      names.map((name, c) =>
        h(
          "div",
          { class: `prob-row${c === win ? " win" : ""}` },
          h("span", { class: "name" }, name),
          h("span", { class: "bar", role: "img", "aria-label": `${name} ${percent(prediction.probabilities[c])}` },
            h("i", { style: { width: `${(100 * prediction.probabilities[c]).toFixed(1)}%` } })),
          h("span", { class: "num" }, percent(prediction.probabilities[c])),
        ),
      ),
      h(
        "p",
        { class: "logits", title: EXPLAIN.logitsTitle },
        EXPLAIN.scores,
        names.map((n, c) => `${n} ${prediction.logits[c].toFixed(2)}`).join(" · "),
      ),
    ),
    h(
      "div",
      { class: "prediction-notes" },
      h("p", { class: "knows-only", "data-testid": "knows-only" }, knowsOnly(names)),
      warnings.map((w) => h("p", { class: "picture-warning", "data-testid": "picture-warning" }, w)),
      note,
    ),
  );
}

// Places the map cells: "grid" (rows = methods, columns = classes), "columns" (rows =
// classes, columns = methods: for many methods) or "strip" (one row, grouped by method), and
// the picture card beside the maps or as a band above them — whichever gives the largest maps
// that fit the window without scrolling. Each candidate is laid out and measured (captions
// wrap, fonts differ), then grown or shrunk to fit.
function arrange(b, rows, names, aspect) {
  const M = rows.length;
  const C = names.length;
  if (window.innerWidth < PHONE_WIDTH) {
    b.node.classList.remove("band");
    fitPicture(b, Infinity);
    place(b, rows, names, "list", 100, aspect);
    const size = Math.max(80, Math.floor(b.grid.clientWidth));
    place(b, rows, names, "list", size, aspect);
    b.pictureCanvas.style.maxWidth = "";
    b.grid.dataset.layout = "list";
    b.grid.dataset.scroll = "yes";
    b.node.dataset.picture = "above";
    b.node.dataset.tried = `list ${size}`;
    return;
  }
  const pad = parseFloat(getComputedStyle(b.main).paddingBottom) + (b.footer.offsetParent ? b.footer.offsetHeight : 0);
  const bottom = () => window.innerHeight - pad - 2; // lowest y (in the page) content may reach
  const trial = (band, mode, fitHeight = true, cap = SCROLL_SIDE, start = 160) => {
    b.node.classList.toggle("band", band);
    fitPicture(b, fitHeight ? bottom() : Infinity);
    const gridRows = mode === "grid" ? M : mode === "columns" ? C : 1;
    const cols = mode === "grid" ? C : mode === "columns" ? M : M * C;
    let size = start;
    for (let i = 0; i < 5; i++) {
      place(b, rows, names, mode, size, aspect);
      const g = b.grid.getBoundingClientRect();
      let right = g.left;
      for (const el of b.grid.children) right = Math.max(right, el.getBoundingClientRect().right);
      const roomW = (b.grid.clientWidth - (right - g.left)) / cols;
      const roomH = fitHeight ? ((bottom() - b.mapsCard.getBoundingClientRect().bottom - window.scrollY) * aspect) / gridRows : Infinity;
      const next = Math.max(80, Math.min(fitHeight ? Infinity : cap, Math.floor(size + Math.min(roomW, roomH))));
      if (Math.abs(next - size) < 1) break;
      size = next;
    }
    place(b, rows, names, mode, size, aspect);
    // Captions may have wrapped differently at the last size: never end over the edge.
    for (let i = 0; i < 3 && fitHeight; i++) {
      const over = b.mapsCard.getBoundingClientRect().bottom + window.scrollY - bottom();
      if (over <= 0 || size <= 80) break;
      size = Math.max(80, Math.floor(size - (over * aspect) / gridRows) - 1);
      place(b, rows, names, mode, size, aspect);
    }
    return size;
  };
  if (window.innerWidth <= TABLET_WIDTH) {
    const size = trial(false, "grid", false, Infinity);
    b.pictureCanvas.style.maxWidth = "";
    b.grid.dataset.layout = "grid";
    b.grid.dataset.scroll = "yes";
    b.node.dataset.picture = "above";
    b.node.dataset.tried = `tablet grid ${size}`;
    return;
  }
  const modes = ["grid"];
  if (M > C) modes.push("columns");
  if (M * C <= 6) modes.push("strip");
  let best = null;
  const tried = [];
  for (const band of [false, true])
    for (const mode of modes) {
      const size = trial(band, mode);
      tried.push(`${band ? "band" : "side"} ${mode} ${size}`);
      if (!best || size > best.size * 1.03) best = { band, mode, size };
    }
  // Too many rows to fit at a readable size: one map per method and class, as large as the
  // width allows (up to SCROLL_SIDE), and the page scrolls.
  const scroll = best.size < MIN_FIT_SIDE;
  if (scroll) {
    best = { band: false, mode: "grid", size: trial(false, "grid", false) };
    tried.push(`scroll grid ${best.size}`);
  } else trial(best.band, best.mode, true, SCROLL_SIDE, best.size); // from its size: one or two steps
  // The maps are the content: the picture beside them is never the larger.
  b.pictureCanvas.style.maxWidth = `${best.size}px`;
  b.grid.dataset.layout = best.mode;
  b.grid.dataset.scroll = scroll ? "yes" : "no";
  b.node.dataset.picture = best.band ? "band" : "side";
  b.node.dataset.tried = tried.join(", "); // the candidates' map sizes (for the tests and curious readers)
}

// The picture beside the maps gets at most the height its card leaves (never makes the page
// scroll); as a band it stays small (style.css).
function fitPicture(b, bottom) {
  const pic = b.pictureCanvas;
  pic.style.maxHeight = "";
  pic.style.maxWidth = "";
  if (b.node.classList.contains("band")) return;
  const card = b.pictureCard.getBoundingClientRect();
  const over = card.bottom + window.scrollY - bottom;
  if (over > 0) pic.style.maxHeight = `${Math.max(0, Math.floor(pic.getBoundingClientRect().height - over))}px`;
}

// Puts the cells in `mode` at `size` CSS px. The grid's elements are made when the mode
// changes; at another size only the sizes change (arrange tries several sizes of a mode, and
// new elements would each need their style worked out again: at the cold start the layout
// went from 24-44 to 12-34 ms).
function place(b, rows, names, mode, size, aspect) {
  const C = names.length;
  const grid = b.grid;
  const height = Math.round(size / aspect);
  for (const r of rows)
    for (const { canvas } of b.cells[r.id]) {
      canvas.style.width = `${size}px`;
      canvas.style.height = `${height}px`;
    }
  if (mode === "grid") grid.style.gridTemplateColumns = `auto repeat(${C}, ${size}px)`;
  else if (mode === "columns") grid.style.gridTemplateColumns = `auto repeat(${rows.length}, ${size}px)`;
  else if (mode === "list") grid.style.gridTemplateColumns = `${size}px`;
  else grid.style.gridTemplateColumns = rows.map(() => `repeat(${C}, ${size}px)`).join(" ");
  // A method's name beside its row, written upwards; as tall as the row at most (it wraps).
  if (b.placed === mode) {
    for (const head of grid.querySelectorAll(".row-head")) head.style.maxHeight = `${height}px`;
    return;
  }
  b.placed = mode;
  clear(grid);
  const cell = (r, c) => b.cells[r.id][c].node;
  const colHead = (c) => h("div", { class: "col-head", "data-class": c });
  const rowHead = (r) => h("div", { class: "row-head", style: { maxHeight: `${height}px` } }, r.title);
  if (mode === "grid") {
    append(grid, [h("div"), names.map((n, c) => colHead(c))]);
    for (const r of rows) append(grid, [rowHead(r), names.map((n, c) => cell(r, c))]);
  } else if (mode === "columns") {
    append(grid, [h("div"), rows.map((r) => h("div", { class: "col-head method-head", title: r.title }, r.title))]);
    names.forEach((n, c) => append(grid, [h("div", { class: "row-head", "data-class": c, style: { maxHeight: `${height}px` } }), rows.map((r) => cell(r, c))]));
  } else if (mode === "list") {
    // one column: a method's name, then each class's heading and map
    for (const r of rows) append(grid, [h("div", { class: "group-head" }, r.title), names.map((n, c) => [colHead(c), cell(r, c)])]);
  } else {
    append(grid, [rows.map((r) => h("div", { class: "group-head", style: { gridColumn: `span ${C}` } }, r.title))]);
    append(grid, [rows.map(() => names.map((n, c) => colHead(c)))]);
    append(grid, [rows.map((r) => names.map((n, c) => cell(r, c)))]);
  }
  drawHeads(b);
}

// The class headings (above the columns, or beside the rows): name, probability, a star on
// the predicted class.
function drawHeads(b) {
  const names = classNames();
  const prediction = b.prediction;
  b.grid.querySelectorAll("[data-class]").forEach((el) => {
    const c = Number(el.dataset.class);
    clear(el).append(
      h("span", {}, names[c]),
      h("span", { class: "p" }, percent(prediction.probabilities[c])),
      c === prediction.predicted ? h("span", { class: "star", title: UI.predictedClass }, "★", h("span", { class: "sr-only" }, EXPLAIN.predicted)) : "",
    );
  });
}

// The waiting cell of a long method (or any result not there yet): the picture dimmed with a
// note, the caption a progress bar that main.js moves in place.
function drawWaiting(canvas, cap, picture, result, maps) {
  const long = result.method === "scorecam" || result.method === "smoothgrad";
  const lines = long ? longWaitNote(result.method, { channels: maps.shape[0], samples: state.smoothSamples }) : WAITING;
  drawNote(canvas, picture.canvas, lines.filter(Boolean));
  if (cap.dataset.progress === result.tag && cap.querySelector("progress")) return;
  clear(cap);
  cap.dataset.progress = result.tag;
  cap.dataset.method = result.method;
  if (!long || !result.tag) {
    cap.append(WAITING[0]);
    return;
  }
  const p = state.progress[result.tag];
  const title = methodTitle(result.method);
  cap.append(
    h("progress", { max: String(p ? p.total : 1), value: String(p ? p.done : 0), "aria-label": title }),
    h("span", { class: "progress-text" }, p ? progressText(result.method, title, p.done, p.total) : `${title}: …`),
  );
}

// Builds the DOM for this picture/layer/window/set of rows, or reuses it and only redraws.
// `firstPaint` (the page's first map): only the first method's map of the predicted class is
// drawn now, the others are left to the function returned, for the page to call once the
// browser has shown that one (at the cold start each 560 px overlay takes 20-45 ms, its code
// not yet optimised). Otherwise everything is drawn and null is returned.
export function renderExplain(root, { picture, prediction, maps, extras }, exportButton, { firstPaint = false } = {}) {
  const names = classNames();
  const rows = explainRows();
  const info = state.model.info;
  const lname = layerName(info, maps.layer);
  const key = [lang(), picture.id, state.model.version, maps.layer, names.length, window.innerWidth, window.innerHeight, state.large, rows.map((r) => r.id).join("+"), rows.map((r) => r.title).join("+")].join("|");
  if (!built || built.key !== key || !root.contains(built.node)) {
    const [mw, mh] = mapSize(picture);
    const pictureCanvas = makeCanvas(...fitSize(picture.width, picture.height, 480));
    pictureCanvas.getContext("2d").drawImage(picture.canvas, 0, 0, pictureCanvas.width, pictureCanvas.height);
    pictureCanvas.setAttribute("aria-label", EXPLAIN.picture(picture.name));
    pictureCanvas.setAttribute("role", "img");
    pictureCanvas.className = "picture";
    const canvases = {};
    const captions = {};
    const cells = {};
    const legends = {};
    for (const r of rows) {
      canvases[r.id] = [];
      captions[r.id] = [];
      cells[r.id] = [];
      names.forEach((name, c) => {
        const canvas = makeCanvas(mw, mh);
        canvas.dataset.method = r.id;
        canvas.dataset.class = String(c);
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", EXPLAIN.mapFor(r.title, name));
        canvas.dataset.enlarge = "";
        canvas.title = UI.enlarge;
        const cap = h("div", { class: "cap" });
        canvases[r.id].push(canvas);
        captions[r.id].push(cap);
        cells[r.id].push({ canvas, node: h("div", { class: "map-cell" }, canvas, cap) });
      });
      legends[r.id] = makeCanvas(240, 36);
      legends[r.id].className = "colourbar";
      legends[r.id].dataset.legend = r.id;
      legends[r.id].setAttribute("role", "img");
    }
    const rgbNote = h("p", { class: "rgb-legend small muted", hidden: true });
    const grid = h("div", { class: "maps" });
    const note = h("p", { class: "maps-note", "data-testid": "maps-note" });
    const mapsCard = h(
      "div",
      { class: "card maps-card" },
      h(
        "div",
        { class: "view-head" },
        // One line: the question gives way before the layer's name does.
        h("h2", { class: "one-line" }, h("span", { class: "question" }, EXPLAIN.question), h("span", { class: "muted layer-name" }, EXPLAIN.layer(layerWithGrid(lname, maps.shape)))),
        // How to choose a layer: a short hint in the room the heading leaves (it gives way
        // first), the whole note as its tooltip.
        h("span", { class: "layer-hint", "data-testid": "layer-note", title: layerNote(lname, maps.shape, maps.layer === info.defaultLayer) }, layerHint(maps.layer === info.defaultLayer)),
        exportButton,
      ),
      grid,
      h("div", { class: `legends${rows.length > 3 ? " many" : ""}` }, rows.map((r) => legends[r.id]), rgbNote),
    );
    // What the colours and the normalisation mean sits with the prediction: the maps keep
    // the height.
    const pictureCard = h(
      "div",
      { class: "card picture-card" },
      pictureCanvas,
      h("div", { class: "picture-text" }, h("p", { class: "picture-name", title: picture.name }, pictureInfo(picture)), predictionBlock(picture, prediction, note)),
    );
    const node = h("div", { class: "explain" }, pictureCard, mapsCard);
    exportButton.setAttribute("aria-label", saveName(EXPLAIN.thesemaps));
    clear(root).append(node);
    built = {
      key, rows, node, canvases, captions, cells, legends, rgbNote, grid, note, pictureCanvas, pictureCard, mapsCard, prediction,
      main: document.querySelector("main"), footer: document.querySelector("footer"), fitted: "", results: {},
    };
  }
  built.prediction = prediction;

  // Redraw: colour map, opacity, normalisation, results that arrived.
  const lut = state.model.luts[state.cmap];
  const font = Math.round(0.8 * remPx());
  const draws = []; // [row, class, draw()]: the maps' pixels, drawn after the layout below
  for (const r of rows) {
    const result = rowResult(r, picture.id, maps, extras);
    built.results[r.id] = result;
    const legend = built.legends[r.id];
    legend.hidden = result.type !== "map";
    if (result.type === "wait") {
      names.forEach((n, c) => drawWaiting(built.canvases[r.id][c], built.captions[r.id][c], picture, result, maps));
      continue;
    }
    for (const cap of built.captions[r.id]) delete cap.dataset.progress;
    if (result.type === "rgb") {
      const [hh, ww] = result.size;
      result.rgba.forEach((rgba, c) => {
        drawGradientImage(built.canvases[r.id][c], rgba, hh, ww, `${result.key}|${c}`);
        built.captions[r.id][c].textContent = gradientCaption(result.peaks[c]);
        built.canvases[r.id][c].setAttribute("aria-label", gradientAlt({ method: r.title, className: names[c], picture: picture.name, peak: result.peaks[c] }));
      });
      continue;
    }
    const classMaps = result.classMaps;
    const peaks = classMaps.map(maxOf);
    const strongest = Math.max(...peaks);
    const top = peaks.indexOf(strongest);
    classMaps.forEach((map, c) => {
      const scale = mapScale(state.norm, classMaps, c, state.rawMax);
      const canvas = built.canvases[r.id][c];
      const options = { empty: LABELS.emptyMap, scale, lut, cmap: state.cmap, alpha: state.opacity, key: `${result.key}|${c}` };
      draws.push([r, c, () => renderMap(canvas, picture.canvas, map, result.shape, options)]);
      const res = { max: peaks[c], empty: isEmptyMap(peaks[c]) }; // what renderMap will say
      built.captions[r.id][c].textContent = mapCaption({
        empty: res.empty, peak: res.max, strongest, strongestName: names[top], norm: state.norm, isStrongest: c === top,
      });
      built.canvases[r.id][c].setAttribute("aria-label", mapAlt({ method: r.title, className: names[c], picture: picture.name, peak: res.max, empty: res.empty }));
    });
    const [low, high] = legendEnds(state.norm, mapScale("raw", classMaps, 0, state.rawMax));
    legend.dataset.font = String(font);
    legend.dataset.low = low;
    legend.dataset.high = high;
    legend.setAttribute("aria-label", EXPLAIN.colourScale(r.title, cmapWords(state.cmap).low, low, cmapWords(state.cmap).high, high));
  }
  const rgbRows = rows.filter((r) => built.results[r.id].type === "rgb").map((r) => r.title);
  built.rgbNote.hidden = !rgbRows.length;
  built.rgbNote.textContent = rgbRows.length ? rgbLegend(rgbRows) : "";
  built.note.textContent = `${evidenceSentence(state.cmap)} ${normNote(state.norm)}`;
  // Text lengths change with the normalisation, colours and results, and the space above
  // with a message or a longer list of pictures: fit again when any of them does.
  const types = rows.map((r) => built.results[r.id].type).join("");
  const fitted = [key, state.norm, state.cmap, types, Math.round(built.node.getBoundingClientRect().top + window.scrollY)].join("|");
  if (built.fitted !== fitted) {
    arrange(built, rows, names, picture.width / picture.height);
    built.fitted = fitted;
  } else drawHeads(built);
  for (const r of rows) {
    const g = built.legends[r.id];
    if (!g.hidden) drawLegend(g, lut, { low: g.dataset.low, high: g.dataset.high, label: r.title, font: Number(g.dataset.font) });
  }
  const first = firstPaint ? draws.find(([r, c]) => r === draws[0][0] && c === prediction.predicted) : null;
  if (!first) {
    for (const [, , draw] of draws) draw();
    return null;
  }
  first[2]();
  return () => {
    for (const d of draws) if (d !== first) d[2]();
  };
}

// Makes ready, while the picture's forward pass runs (the page's thread waits then), what
// drawing its maps will need first: the picture's pixels at the maps' size and the blend's
// table at this opacity (drawOverlay keeps both).
export function prepareExplain(picture) {
  prepareOverlay(picture.canvas, ...mapSize(picture), state.opacity);
}

// The maps' canvas size for `picture` (its long side MAP_SIDE): renderExplain's canvases,
// and what prepareExplain makes ready.
function mapSize(picture) {
  return fitSize(picture.width, picture.height, MAP_SIDE);
}

export function pictureInfo(picture) {
  const size = EXPLAIN.size(picture.width, picture.height);
  const orig = picture.originalWidth && picture.originalWidth !== picture.width ? EXPLAIN.from(picture.originalWidth, picture.originalHeight) : "";
  return `${picture.name} · ${size}${orig}`;
}

// The lines every exported figure carries about the maps: picture, layer with its grid,
// normalisation, colours. `norm`: the normalisation the figure's maps use; `methods`: names.
export function figureLines({ picture, prediction, layer, shape, norm, methods }) {
  const names = classNames();
  const w = cmapWords(state.cmap);
  const lines = [];
  if (picture) lines.push(EXPLAIN.linePicture(picture.name, picture.width, picture.height, prediction ? `${names[prediction.predicted]} ${percent(prediction.probabilities[prediction.predicted])}` : ""));
  lines.push(EXPLAIN.lineLayer(layerWithGrid(layerName(state.model.info, layer), shape), shape[0], methods ? methods.map(methodTitle) : null));
  lines.push(EXPLAIN.lineNorm(normShort(norm)));
  lines.push(EXPLAIN.lineColours(w.name, w.low, w.high, Math.round(state.opacity * 100)));
  return lines;
}

// The legends of an exported figure: one colour scale per method. classMapsOf(m): the raw
// maps of method m (one per class).
export function figureLegends(methods, classMapsOf, norm, titleOf = methodTitle) {
  const lut = state.model.luts[state.cmap];
  return methods.map((m) => {
    const [low, high] = legendEnds(norm, norm === "raw" && state.rawMax > 0 ? state.rawMax : Math.max(...classMapsOf(m).map(maxOf)));
    return { lut, label: titleOf(m), low, high };
  });
}

// The view as one PNG: picture + results, one row per method (rows still waiting for their
// passes are left out and named).
export function exportExplain({ picture, prediction, maps }) {
  if (!built) return null;
  const names = classNames();
  const rows = built.rows.filter((r) => built.results[r.id] && built.results[r.id].type !== "wait");
  const waiting = built.rows.filter((r) => !rows.includes(r)).map((r) => r.title);
  const header = [EXPLAIN.headPicture, ...names.map((n, c) => `${n} ${percent(prediction.probabilities[c])}`)];
  const figureRows = rows.map((r) => {
    const row = [{ canvas: built.pictureCanvas, caption: picture.name }];
    built.canvases[r.id].forEach((canvas, c) => row.push({ canvas, caption: `${r.title} · ${names[c]} · ${built.captions[r.id][c].textContent}` }));
    return row;
  });
  const mapRows = rows.filter((r) => built.results[r.id].type === "map");
  const fused = rows.find((r) => r.fuse);
  const lines = figureLines({ picture, prediction, layer: maps.layer, shape: maps.shape, norm: state.norm, methods: rows.filter((r) => !r.fuse).map((r) => r.method) });
  if (fused) lines.push(LABELS.fusedLine(fused.title, fusedLayers(fusedLayerNames(fused.fuse))));
  const rgbRows = rows.filter((x) => built.results[x.id].type === "rgb").map((r) => r.title);
  if (rgbRows.length) lines.push(rgbLegend(rgbRows));
  if (waiting.length) lines.push(LABELS.notYet(waiting));
  lines.push(knowsOnly(names));
  const canvas = composeTable({
    title: `camscope — ${picture.name}: ${names[prediction.predicted]} (${percent(prediction.probabilities[prediction.predicted])})`,
    lines,
    header,
    rows: figureRows,
    labels: rows.map((r) => r.title),
    cell: 280,
    legends: figureLegends(mapRows.map((r) => r.id), (id) => built.results[id].classMaps, state.norm, (id) => rows.find((r) => r.id === id).title),
    footer: [EXPLAIN.model(state.model.name)],
  });
  const lname = layerName(state.model.info, maps.layer);
  const methodPart = rows.filter((r) => !r.fuse).map((r) => r.method).join("+");
  const fusedPart = fused ? [`fused-${fused.fuse.rule}-${fused.method}`, { text: fusedLayerNames(fused.fuse).join("+"), max: 80 }] : [];
  return { canvas, parts: ["explain", pictureStem(picture.name), layerWithGrid(lname, maps.shape), { text: methodPart, max: 160 }, ...fusedPart, "all-classes", state.norm] };
}

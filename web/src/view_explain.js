// The Explain view: the picture, the prediction, and every method's map for every class.
import { state, classNames, NORMS } from "./state.js";
import { h, clear, percent, append } from "./dom.js";
import { renderMap, mapScale, fitSize, drawColourBar, composeTable, makeCanvas, fmt, maxOf } from "./draw.js";

export const MAP_SIDE = 560;

let built = null; // {key, canvases: {method: [canvas per class]}, bars: {method: canvas}, ...}

function methodTitle(name) {
  const m = state.model.methods.find(([n]) => n === name);
  return m ? m[1] : name;
}

export function layerLabel(maps) {
  const l = state.model.info.layers[maps.layer];
  return `${l.name} (${maps.shape[0]} channels, ${maps.shape[1]}×${maps.shape[2]})`;
}

function predictionBlock(prediction) {
  const names = classNames();
  const win = prediction.predicted;
  return h(
    "div",
    { class: "prediction" },
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
      { class: "logits", title: "The raw class scores y^c (logits); the probabilities are their softmax. The maps explain these scores." },
      "scores y: ",
      names.map((n, c) => `${n} ${prediction.logits[c].toFixed(2)}`).join(" · "),
    ),
  );
}

function normNote() {
  if (state.norm === "map") return "Each map is scaled to its own peak: compare where, not how strongly.";
  if (state.norm === "shared") return "The classes of a method share one scale: the weaker class looks weaker.";
  return "Raw map values on the colour bar (top = the stronger class's peak, or the value you fix) — fix “Bar top” to compare pictures.";
}

// Places the map cells: "grid" (rows = methods, columns = classes) or "strip" (one row,
// grouped by method), whichever gives larger maps in the space left on screen.
function arrange(grid, methods, names, cells, bars, aspect) {
  const M = methods.length;
  const C = names.length;
  const raw = Object.keys(bars).length > 0;
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 15;
  const W = grid.clientWidth;
  const top = grid.getBoundingClientRect().top + window.scrollY;
  const H = Math.max(12 * rem, window.innerHeight - top - 6.2 * rem);
  const gap = 0.9 * rem;
  const headH = 1.9 * rem;
  const capH = 1.5 * rem;
  const barW = raw ? 5 * rem : 0;
  const rowHeadW = 2 * rem;
  const fit = (cols, rows, heads, extraW) => {
    const w = (W - extraW - gap * (cols - 1)) / cols;
    const h = (H - heads * headH - rows * capH - gap * (rows - 1)) / rows;
    return Math.floor(Math.max(80, Math.min(w, h * aspect)));
  };
  const gridW = fit(C, M, 1, rowHeadW + M * 0 + (raw ? barW + gap : 0));
  const stripW = M * C > 6 ? 0 : fit(M * C, 1, 2, raw ? M * (barW + gap) : 0);
  const mode = stripW > gridW * 1.08 ? "strip" : "grid";
  const size = mode === "strip" ? stripW : gridW;
  clear(grid);
  grid.dataset.layout = mode;
  const cell = (m, c) => {
    cells[m][c].canvas.style.width = `${size}px`;
    return cells[m][c].node;
  };
  const colHead = (c) => h("div", { class: "col-head", "data-class": c });
  if (mode === "grid") {
    grid.style.gridTemplateColumns = `auto repeat(${C}, ${size}px)${raw ? " auto" : ""}`;
    append(grid, [h("div"), names.map((n, c) => colHead(c)), raw ? h("div") : null]);
    for (const m of methods) {
      append(grid, [h("div", { class: "row-head" }, methodTitle(m)), names.map((n, c) => cell(m, c))]);
      if (raw) append(grid, [h("div", { class: "colourbar-cell" }, bars[m])]);
    }
  } else {
    const perMethod = raw ? `repeat(${C}, ${size}px) auto` : `repeat(${C}, ${size}px)`;
    grid.style.gridTemplateColumns = methods.map(() => perMethod).join(" ");
    const span = C + (raw ? 1 : 0);
    append(grid, [methods.map((m) => h("div", { class: "group-head", style: { gridColumn: `span ${span}` } }, methodTitle(m)))]);
    append(grid, [methods.map(() => [names.map((n, c) => colHead(c)), raw ? h("div") : null])]);
    append(grid, [methods.map((m) => [names.map((n, c) => cell(m, c)), raw ? h("div", { class: "colourbar-cell" }, bars[m]) : null])]);
  }
  for (const m of Object.keys(bars)) bars[m].style.height = `${Math.round(size / aspect)}px`;
}

// Builds the DOM for this picture/layer/normalisation, or reuses it and only redraws.
export function renderExplain(root, { picture, prediction, maps }, exportButton) {
  const names = classNames();
  const methods = state.model.methods.map(([m]) => m);
  const raw = state.norm === "raw";
  const key = [picture.id, state.model.version, maps.layer, raw, names.length, window.innerWidth, window.innerHeight, state.large].join("|");
  if (!built || built.key !== key || !root.contains(built.node)) {
    const [mw, mh] = fitSize(picture.width, picture.height, MAP_SIDE);
    const pictureCanvas = makeCanvas(...fitSize(picture.width, picture.height, 480));
    pictureCanvas.getContext("2d").drawImage(picture.canvas, 0, 0, pictureCanvas.width, pictureCanvas.height);
    pictureCanvas.setAttribute("aria-label", `the picture ${picture.name}`);
    pictureCanvas.setAttribute("role", "img");
    const canvases = {};
    const captions = {};
    const cells = {};
    const bars = {};
    for (const m of methods) {
      canvases[m] = [];
      captions[m] = [];
      cells[m] = [];
      names.forEach((name, c) => {
        const canvas = makeCanvas(mw, mh);
        canvas.dataset.method = m;
        canvas.dataset.class = String(c);
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", `${methodTitle(m)} map for ${name}`);
        const cap = h("div", { class: "cap" });
        canvases[m].push(canvas);
        captions[m].push(cap);
        cells[m].push({ canvas, node: h("div", { class: "map-cell" }, canvas, cap) });
      });
      if (raw) {
        bars[m] = makeCanvas(80, mh);
        bars[m].className = "colourbar";
      }
    }
    const grid = h("div", { class: "maps" });
    const note = h("p", { class: "small muted note" });
    const node = h(
      "div",
      { class: "explain" },
      h(
        "div",
        { class: "card picture-card" },
        pictureCanvas,
        h("p", { class: "picture-name" }, pictureInfo(picture)),
        predictionBlock(prediction),
      ),
      h(
        "div",
        { class: "card maps-card" },
        h("div", { class: "view-head" }, h("h2", {}, `Where is the evidence for each class? `, h("span", { class: "muted", style: { fontWeight: 500 } }, `layer ${layerLabel(maps)}`)), h("span", { class: "spacer" }), exportButton),
        grid,
        note,
      ),
    );
    clear(root).append(node);
    arrange(grid, methods, names, cells, bars, picture.width / picture.height);
    built = { key, node, canvases, captions, bars, grid, note, pictureCanvas };
  }

  // Redraw: colour map, opacity, normalisation, class headers.
  const lut = state.model.luts[state.cmap];
  built.grid.querySelectorAll(".col-head").forEach((el) => {
    const c = Number(el.dataset.class);
    clear(el).append(
      h("span", {}, names[c]),
      h("span", { class: "p" }, percent(prediction.probabilities[c])),
      c === prediction.predicted ? h("span", { class: "star" }, "predicted") : "",
    );
  });
  for (const m of methods) {
    const classMaps = maps.maps[m];
    const strongest = Math.max(...classMaps.map(maxOf));
    classMaps.forEach((map, c) => {
      const scale = mapScale(state.norm, classMaps, c, state.rawMax);
      const r = renderMap(built.canvases[m][c], picture.canvas, map, maps.shape, {
        scale,
        lut,
        cmap: state.cmap,
        alpha: state.opacity,
        key: `${picture.id}|${state.model.version}|${maps.layer}|${m}|${c}`,
      });
      let text = r.empty ? "all zero: no positive evidence" : `peak ${fmt(r.max)}`;
      if (!r.empty && state.norm === "shared" && strongest > 0) text += ` · ${Math.round((100 * r.max) / strongest)} % of the stronger class`;
      built.captions[m][c].textContent = text;
    });
    if (built.bars[m]) drawColourBar(built.bars[m], lut, mapScale("raw", classMaps, 0, state.rawMax), "");
  }
  built.note.textContent = `Warm colours mark the parts of the picture that raised the class's score. ${normNote()} Maps are ${maps.shape[1]}×${maps.shape[2]} at this layer, upsampled bilinearly onto the picture.`;
}

export function pictureInfo(picture) {
  const size = `${picture.width} × ${picture.height} px`;
  const orig = picture.originalWidth && picture.originalWidth !== picture.width ? ` (from ${picture.originalWidth} × ${picture.originalHeight})` : "";
  return `${picture.name} · ${size}${orig}`;
}

// The view as one PNG: picture + maps, methods as rows.
export function exportExplain({ picture, prediction, maps }) {
  if (!built) return null;
  const names = classNames();
  const methods = state.model.methods.map(([m]) => m);
  const header = ["picture", ...names.map((n, c) => `${n} ${percent(prediction.probabilities[c])}`)];
  const rows = methods.map((m) => {
    const row = [{ canvas: built.pictureCanvas, caption: "" }];
    built.canvases[m].forEach((canvas, c) => row.push({ canvas, caption: built.captions[m][c].textContent }));
    if (built.bars[m]) row.push({ canvas: built.bars[m], caption: "" });
    return row;
  });
  const norm = NORMS.find(([n]) => n === state.norm)[1];
  return composeTable({
    title: `camscope — ${picture.name}: ${names[prediction.predicted]} (${percent(prediction.probabilities[prediction.predicted])})`,
    subtitle: `layer ${layerLabel(maps)} · normalised ${norm} · colours ${state.cmap} · opacity ${Math.round(state.opacity * 100)} % · model ${state.model.name}`,
    header,
    rows,
    labels: methods.map(methodTitle),
    cell: 280,
  });
}

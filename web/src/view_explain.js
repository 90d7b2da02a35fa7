// The Explain view: the picture, the prediction, and every method's map for every class.
import { state, classNames } from "./state.js";
import { h, clear, percent, append } from "./dom.js";
import { renderMap, mapScale, fitSize, drawLegend, composeTable, makeCanvas, maxOf } from "./draw.js";
import {
  cmapWords, knowsOnly, evidenceSentence, normNote, normShort, mapCaption, legendEnds, pictureWarnings, mapAlt, layerWithGrid,
  saveName, pictureStem,
} from "./text.js";

export const MAP_SIDE = 560;

let built = null; // {key, canvases: {method: [canvas per class]}, legends: {method: canvas}, ...}

export function methodTitle(name) {
  const m = state.model.methods.find(([n]) => n === name);
  return m ? m[1] : name;
}

// "features.14 13×13 (256 channels)"
export function layerLabel(maps) {
  const l = state.model.info.layers[maps.layer];
  return `${layerWithGrid(l.name, maps.shape)} (${maps.shape[0]} channels)`;
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
        { class: "logits", title: "The raw class scores y^c (logits); the probabilities are their softmax. The maps explain these scores." },
        "scores y: ",
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

// Places the map cells: "grid" (rows = methods, columns = classes) or "strip" (one row,
// grouped by method), and the picture card beside the maps or as a band above them —
// whichever gives the largest maps that fit the window without scrolling. Each candidate is
// laid out and measured (captions wrap, fonts differ), then grown or shrunk to fit.
function arrange(b, methods, names, aspect) {
  const M = methods.length;
  const C = names.length;
  const pad = parseFloat(getComputedStyle(b.main).paddingBottom) + (b.footer.offsetParent ? b.footer.offsetHeight : 0);
  const bottom = () => window.innerHeight - pad - 2; // lowest y (in the page) content may reach
  const trial = (band, mode) => {
    b.node.classList.toggle("band", band);
    fitPicture(b, bottom());
    const rows = mode === "grid" ? M : 1;
    const cols = mode === "grid" ? C : M * C;
    let size = 160;
    for (let i = 0; i < 5; i++) {
      place(b, methods, names, mode, size, aspect);
      const g = b.grid.getBoundingClientRect();
      let right = g.left;
      for (const el of b.grid.children) right = Math.max(right, el.getBoundingClientRect().right);
      const roomW = (b.grid.clientWidth - (right - g.left)) / cols;
      const roomH = ((bottom() - b.mapsCard.getBoundingClientRect().bottom - window.scrollY) * aspect) / rows;
      const next = Math.max(80, Math.floor(size + Math.min(roomW, roomH)));
      if (Math.abs(next - size) < 1) break;
      size = next;
    }
    place(b, methods, names, mode, size, aspect);
    // Captions may have wrapped differently at the last size: never end over the edge.
    for (let i = 0; i < 3; i++) {
      const over = b.mapsCard.getBoundingClientRect().bottom + window.scrollY - bottom();
      if (over <= 0 || size <= 80) break;
      size = Math.max(80, Math.floor(size - (over * aspect) / rows) - 1);
      place(b, methods, names, mode, size, aspect);
    }
    return size;
  };
  const modes = M * C > 6 ? ["grid"] : ["grid", "strip"];
  let best = null;
  const tried = [];
  for (const band of [false, true])
    for (const mode of modes) {
      const size = trial(band, mode);
      tried.push(`${band ? "band" : "side"} ${mode} ${size}`);
      if (!best || size > best.size * 1.03) best = { band, mode, size };
    }
  trial(best.band, best.mode);
  // The maps are the content: the picture beside them is never the larger.
  b.pictureCanvas.style.maxWidth = `${best.size}px`;
  b.grid.dataset.layout = best.mode;
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

function place(b, methods, names, mode, size, aspect) {
  const C = names.length;
  const grid = b.grid;
  clear(grid);
  const cell = (m, c) => {
    b.cells[m][c].canvas.style.width = `${size}px`;
    b.cells[m][c].canvas.style.height = `${Math.round(size / aspect)}px`;
    return b.cells[m][c].node;
  };
  const colHead = (c) => h("div", { class: "col-head", "data-class": c });
  if (mode === "grid") {
    grid.style.gridTemplateColumns = `auto repeat(${C}, ${size}px)`;
    append(grid, [h("div"), names.map((n, c) => colHead(c))]);
    for (const m of methods) append(grid, [h("div", { class: "row-head" }, methodTitle(m)), names.map((n, c) => cell(m, c))]);
  } else {
    grid.style.gridTemplateColumns = methods.map(() => `repeat(${C}, ${size}px)`).join(" ");
    append(grid, [methods.map((m) => h("div", { class: "group-head", style: { gridColumn: `span ${C}` } }, methodTitle(m)))]);
    append(grid, [methods.map(() => names.map((n, c) => colHead(c)))]);
    append(grid, [methods.map((m) => names.map((n, c) => cell(m, c)))]);
  }
  drawHeads(b);
}

function drawHeads(b) {
  const names = classNames();
  const prediction = b.prediction;
  b.grid.querySelectorAll(".col-head").forEach((el) => {
    const c = Number(el.dataset.class);
    clear(el).append(
      h("span", {}, names[c]),
      h("span", { class: "p" }, percent(prediction.probabilities[c])),
      c === prediction.predicted ? h("span", { class: "star", title: "the predicted class" }, "★", h("span", { class: "sr-only" }, "predicted")) : "",
    );
  });
}

// Builds the DOM for this picture/layer/window, or reuses it and only redraws.
export function renderExplain(root, { picture, prediction, maps }, exportButton) {
  const names = classNames();
  const methods = state.model.methods.map(([m]) => m);
  const key = [picture.id, state.model.version, maps.layer, names.length, window.innerWidth, window.innerHeight, state.large].join("|");
  if (!built || built.key !== key || !root.contains(built.node)) {
    const [mw, mh] = fitSize(picture.width, picture.height, MAP_SIDE);
    const pictureCanvas = makeCanvas(...fitSize(picture.width, picture.height, 480));
    pictureCanvas.getContext("2d").drawImage(picture.canvas, 0, 0, pictureCanvas.width, pictureCanvas.height);
    pictureCanvas.setAttribute("aria-label", `the picture ${picture.name}`);
    pictureCanvas.setAttribute("role", "img");
    pictureCanvas.className = "picture";
    const canvases = {};
    const captions = {};
    const cells = {};
    const legends = {};
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
      legends[m] = makeCanvas(240, 36);
      legends[m].className = "colourbar";
      legends[m].dataset.legend = m;
      legends[m].setAttribute("role", "img");
    }
    const grid = h("div", { class: "maps" });
    const note = h("p", { class: "maps-note", "data-testid": "maps-note" });
    const mapsCard = h(
      "div",
      { class: "card maps-card" },
      h("div", { class: "view-head" }, h("h2", {}, "Where is the evidence for each class? ", h("span", { class: "muted layer-name" }, `layer ${layerWithGrid(state.model.info.layers[maps.layer].name, maps.shape)}`)), h("span", { class: "spacer" }), exportButton),
      grid,
      h("div", { class: "legends" }, methods.map((m) => legends[m])),
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
    exportButton.setAttribute("aria-label", saveName("these maps"));
    clear(root).append(node);
    built = {
      key, node, canvases, captions, cells, legends, grid, note, pictureCanvas, pictureCard, mapsCard, prediction,
      main: document.querySelector("main"), footer: document.querySelector("footer"), fitted: "",
    };
  }
  built.prediction = prediction;

  // Redraw: colour map, opacity, normalisation.
  const lut = state.model.luts[state.cmap];
  const font = Math.round(0.8 * remPx());
  for (const m of methods) {
    const classMaps = maps.maps[m];
    const peaks = classMaps.map(maxOf);
    const strongest = Math.max(...peaks);
    const top = peaks.indexOf(strongest);
    classMaps.forEach((map, c) => {
      const scale = mapScale(state.norm, classMaps, c, state.rawMax);
      const r = renderMap(built.canvases[m][c], picture.canvas, map, maps.shape, {
        scale,
        lut,
        cmap: state.cmap,
        alpha: state.opacity,
        key: `${picture.id}|${state.model.version}|${maps.layer}|${m}|${c}`,
      });
      built.captions[m][c].textContent = mapCaption({
        empty: r.empty, peak: r.max, strongest, strongestName: names[top], norm: state.norm, isStrongest: c === top,
      });
      built.canvases[m][c].setAttribute("aria-label", mapAlt({ method: methodTitle(m), className: names[c], picture: picture.name, peak: r.max, empty: r.empty }));
    });
    const [low, high] = legendEnds(state.norm, mapScale("raw", classMaps, 0, state.rawMax));
    built.legends[m].dataset.font = String(font);
    built.legends[m].dataset.low = low;
    built.legends[m].dataset.high = high;
    built.legends[m].setAttribute("aria-label", `${methodTitle(m)} colour scale: ${cmapWords(state.cmap).low} = ${low}, ${cmapWords(state.cmap).high} = ${high}`);
  }
  built.note.textContent = `${evidenceSentence(state.cmap)} ${normNote(state.norm)}`;
  // Text lengths change with the normalisation and colours, and the space above with a
  // message or a longer list of pictures: fit again when any of them does.
  const fitted = [key, state.norm, state.cmap, Math.round(built.node.getBoundingClientRect().top + window.scrollY)].join("|");
  if (built.fitted !== fitted) {
    arrange(built, methods, names, picture.width / picture.height);
    built.fitted = fitted;
  } else drawHeads(built);
  for (const m of methods) {
    const g = built.legends[m];
    drawLegend(g, lut, { low: g.dataset.low, high: g.dataset.high, label: methodTitle(m), font: Number(g.dataset.font) });
  }
}

export function pictureInfo(picture) {
  const size = `${picture.width} × ${picture.height} px`;
  const orig = picture.originalWidth && picture.originalWidth !== picture.width ? ` (from ${picture.originalWidth} × ${picture.originalHeight})` : "";
  return `${picture.name} · ${size}${orig}`;
}

// The lines every exported figure carries about the maps: picture, layer with its grid,
// normalisation, colours. `norm`: the normalisation the figure's maps use.
export function figureLines({ picture, prediction, layer, shape, norm, methods }) {
  const names = classNames();
  const w = cmapWords(state.cmap);
  const lines = [];
  if (picture) lines.push(`picture: ${picture.name} (${picture.width} × ${picture.height} px)${prediction ? ` · predicted ${names[prediction.predicted]} ${percent(prediction.probabilities[prediction.predicted])}` : ""}`);
  lines.push(`layer ${layerWithGrid(state.model.info.layers[layer].name, shape)} (${shape[0]} channels)${methods ? ` · ${methods.map(methodTitle).join(", ")}` : ""}`);
  lines.push(`normalised ${normShort(norm)}`);
  lines.push(`colours ${w.name}: ${w.low} = 0, ${w.high} = the top of the scale · opacity ${Math.round(state.opacity * 100)} %`);
  return lines;
}

// The legends of an exported figure: one colour scale per method.
export function figureLegends(methods, classMapsOf, norm) {
  const lut = state.model.luts[state.cmap];
  return methods.map((m) => {
    const [low, high] = legendEnds(norm, norm === "raw" && state.rawMax > 0 ? state.rawMax : Math.max(...classMapsOf(m).map(maxOf)));
    return { lut, label: methodTitle(m), low, high };
  });
}

// The view as one PNG: picture + maps, methods as rows.
export function exportExplain({ picture, prediction, maps }) {
  if (!built) return null;
  const names = classNames();
  const methods = state.model.methods.map(([m]) => m);
  const header = ["picture", ...names.map((n, c) => `${n} ${percent(prediction.probabilities[c])}`)];
  const rows = methods.map((m) => {
    const row = [{ canvas: built.pictureCanvas, caption: picture.name }];
    built.canvases[m].forEach((canvas, c) => row.push({ canvas, caption: `${methodTitle(m)} · ${names[c]} · ${built.captions[m][c].textContent}` }));
    return row;
  });
  const canvas = composeTable({
    title: `camscope — ${picture.name}: ${names[prediction.predicted]} (${percent(prediction.probabilities[prediction.predicted])})`,
    lines: [...figureLines({ picture, prediction, layer: maps.layer, shape: maps.shape, norm: state.norm, methods }), knowsOnly(names)],
    header,
    rows,
    labels: methods.map(methodTitle),
    cell: 280,
    legends: figureLegends(methods, (m) => maps.maps[m], state.norm),
    footer: [`model ${state.model.name}`],
  });
  const layer = state.model.info.layers[maps.layer];
  return { canvas, parts: ["explain", pictureStem(picture.name), layerWithGrid(layer.name, maps.shape), methods.join("+"), "all-classes", state.norm] };
}

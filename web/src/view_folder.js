// A whole folder at once: every picture of a dropped or picked folder (or of many dropped
// files) predicted in the worker (engine.classifyFiles: decoded there by images.js's rule,
// only a thumbnail kept), as a sortable table with right/wrong where the folders are named by
// class, the confusion matrix and accuracy, CSV / JSON / PNG exports. A row's button explains
// that picture (the File is read again; the page never holds the folder's full pictures).
import { h, clear, $, percent } from "./dom.js";
import { makeCanvas, FONT } from "./draw.js";
import { state } from "./state.js";
import { classifyFiles, isCancelled } from "./engine.js";
import { FOLDER, folderProgress, folderSummary, folderFigureText, exportFileName, dataFileName, pictureMessage } from "./text.js";

// Set by main.js: explain(file, name), save(canvas, parts), saveData(text, name, type).
let actions = { explain: null, save: null, saveData: null };

// Wires the folder table to the page (main.js).
export function setFolderActions(a) {
  actions = { ...actions, ...a };
}

const THUMB = 96; // px, long side of the thumbnails kept per picture
const SORTS = ["index", "path", "label", "predicted", "confidence", "right"];

let run = null; // the folder shown: see openFolder
const debug = { runs: 0, lastCsv: null, lastJson: null, lastFigure: null, rate: null };

// The test hook: the folder's rows and numbers (no thumbnails, no Files).
export const folderDebug = {
  get running() {
    return !!(run && run.running);
  },
  get rows() {
    return run ? run.rows.map(plainRow) : [];
  },
  get order() {
    return run ? sortedRows(run).map((r) => r.index) : [];
  },
  get summary() {
    return run ? tally(run) : null;
  },
  get state() {
    return run ? { done: run.done, total: run.total, cancelled: run.cancelled, error: run.error, seconds: run.seconds } : null;
  },
  debug,
};

// ---- collecting the files

// The files of a drop: every file of every dropped folder (walked), with its path under the
// dropped item. Answers null for a drop that is a few loose files (the page's ordinary
// pictures), so that `few` or fewer files without a folder stay the usual single pictures.
// The entries must be taken during the drop event itself, hence the synchronous start.
export function droppedEntries(dataTransfer, few) {
  const items = [...(dataTransfer.items || [])].filter((i) => i.kind === "file");
  const entries = items.map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  const files = [...(dataTransfer.files || [])];
  const hasFolder = entries.some((e) => e && e.isDirectory);
  if (!hasFolder && files.length <= few) return null;
  if (!hasFolder) return Promise.resolve(fromFileList(files));
  return (async () => {
    const out = [];
    for (let i = 0; i < entries.length; i++) {
      if (entries[i]) await walk(entries[i], out);
      else if (files[i]) out.push({ file: files[i], path: files[i].name });
    }
    return out;
  })();
}

folderDebug.droppedEntries = droppedEntries; // the tests hand it a drop's stand-in with directory entries

// Adds the files under a FileSystemEntry to `out` as {file, path} (path without the leading /).
async function walk(entry, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\/+/, "") });
    return;
  }
  const reader = entry.createReader();
  // readEntries answers in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) await walk(e, out);
  }
}

// A FileList (a webkitdirectory picker, or many dropped files) as {file, path} entries.
export function fromFileList(list) {
  return [...list].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

// The class a picture's folders name (case-insensitive; the nearest folder that is a class
// name), or -1.
export function labelOf(path, classes) {
  const folders = path.split("/").slice(0, -1).reverse();
  const lower = classes.map((c) => c.toLowerCase());
  for (const f of folders) {
    const i = lower.indexOf(f.toLowerCase());
    if (i >= 0) return i;
  }
  return -1;
}

// ---- the run

// Starts predicting `entries` ({file, path}); replaces any folder shown (and stops its run).
export function openFolder(entries) {
  closeFolder();
  const classes = state.model.info.classes.slice();
  const list = entries
    .filter((e) => !e.path.split("/").some((part) => part.startsWith("."))) // .DS_Store, .git/…
    .sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
  run = {
    classes,
    model: state.model.name,
    version: state.model.version,
    entries: list,
    rows: [],
    done: 0,
    total: list.length,
    running: list.length > 0,
    cancelled: false,
    error: null,
    t0: performance.now(),
    seconds: 0,
    sort: { key: "index", dir: 1 },
    trs: new Map(), // row index -> <tr>
    explored: -1,
    job: null,
  };
  debug.runs++;
  build(run);
  if (!list.length) {
    setStatus(run, FOLDER.nothing);
    return run;
  }
  const mine = run;
  mine.job = classifyFiles(list, {
    thumb: THUMB,
    onRows: (rows, first) => mine === run && addRows(mine, rows, first),
    onProgress: (p) => mine === run && progress(mine, p.done),
  });
  mine.job.promise
    .then(() => finish(mine, null))
    .catch((err) => finish(mine, err));
  return run;
}

// Stops a running folder (the rows so far stay).
export function cancelFolder() {
  if (run && run.running && run.job) {
    run.cancelled = true;
    run.job.cancel();
  }
}

// Closes the table: stops the run and forgets the thumbnails.
export function closeFolder() {
  if (!run) return;
  cancelFolder();
  for (const r of run.rows) if (r.thumbUrl) URL.revokeObjectURL(r.thumbUrl);
  run = null;
  const root = $("#folder");
  clear(root);
  root.hidden = true;
}

function finish(r, err) {
  if (r !== run) return;
  r.running = false;
  r.done = r.rows.length;
  r.seconds = (performance.now() - r.t0) / 1000;
  if (err && !isCancelled(err)) r.error = err.message;
  debug.rate = r.seconds > 0 ? r.done / r.seconds : null;
  setStatus(r, r.error ? r.error : r.cancelled ? FOLDER.cancelled(r.done, r.total) : folderProgress(r.done, r.total, r.seconds));
  r.els.cancel.hidden = true;
  r.els.bar.hidden = true;
  r.els.root.setAttribute("aria-busy", "false");
}

function progress(r, done) {
  r.done = Math.max(r.done, done);
  r.seconds = (performance.now() - r.t0) / 1000;
  r.els.bar.max = r.total;
  r.els.bar.value = r.done;
  setStatus(r, folderProgress(r.done, r.total, r.seconds));
}

// The worker's rows for entries first.. as the page's rows (class names, right/wrong, a thumbnail URL).
function addRows(r, rows, first) {
  rows.forEach((w, k) => {
    const index = first + k;
    const entry = r.entries[index];
    const label = labelOf(entry.path, r.classes);
    // A picture's fault comes named ({key, args}: the worker has no words), said here.
    const error = !w.error ? null : typeof w.error === "string" ? w.error : pictureMessage(w.error);
    const row = { index, path: entry.path, file: entry.file, label, error };
    if (!w.error) {
      row.predicted = w.predicted;
      row.probabilities = w.probabilities;
      row.confidence = w.probabilities[w.predicted];
      row.width = w.width;
      row.height = w.height;
      row.ms = w.ms;
      row.thumbUrl = URL.createObjectURL(w.thumb);
      row.right = label >= 0 ? label === w.predicted : null;
    } else row.right = null;
    r.rows.push(row);
  });
  r.done = Math.max(r.done, first + rows.length);
  drawRows(r);
  drawSummary(r);
}

// ---- numbers

// {total, errors, labelled, correct, accuracy, matrix: [true][predicted] counts}.
function tally(r) {
  const k = r.classes.length;
  const matrix = Array.from({ length: k }, () => new Array(k).fill(0));
  let errors = 0;
  let labelled = 0;
  let correct = 0;
  for (const row of r.rows) {
    if (row.error) errors++;
    else if (row.label >= 0) {
      labelled++;
      matrix[row.label][row.predicted]++;
      if (row.right) correct++;
    }
  }
  return { total: r.rows.length, errors, labelled, correct, accuracy: labelled ? correct / labelled : null, matrix };
}

function plainRow(row) {
  return {
    index: row.index,
    path: row.path,
    label: row.label,
    predicted: row.error ? null : row.predicted,
    confidence: row.error ? null : row.confidence,
    probabilities: row.error ? null : row.probabilities,
    right: row.right,
    error: row.error,
  };
}

// The value a column sorts by (rows that could not be read come last either way).
function sortValue(row, key) {
  if (key === "index") return row.index;
  if (key === "path") return row.path;
  if (key === "label") return row.label;
  if (key === "predicted") return row.error ? null : row.predicted;
  if (key === "confidence") return row.error ? null : row.confidence;
  return row.right === null ? null : row.right ? 1 : 0;
}

function sortedRows(r) {
  const { key, dir } = r.sort;
  return r.rows.slice().sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === null || y === null) return x === y ? a.index - b.index : x === null ? 1 : -1;
    const c = typeof x === "string" ? x.localeCompare(y, undefined, { numeric: true }) : x - y;
    return c ? c * dir : a.index - b.index;
  });
}

// ---- drawing

function build(r) {
  const root = $("#folder");
  clear(root);
  root.hidden = false;
  root.setAttribute("aria-labelledby", "folder-title");
  const cols = SORTS.map((key) => {
    const button = h("button", { type: "button", class: "sort", "data-sort": key, title: FOLDER.sortBy(FOLDER.columns[key]), onclick: () => sortBy(r, key) }, FOLDER.columns[key]);
    return h("th", { scope: "col", "data-column": key }, button);
  });
  const els = {
    root,
    status: h("span", { class: "folder-status", role: "status" }),
    bar: h("progress", { max: String(Math.max(1, r.total)), value: "0", "aria-label": FOLDER.heading }),
    cancel: h("button", { type: "button", class: "folder-cancel", onclick: () => cancelFolder() }, FOLDER.cancel),
    summary: h("p", { class: "folder-summary" }),
    matrix: h("div", { class: "folder-matrix" }),
    head: h("tr", {}, cols),
    body: h("tbody", {}),
  };
  r.els = els;
  root.setAttribute("aria-busy", String(r.running));
  root.append(
    h(
      "div",
      { class: "view-head folder-head" },
      h("h2", { id: "folder-title" }, FOLDER.heading),
      els.bar,
      els.status,
      els.cancel,
      h("span", { class: "spacer" }),
      h("button", { type: "button", "data-export": "csv", onclick: () => exportCsv() }, FOLDER.csv),
      h("button", { type: "button", "data-export": "json", onclick: () => exportJson() }, FOLDER.json),
      h("button", { type: "button", "data-export": "png", onclick: () => exportFigure() }, FOLDER.png),
      h("button", { type: "button", class: "folder-close", title: FOLDER.closeTitle, onclick: () => closeFolder() }, FOLDER.close),
    ),
    els.summary,
    els.matrix,
    h("div", { class: "folder-table-box" }, h("table", { class: "folder-table" }, h("thead", {}, els.head), els.body)),
  );
  drawSortMarks(r);
  drawSummary(r);
}

function setStatus(r, text) {
  r.els.status.textContent = text;
}

function sortBy(r, key) {
  r.sort = { key, dir: r.sort.key === key ? -r.sort.dir : key === "confidence" ? -1 : 1 };
  drawSortMarks(r);
  drawRows(r);
}

function drawSortMarks(r) {
  for (const th of r.els.head.children) {
    const on = th.dataset.column === r.sort.key;
    if (on) th.setAttribute("aria-sort", r.sort.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
}

// One <tr> per row, made once; a sort only reorders them.
function rowElement(r, row) {
  if (r.trs.has(row.index)) return r.trs.get(row.index);
  const cls = (i) => (i >= 0 ? r.classes[i] : FOLDER.unlabelled);
  const open = () => explore(r, row);
  const tr = h(
    "tr",
    { "data-index": String(row.index), class: row.error ? "failed" : row.right === false ? "wrong" : "", onclick: (e) => !e.target.closest("button") && open() },
    h("td", { class: "num" }, String(row.index + 1)),
    h(
      "td",
      { class: "path" },
      h(
        "button",
        { type: "button", class: "row-open", title: FOLDER.explainRow(row.path), onclick: open },
        row.thumbUrl ? h("img", { src: row.thumbUrl, alt: "", width: String(Math.round(THUMB / 2)), loading: "lazy", decoding: "async" }) : null,
        h("span", {}, row.path),
      ),
    ),
    h("td", {}, cls(row.label)),
    h("td", { class: row.error ? "error-text" : "" }, row.error ? row.error : cls(row.predicted)),
    h("td", { class: "num" }, row.error ? "" : percent(row.confidence)),
    h("td", {}, row.right === null ? FOLDER.unlabelled : row.right ? FOLDER.right : FOLDER.wrong),
  );
  r.trs.set(row.index, tr);
  return tr;
}

function drawRows(r) {
  const body = r.els.body;
  const order = sortedRows(r).map((row) => rowElement(r, row));
  // Appending an element that is already there moves it: the rows end up in order.
  for (const tr of order) body.append(tr);
}

function drawSummary(r) {
  const t = tally(r);
  r.els.summary.textContent = t.total ? folderSummary(t) : "";
  clear(r.els.matrix);
  if (!t.labelled) {
    if (t.total) r.els.matrix.append(h("p", { class: "hint" }, FOLDER.noLabels(r.classes)));
    return;
  }
  r.els.matrix.append(
    h(
      "table",
      { class: "confusion", "aria-label": FOLDER.matrixTitle },
      h("caption", {}, FOLDER.matrixTitle),
      h("tr", {}, h("th", { scope: "col" }, FOLDER.matrixCorner), r.classes.map((c) => h("th", { scope: "col" }, c))),
      t.matrix.map((line, i) =>
        h("tr", {}, h("th", { scope: "row" }, r.classes[i]), line.map((n, j) => h("td", { class: i === j ? "diag" : n ? "off" : "", "data-cell": `${i},${j}` }, String(n)))),
      ),
    ),
  );
}

// Explains a row's picture (read again from its File) and marks the row.
function explore(r, row) {
  if (row.error || !actions.explain) return;
  const was = r.trs.get(r.explored);
  if (was) was.removeAttribute("aria-current");
  r.explored = row.index;
  r.trs.get(row.index).setAttribute("aria-current", "true");
  actions.explain(row.file, row.path);
}

// ---- exports

function csvField(v) {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// The table as CSV: one line per picture, in the order the folder was read.
export function folderCsv(r = run) {
  const head = ["index", "path", "true_class", "predicted_class", "confidence", ...r.classes.map((c) => `p_${c}`), "right", "error"];
  const lines = [head.map(csvField).join(",")];
  for (const row of r.rows) {
    const ok = !row.error;
    lines.push(
      [
        row.index + 1,
        row.path,
        row.label >= 0 ? r.classes[row.label] : "",
        ok ? r.classes[row.predicted] : "",
        ok ? row.confidence : "",
        ...r.classes.map((_, c) => (ok ? row.probabilities[c] : "")),
        row.right === null ? "" : row.right ? 1 : 0,
        row.error || "",
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

// The table and its numbers as JSON.
export function folderJson(r = run) {
  const t = tally(r);
  return JSON.stringify(
    {
      model: r.model,
      classes: r.classes,
      pictures: t.total,
      errors: t.errors,
      labelled: t.labelled,
      correct: t.correct,
      accuracy: t.accuracy,
      confusion: { rows: "true class", columns: "predicted class", counts: t.matrix },
      complete: !r.running && !r.cancelled && !r.error && r.rows.length === r.total,
      rows: r.rows.map((row) => ({ ...plainRow(row), index: row.index + 1, label: row.label >= 0 ? r.classes[row.label] : null, predicted: row.error ? null : r.classes[row.predicted] })),
    },
    null,
    2,
  );
}

// The lab figure: the confusion matrix with its counts and row shares, the accuracy and the
// model's name. `figure` records the texts drawn (for the tests).
export function folderFigure(r = run) {
  const t = tally(r);
  const k = r.classes.length;
  const text = folderFigureText({ model: r.model, ...t });
  const cell = k > 6 ? 64 : 110;
  const pad = 24;
  const labelW = 150;
  const width = Math.max(640, pad * 2 + labelW + k * cell);
  const top = pad + 40 + text.lines.length * 24 + 40;
  const height = top + k * cell + pad + 30;
  const canvas = makeCanvas(width, height);
  const figure = { texts: [], cells: [] };
  canvas.figure = figure;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = "top";
  const write = (s, x, y, size, weight = 400, align = "left", colour = "#1d2330") => {
    ctx.font = `${weight} ${size}px ${FONT}`;
    ctx.fillStyle = colour;
    ctx.textAlign = align;
    ctx.fillText(s, x, y);
    figure.texts.push(s);
  };
  write(text.title, pad, pad, 22, 600);
  text.lines.forEach((line, i) => write(line, pad, pad + 40 + i * 24, 16, 400, "left", "#3d4556"));
  const x0 = pad + labelW;
  r.classes.forEach((c, j) => write(c, x0 + j * cell + cell / 2, top - 26, 16, 600, "center"));
  r.classes.forEach((c, i) => write(c, x0 - 12, top + i * cell + cell / 2 - 9, 16, 600, "right"));
  t.matrix.forEach((line, i) => {
    const sum = line.reduce((a, b) => a + b, 0);
    line.forEach((n, j) => {
      const share = sum ? n / sum : 0;
      // Shade by the share of the true class's pictures: the diagonal is what was right.
      const light = Math.round(255 - share * 170);
      ctx.fillStyle = i === j ? `rgb(${light}, ${Math.round(255 - share * 110)}, ${255})` : `rgb(255, ${light}, ${Math.round(255 - share * 190)})`;
      ctx.fillRect(x0 + j * cell, top + i * cell, cell - 2, cell - 2);
      write(String(n), x0 + j * cell + cell / 2, top + i * cell + cell / 2 - 16, 22, 600, "center");
      write(sum ? percent(share) : "", x0 + j * cell + cell / 2, top + i * cell + cell / 2 + 10, 13, 400, "center", "#3d4556");
      figure.cells.push({ i, j, n });
    });
  });
  write(FOLDER.matrixCorner, pad, top - 26, 13, 400, "left", "#3d4556");
  return canvas;
}

function exportCsv() {
  if (!run || !actions.saveData) return;
  const text = folderCsv();
  debug.lastCsv = text;
  actions.saveData(text, dataFileName(["folder", run.model], "csv"), "text/csv");
}

function exportJson() {
  if (!run || !actions.saveData) return;
  const text = folderJson();
  debug.lastJson = text;
  actions.saveData(text, dataFileName(["folder", run.model], "json"), "application/json");
}

function exportFigure() {
  if (!run || !actions.save) return;
  const canvas = folderFigure();
  debug.lastFigure = { name: exportFileName(["folder", run.model]), texts: canvas.figure.texts, cells: canvas.figure.cells };
  actions.save(canvas, ["folder", run.model]);
}

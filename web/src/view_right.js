// The "Is it right?" view (issue 10): are the maps faithful to the network? Three parts:
// - "This picture": deletion and insertion curves (RISE) with their areas, the drop in
//   confidence and whether it increased (Grad-CAM++), for each shown method and class, every
//   number beside a random map's; ROAD is the command line's (its command is given).
// - "Sanity check": cascading model randomisation, each method's map beside the original at
//   every step, with Spearman's ρ and a verdict.
// - "Over the pictures": the same numbers over the Compare view's pictures (mean ± sd per
//   method, and per picture), exported as CSV / JSON / PNG.
// The work runs in the worker ("metrics" and "sanity" requests) with progress; a picture,
// layer or model change cancels it, and so does the Cancel button. Results are kept per
// picture (state.js's resultsFor) so switching parts or coming back never recomputes them.
import { state, update, subscribe, classNames, focusClassOf, resultsFor, pictureById, methodInfo } from "./state.js";
import { h, clear, percent, keepFocus } from "./dom.js";
import { makeCanvas, FONT, ellipsize, wrapLines, renderMap, drawLegend, maxOf, lutColour, BAR_POSITIVE, BAR_NEGATIVE } from "./draw.js";
import { longJob, whileBusy, weightsInfo } from "./engine.js";
import { CANCELLED } from "./protocol.js";
import { remPx } from "./view_explain.js";
import { methodTitle } from "./methods.js";
import {
  METRICS, BASELINES, STEP_CHOICES, RIGHT_PARTS, SANITY_STILL, baselineWords, score, share, meanSd, versusRandom, sanityVerdict,
  roadNote, roadShort, sanityIntro, rhoText, evaluateCommand, rightProgressText, dataFileName, layerWithGrid, saveName, pictureStem, cmapWords, RIGHT, againstRandom,
  LABELS,
} from "./text.js";
import { lang } from "./i18n.js";

const DEL_COLOUR = BAR_POSITIVE; // vermillion (Okabe-Ito): deletion
const INS_COLOUR = BAR_NEGATIVE; // blue: insertion
const RHO_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"];
const MAX_ALL_CLASSES = 4; // "every class" scores at most this many (the most likely ones)
const SHIPPED_WEIGHTS = "camscope_catsdogs_int8.csw";

let built = null; // the view's DOM for one picture / layer / part / window
let actions = { save: null, saveData: null, open: null };
// The running jobs, one per part: {kind, key, job, t0, done, total, picture, step}.
const jobs = { picture: null, sanity: null, set: null };
// The last finished job per part: {key, status: "done" | "cancelled" | "failed", ms, error}.
const last = { picture: null, sanity: null, set: null };
const stopped = new Set(); // job keys the person cancelled: not restarted until they ask

// For the tests and the curious: every run with its timing, the last results shown, the last
// data file saved.
export const rightDebug = { runs: [], picture: null, sanity: null, set: null, lastData: null, jobs, last };

// save(canvas, fileNameParts): a PNG; saveData(text, fileName, mime): a CSV or JSON file;
// open(picture): explain that picture.
export function setRightActions(a) {
  actions = { ...actions, ...a };
}

// ---- settings and the results kept per picture

// The chosen methods that make a map at the layer (Score-CAM too); the picture methods have
// no map to delete or insert by. The sanity check leaves Score-CAM out (a full run per
// randomisation step). The defaults when none of the chosen ones does.
function methodsShown() {
  const sanity = state.rightPart === "sanity";
  const maps = state.methods.filter((m) => {
    const info = methodInfo(m);
    return info && (info.kind === "layer" || (info.kind === "score" && !sanity));
  });
  return maps.length ? maps : state.model.methods.map(([m]) => m);
}

function settings() {
  return { layer: state.layer, steps: state.rightSteps, deletion: state.rightDeletion, insertion: state.rightInsertion };
}

// The classes the "This picture" part scores: every class (at most MAX_ALL_CLASSES, the most
// likely), or the Class control's.
function pictureClasses(prediction) {
  const names = classNames();
  if (state.rightClasses !== "all") return [focusClassOf(prediction)];
  const all = names.map((_, c) => c);
  if (all.length <= MAX_ALL_CLASSES) return all;
  return all.sort((a, b) => prediction.probabilities[b] - prediction.probabilities[a]).slice(0, MAX_ALL_CLASSES).sort((a, b) => a - b);
}

function store(picture) {
  const r = resultsFor(picture.id);
  if (!r.right) r.right = { rows: new Map(), sanity: new Map() };
  return r.right;
}

function rowKey(s, method, cls) {
  return [s.layer, s.steps, s.deletion, s.insertion, method, cls].join("|");
}

// A scored map: {method, cls, deletion, insertion, deletionAuc, insertionAuc, confidence}, or null.
function rowOf(picture, s, method, cls) {
  return store(picture).rows.get(rowKey(s, method, cls)) || null;
}

function keepRows(picture, s, answer) {
  const rows = store(picture).rows;
  for (const r of answer.results) rows.set(rowKey(s, r.method, r.cls), r);
  const res = resultsFor(picture.id);
  if (answer.prediction && !res.prediction) res.prediction = answer.prediction;
}

function missingRows(picture, s, methods, classes) {
  const out = [];
  for (const m of [...methods, "random"]) for (const c of classes) if (!rowOf(picture, s, m, c)) out.push([m, c]);
  return out;
}

// ---- jobs

function jobKey(kind, parts) {
  return [kind, state.model.version, ...parts].join("|");
}

function logRun(entry, status, extra = {}) {
  const ms = performance.now() - entry.t0;
  if (status === "failed") stopped.add(entry.key); // not retried by every redraw: Run retries
  last[entry.kind] = { key: entry.key, status, ms, ...extra };
  rightDebug.runs.push({ kind: entry.kind, key: entry.key, status, ms, ...extra });
}

// Cancels the running job of a part (or of every part).
export function cancelRight(kind) {
  for (const k of kind ? [kind] : Object.keys(jobs)) {
    const entry = jobs[k];
    if (!entry) continue;
    entry.cancelled = true;
    if (entry.job) entry.job.cancel();
  }
}

function startPictureJob(picture, s, methods, classes, key) {
  const entry = { kind: "picture", key, t0: performance.now(), done: 0, total: (methods.length + 1) * classes.length * 2 * (s.steps + 1) };
  jobs.picture = entry;
  entry.job = longJob(
    "metrics",
    picture,
    { layer: s.layer, methods, classes, steps: s.steps, deletionBaseline: s.deletion, insertionBaseline: s.insertion },
    { onProgress: (p) => progress(entry, p.done, p.total) },
  );
  entry.job.promise.then(
    (answer) => {
      keepRows(picture, s, answer);
      logRun(entry, "done", { workerMs: answer.ms, rows: answer.results.map((r) => ({ method: r.method, cls: r.cls, ms: r.ms })) });
    },
    (err) => logRun(entry, err.message === CANCELLED ? "cancelled" : "failed", { error: err.message }),
  ).finally(() => finish(entry));
}

function startSanityJob(picture, s, methods, cls, key) {
  const entry = { kind: "sanity", key, t0: performance.now(), done: 0, total: 0 };
  jobs.sanity = entry;
  entry.job = longJob("sanity", picture, { layer: s.layer, methods, cls }, { onProgress: (p) => progress(entry, p.done, p.total) });
  entry.job.promise.then(
    (answer) => {
      store(picture).sanity.set(key, answer);
      logRun(entry, "done", { workerMs: answer.ms, steps: answer.steps.length });
    },
    (err) => logRun(entry, err.message === CANCELLED ? "cancelled" : "failed", { error: err.message }),
  ).finally(() => finish(entry));
}

// Scores the pictures of the set that lack rows, one request per picture in the worker's
// second Session; what is done stays done when cancelled.
function startSetJob(pictures, s, methods, key) {
  const entry = { kind: "set", key, t0: performance.now(), done: 0, total: pictures.length, picture: 0, step: [0, 1] };
  jobs.set = entry;
  const all = state.rightSetClasses === "all";
  const run = async () => {
    for (let i = 0; i < pictures.length; i++) {
      if (entry.cancelled) throw new Error(CANCELLED);
      const p = pictures[i];
      entry.picture = i;
      entry.step = [0, 1];
      progress(entry, i, pictures.length);
      const classes = setClasses(p);
      if (classes && !missingRows(p, s, methods, classes).length) continue;
      entry.job = longJob(
        "metrics",
        p,
        { layer: s.layer, methods, classes: all ? classNames().map((_, c) => c) : undefined, steps: s.steps, deletionBaseline: s.deletion, insertionBaseline: s.insertion },
        { other: true, onProgress: (q) => { entry.step = [q.done, q.total]; progress(entry, i, pictures.length); } },
      );
      const answer = await entry.job.promise;
      keepRows(p, s, answer);
      redrawIfShown("set");
    }
    progress(entry, pictures.length, pictures.length);
  };
  // Busy from the first picture to the last (the page is not idle between two pictures).
  whileBusy(run).then(
    () => logRun(entry, "done", { pictures: pictures.length }),
    (err) => logRun(entry, err.message === CANCELLED ? "cancelled" : "failed", { error: err.message }),
  ).finally(() => finish(entry));
}

function finish(entry) {
  if (jobs[entry.kind] === entry) jobs[entry.kind] = null;
  redrawIfShown(entry.kind);
}

function progress(entry, done, total) {
  entry.done = done;
  entry.total = total;
  if (built && built.part === entry.kind) showStatus();
}

// A picture, layer or model change cancels everything running here; new settings cancel the
// runs that were for the old ones. Leaving the view (or the part) stops the runs it started
// by itself (they go on where they stopped when it is shown again: the worker keeps the
// finished steps), not a set run the person asked for.
subscribe((changed) => {
  if (changed.has("pictureId") || changed.has("layer") || changed.has("model")) cancelRight();
  else if (["rightSteps", "rightDeletion", "rightInsertion"].some((k) => changed.has(k))) cancelRight();
  else if (changed.has("rightSetClasses")) cancelRight("set");
  if (changed.has("view") && state.view !== "right") {
    cancelRight("picture");
    cancelRight("sanity");
  }
  if (changed.has("rightPart")) for (const k of ["picture", "sanity"]) if (k !== state.rightPart) cancelRight(k);
});

// ---- the view

function partKey(ctx) {
  const s = settings();
  const methods = methodsShown();
  if (state.rightPart === "picture") return jobKey("picture", [ctx.picture.id, s.layer, s.steps, s.deletion, s.insertion, methods.join(","), pictureClasses(ctx.prediction).join(",")]);
  if (state.rightPart === "sanity") return jobKey("sanity", [ctx.picture.id, s.layer, methods.join(","), focusClassOf(ctx.prediction)]);
  return jobKey("set", [s.layer, s.steps, s.deletion, s.insertion, methods.join(","), state.rightSetClasses, setPictures().map((p) => p.id).join(",")]);
}

// The set: the Compare view's pictures (the samples and the ones opened).
function setPictures() {
  return state.pictures.slice();
}

// The classes scored for a set picture: all, or its predicted class (null: not known yet).
function setClasses(picture) {
  if (state.rightSetClasses === "all") return classNames().map((_, c) => c);
  const p = resultsFor(picture.id).prediction;
  return p ? [p.predicted] : null;
}

// Starts what the shown part needs, unless it is running, done, or was cancelled by the person.
function ensureJob(ctx) {
  const s = settings();
  const methods = methodsShown();
  const key = partKey(ctx);
  const part = state.rightPart;
  if (part === "set") return; // a set run starts on request: it can take minutes
  const running = jobs[part];
  if (running && running.key !== key) cancelRight(part);
  if (running && running.key === key) return;
  if (stopped.has(key)) return;
  if (part === "picture") {
    // Only the classes with a map not scored yet (the set may have scored the predicted one).
    const classes = pictureClasses(ctx.prediction).filter((c) => missingRows(ctx.picture, s, methods, [c]).length);
    if (classes.length) startPictureJob(ctx.picture, s, methods, classes, key);
  } else if (!store(ctx.picture).sanity.has(key)) startSanityJob(ctx.picture, s, methods, focusClassOf(ctx.prediction), key);
}

// Run / Cancel, for the shown part.
function toggleRun() {
  if (!built) return;
  const ctx = built.ctx;
  const part = state.rightPart;
  const key = partKey(ctx);
  const running = jobs[part];
  if (running && running.key === key) {
    stopped.add(key);
    cancelRight(part);
    return;
  }
  if (isComplete(ctx)) return;
  stopped.delete(key);
  if (part === "set") {
    if (running) cancelRight("set");
    const s = settings();
    const todo = setPictures().filter((p) => {
      const classes = setClasses(p);
      return !classes || missingRows(p, s, methodsShown(), classes).length;
    });
    startSetJob(todo, s, methodsShown(), key);
  } else ensureJob(ctx);
  showStatus();
}

function isComplete(ctx) {
  const s = settings();
  const methods = methodsShown();
  if (state.rightPart === "picture") return !missingRows(ctx.picture, s, methods, pictureClasses(ctx.prediction)).length;
  if (state.rightPart === "sanity") return store(ctx.picture).sanity.has(partKey(ctx));
  return setPictures().every((p) => {
    const classes = setClasses(p);
    return classes && !missingRows(p, s, methods, classes).length;
  });
}

function redrawIfShown(kind) {
  if (!built || state.view !== "right" || built.part !== kind) return;
  const ctx = built.ctx;
  if (!pictureById(ctx.picture.id)) return;
  drawPart();
}

function select(label, id, value, options, onChange) {
  return h(
    "label",
    { class: "control" },
    h("span", {}, label),
    h("select", { id, onchange: (e) => onChange(e.target.value) }, options.map(([v, t]) => h("option", { value: String(v), selected: String(v) === String(value) }, t))),
  );
}

// A metric's name as a button that opens its definition.
function defButton(metric, text = METRICS[metric].name) {
  return h("button", { type: "button", class: "linkish def", "data-def": metric, title: RIGHT.defTitle(METRICS[metric].name), onclick: (e) => openDefinition(metric, e.currentTarget) }, text);
}

function openDefinition(metric, opener) {
  const d = METRICS[metric];
  const box = built.dialog;
  clear(box).append(
    h("h2", { id: "right-def-title" }, d.name),
    h("p", {}, d.text),
    h("p", { class: "def-formula", translate: "no" }, d.formula),
    d.note ? h("p", { class: "def-note" }, d.note) : "", // (append would write null as "null")
    h("p", { class: "small muted" }, RIGHT.reference, h("span", { translate: "no" }, d.reference)),
    h("p", {}, h("button", { type: "button", class: "primary", onclick: () => box.close() }, RIGHT.close)),
  );
  box.onclose = () => opener && opener.isConnected && opener.focus();
  box.showModal();
}

// Builds the DOM for this picture / layer / part / window.
function build(root, ctx, exportButton, key) {
  const { maps } = ctx;
  const l = state.model.info.layers[maps.layer];
  const parts = h(
    "div",
    { class: "right-parts", role: "group", "aria-label": RIGHT.parts },
    RIGHT_PARTS.map(([p, t]) => h("button", { type: "button", "data-part": p, "data-focus": `part-${p}`, "aria-pressed": String(p === state.rightPart), onclick: () => update({ rightPart: p }) }, t)),
  );
  const run = h("button", { type: "button", class: "run", "data-focus": "run", onclick: toggleRun }, RIGHT.run);
  const bar = h("progress", { max: "1", value: "0", "aria-label": RIGHT.progress });
  const status = h("span", { class: "right-status small" });
  const said = h("span", { class: "sr-only", role: "status", "aria-live": "polite" });
  const controls = h("div", { class: "right-settings", role: "group", "aria-label": RIGHT.whatToCompute });
  const body = h("div", { class: "right-body" });
  const dialog = h("dialog", { class: "right-def", "aria-labelledby": "right-def-title" });
  exportButton.setAttribute("aria-label", saveName(RIGHT.partSave(RIGHT_PARTS.find(([p]) => p === state.rightPart)[1])));
  const node = h(
    "div",
    { class: "right", "data-part": state.rightPart },
    // The layer is the toolbar's (and every export says it): the heading stays short so that
    // the parts, Run / Cancel and the progress share its line.
    h("div", { class: "view-head" }, h("h2", { title: RIGHT.layerTitle(layerWithGrid(l.name, maps.shape)) }, RIGHT.title), parts, h("div", { class: "right-run" }, run, bar, status, said), exportButton),
    controls,
    body,
    dialog,
  );
  clear(root).append(node);
  built = { key, node, part: state.rightPart, controls, body, run, bar, status, said, dialog, ctx, fitted: "" };
}

// Draws the view (building its DOM when the picture, layer, part or window changed) and starts
// what the shown part needs.
export function renderRight(root, ctx, exportButton) {
  const { picture, maps } = ctx;
  const names = classNames();
  const key = [lang(), picture.id, state.model.version, maps.layer, state.rightPart, state.large, window.innerWidth, window.innerHeight, names.length, methodsShown().join(",")].join("|");
  // A part button pressed from the keyboard keeps the focus in the new part (data-focus).
  if (!built || built.key !== key || !root.contains(built.node)) keepFocus(root, () => build(root, ctx, exportButton, key));
  built.ctx = ctx;
  buildControls();
  ensureJob(ctx);
  drawPart();
}

function buildControls() {
  const names = classNames();
  const b = built;
  const had = document.activeElement && b.controls.contains(document.activeElement) ? document.activeElement.id : null;
  const steps = select(RIGHT.steps, "right-steps", state.rightSteps, STEP_CHOICES, (v) => update({ rightSteps: Number(v) }));
  const del = select(RIGHT.deletionBaseline, "right-deletion", state.rightDeletion, BASELINES.map(([v]) => [v, RIGHT.baselineShort[v] || v]), (v) => update({ rightDeletion: v }));
  const ins = select(RIGHT.insertionBaseline, "right-insertion", state.rightInsertion, BASELINES.map(([v]) => [v, RIGHT.baselineShort[v] || v]), (v) => update({ rightInsertion: v }));
  const focus = focusClassOf(b.ctx.prediction);
  const many = names.length > MAX_ALL_CLASSES ? RIGHT.mostLikely(MAX_ALL_CLASSES) : RIGHT.everyClass;
  let extra = [];
  if (b.part === "picture") extra = [select(RIGHT.classes, "right-classes", state.rightClasses, [["all", many], ["focus", RIGHT.only(names[focus])]], (v) => update({ rightClasses: v }))];
  else if (b.part === "set") extra = [select(RIGHT.classes, "right-set-classes", state.rightSetClasses, [["predicted", RIGHT.eachPredicted], ["all", RIGHT.everyClass]], (v) => update({ rightSetClasses: v }))];
  else extra = [h("span", { class: "small muted" }, RIGHT.sanityClass(names[focus]), defButton("sanity", RIGHT.whatIsRho))];
  clear(b.controls).append(...(b.part === "sanity" ? [] : [steps, del, ins]), ...extra);
  if (had) {
    const again = b.controls.querySelector(`#${had}`);
    if (again) again.focus();
  }
}

// The Run / Cancel button, the progress bar and the status line of the shown part.
function showStatus() {
  const b = built;
  if (!b) return;
  const ctx = b.ctx;
  const part = b.part;
  const key = partKey(ctx);
  const running = jobs[part] && jobs[part].key === key ? jobs[part] : null;
  const complete = isComplete(ctx);
  const done = last[part] && last[part].key === key ? last[part] : null;
  const n = setPictures().length;
  b.run.textContent = running ? RIGHT.cancel : part === "set" ? RIGHT.scoreSet(n) : RIGHT.run;
  b.run.classList.toggle("cancel", !!running);
  b.run.setAttribute("aria-disabled", String(!running && complete));
  b.run.title = running ? RIGHT.stopTitle : complete ? RIGHT.computedTitle : RIGHT.computeTitle;
  b.bar.hidden = !running;
  let text = "";
  if (running) {
    const secs = (performance.now() - running.t0) / 1000;
    if (part === "set") {
      const [d, t] = running.step;
      b.bar.max = running.total || 1;
      b.bar.value = running.done + (t ? d / t : 0);
      text = `${rightProgressText("set", running.done, running.total, secs)}${RIGHT.thisOne(t ? Math.round((100 * d) / t) : 0)}`;
    } else {
      b.bar.max = running.total || 1;
      b.bar.value = running.done;
      text = running.total ? rightProgressText(part, running.done, running.total, secs) : RIGHT.starting(secs.toFixed(1));
    }
  } else if ((done && done.status === "cancelled") || (!complete && stopped.has(key))) text = RIGHT.cancelled;
  else if (done && done.status === "failed") text = RIGHT.failed(done.error);
  else if (complete && done) text = RIGHT.doneIn((done.ms / 1000).toFixed(1));
  else if (complete) text = RIGHT.kept;
  else if (part === "set") text = RIGHT.setHint(n);
  b.status.textContent = text;
  const said = running ? RIGHT.computing : done ? { done: RIGHT.done, cancelled: RIGHT.cancelledShort, failed: RIGHT.failed(done.error) }[done.status] : "";
  if (b.said.textContent !== said) b.said.textContent = said;
}

function drawPart() {
  const b = built;
  showStatus();
  if (b.part === "picture") drawPicture(b);
  else if (b.part === "sanity") drawSanity(b);
  else drawSet(b);
}

// ---- part 1: this picture

function cellTitle(method, c, prediction) {
  const names = classNames();
  return `${methodTitle(method)} · ${names[c]} ${percent(prediction.probabilities[c])}${c === prediction.predicted ? " ★" : ""}`;
}

function verdictMark(metric, value, random) {
  const words = versusRandom(metric, value, random);
  if (!words) return null;
  const mark = markOf(metric, value, random);
  return h("span", { class: `vs ${{ " =": "same", " ✓": "good", " ✗": "bad" }[mark]}`, title: words }, mark, h("span", { class: "sr-only" }, ` ${words}`));
}

function numbersTable(method, row, rnd) {
  const cell = (metric, v, r, show) => h("td", { class: "num" }, row ? show(v) : "…", row && rnd ? verdictMark(metric, metric === "increase" ? Number(v) : v, metric === "increase" ? Number(r) : r) : null);
  const yes = (v) => (v ? RIGHT.yes : RIGHT.no);
  const c = row && row.confidence;
  const rc = rnd && rnd.confidence;
  const line = (metric, v, r, show) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, defButton(metric, METRICS[metric].short), h("span", { class: "better", title: RIGHT.better(METRICS[metric].better) }, METRICS[metric].better === "lower" ? " ↓" : " ↑", h("span", { class: "sr-only" }, ` (${RIGHT.better(METRICS[metric].better)})`))),
      cell(metric, v, r, show),
      h("td", { class: "num muted" }, rnd ? show(r) : "…"),
    );
  return h(
    "table",
    { class: "right-numbers" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, h("span", { class: "sr-only" }, RIGHT.metric)), h("th", { scope: "col" }, methodTitle(method)), h("th", { scope: "col" }, defButton("random", RIGHT.random)))),
    h(
      "tbody",
      {},
      line("deletion", row && row.deletionAuc, rnd && rnd.deletionAuc, score),
      line("insertion", row && row.insertionAuc, rnd && rnd.insertionAuc, score),
      line("drop", c && c.drop, rc && rc.drop, share),
      line("increase", c && c.increase, rc && rc.increase, yes),
    ),
  );
}

function curveAlt(method, name, row, rnd) {
  if (!row) return RIGHT.notYetCurves(method, name);
  const d = row.deletion;
  const i = row.insertion;
  return RIGHT.curvesAlt(method, name, score(d[0]), score(d[d.length - 1]), score(row.deletionAuc), rnd ? score(rnd.deletionAuc) : "", score(i[0]), score(i[i.length - 1]), score(row.insertionAuc), rnd ? score(rnd.insertionAuc) : "");
}

// A chart's canvas at w x h CSS pixels (device pixels by `ratio`), cleared to white, and its
// plot area inside the margins (CSS pixels, rounded): {ctx, left, top, pw, ph}.
function chartFrame(canvas, w, h, ratio, margins) {
  canvas.width = Math.round(w * ratio);
  canvas.height = Math.round(h * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  const [left, top, right, bottom] = [margins.left, margins.top, margins.right, margins.bottom].map(Math.round);
  return { ctx, left, top, pw: w - left - right, ph: h - top - bottom };
}

// Deletion and insertion curves of one map (and the random map's, dashed) on a canvas of
// w x h CSS pixels: x = share of the pixels removed / revealed, y = the class's probability.
export function drawCurves(canvas, row, rnd, { w, h, font = 12, ratio = window.devicePixelRatio || 1 }) {
  const { ctx, left, top, pw, ph } = chartFrame(canvas, w, h, ratio, { left: font * 2.6, bottom: font * 2.6, top: font * 0.6, right: font * 0.8 });
  const X = (t) => left + t * pw;
  const Y = (p) => top + (1 - Math.max(0, Math.min(1, p))) * ph;
  ctx.strokeStyle = "#c9ced8";
  ctx.lineWidth = 1;
  ctx.font = `${font}px ${FONT}`;
  ctx.fillStyle = "#3d4556";
  for (const p of [0, 0.5, 1]) {
    ctx.beginPath();
    ctx.moveTo(left, Math.round(Y(p)) + 0.5);
    ctx.lineTo(left + pw, Math.round(Y(p)) + 0.5);
    ctx.stroke();
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(String(p), left - 4, Y(p));
  }
  ctx.textBaseline = "top";
  const ticks = pw > font * 9 ? [0, 0.5, 1] : [0, 1];
  for (const t of ticks) {
    ctx.textAlign = t === 0 ? "left" : t === 1 ? "right" : "center";
    ctx.fillText(`${Math.round(t * 100)} %`, X(t), top + ph + 3);
  }
  ctx.textAlign = "center";
  const caption = ellipsize(ctx, RIGHT.axis, pw);
  ctx.fillText(caption, left + pw / 2, top + ph + 3 + font * 1.2);
  const path = (curve) => {
    ctx.beginPath();
    curve.forEach((p, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, X(i / (curve.length - 1)), Y(p)));
  };
  const area = (curve, colour) => {
    path(curve);
    ctx.lineTo(X(1), Y(0));
    ctx.lineTo(X(0), Y(0));
    ctx.closePath();
    ctx.fillStyle = colour;
    ctx.fill();
  };
  if (row) {
    area(row.deletion, "rgba(213, 94, 0, 0.13)");
    area(row.insertion, "rgba(0, 114, 178, 0.13)");
  }
  for (const [r, dash, width] of [[rnd, [5, 4], 1.5], [row, [], 2.4]]) {
    if (!r) continue;
    ctx.setLineDash(dash);
    ctx.lineWidth = width;
    for (const [curve, colour] of [[r.deletion, DEL_COLOUR], [r.insertion, INS_COLOUR]]) {
      path(curve);
      ctx.strokeStyle = colour;
      ctx.stroke();
    }
  }
  ctx.setLineDash([]);
  if (!row) {
    ctx.fillStyle = "#5a6375";
    ctx.textBaseline = "middle";
    ctx.fillText(RIGHT.chartComputing, left + pw / 2, top + ph / 2);
  }
}

// The key to the curves' colours and dashes (HTML, beside the charts).
function curveKey() {
  const sw = (cls, text) => h("span", { class: "key-item" }, h("i", { class: `swatch ${cls}`, "aria-hidden": "true" }), text);
  return h(
    "p",
    { class: "right-key small" },
    sw("del", RIGHT.keyDeletion),
    sw("ins", RIGHT.keyInsertion),
    sw("rnd", RIGHT.keyRandom),
    h("span", { class: "muted" }, RIGHT.keyMarks),
  );
}

function drawPicture(b) {
  const { picture, prediction } = b.ctx;
  const names = classNames();
  const methods = methodsShown();
  const s = settings();
  const classes = pictureClasses(prediction);
  const fitted = [b.key, classes.join(","), s.steps, s.deletion, s.insertion].join("|");
  if (b.fitted !== fitted) {
    const cells = [];
    const grid = h("div", { class: "right-grid", style: { gridTemplateColumns: `repeat(${classes.length}, minmax(0, 1fr))` } });
    for (const m of methods)
      for (const c of classes) {
        const canvas = makeCanvas(10, 10);
        canvas.setAttribute("role", "img");
        canvas.dataset.method = m;
        canvas.dataset.class = String(c);
        const slot = h("div", { class: "numbers-slot" });
        const node = h("div", { class: "curve-cell" }, h("h3", {}, cellTitle(m, c, prediction)), h("div", { class: "curve-body" }, canvas, slot));
        cells.push({ m, c, canvas, slot, node });
        grid.append(node);
      }
    const cmd = h("input", { type: "text", readonly: true, class: "cmd", id: "right-road-command", "aria-label": RIGHT.roadCommand, translate: "no", onfocus: (e) => e.target.select() });
    const road = h("div", { class: "road-note small" }, h("p", {}, defButton("road"), `: ${roadShort()}`), cmd);
    const baselines = h("p", { class: "small muted baselines" });
    clear(b.body).append(baselines, grid, curveKey(), road);
    b.cells = cells;
    b.cmd = cmd;
    b.baselines = baselines;
    b.chart = { w: 240, h: 150 };
    b.fitted = fitted;
    b.needsFit = true;
  }
  b.baselines.textContent = RIGHT.baselines(baselineWords(s.deletion), baselineWords(s.insertion), s.steps);
  b.baselines.title = b.baselines.textContent; // large type cuts it to one line
  for (const cell of b.cells) {
    const row = rowOf(picture, s, cell.m, cell.c);
    const rnd = rowOf(picture, s, "random", cell.c);
    clear(cell.slot).append(numbersTable(cell.m, row, rnd));
    cell.row = row;
    cell.rnd = rnd;
    cell.canvas.setAttribute("aria-label", curveAlt(methodTitle(cell.m), names[cell.c], row, rnd));
  }
  b.cmd.value = evaluateCommand({
    pictures: [picturePath(picture)],
    weights: weightsPath(),
    layer: state.model.info.layers[s.layer].name,
    methods,
    classes: state.rightClasses === "all" ? "all" : classes[0] === prediction.predicted ? "predicted" : "all",
    steps: s.steps,
    deletion: s.deletion,
    insertion: s.insertion,
  });
  // The numbers' columns widen once they arrive: fit again then.
  const have = b.cells.filter((c) => c.row && c.rnd).length;
  if (b.needsFit || b.fitHave !== have) fitPicture(b);
  b.fitHave = have;
  const font = Math.round(0.72 * remPx());
  for (const cell of b.cells) drawCurves(cell.canvas, cell.row, cell.rnd, { w: b.chart.w, h: b.chart.h, font });
  rightDebug.picture = {
    pictureId: picture.id,
    pictureName: picture.name,
    settings: s,
    classes,
    rows: [...new Set(b.cells.flatMap((c) => [c.row, c.rnd]).filter(Boolean))], // the random rows once per class
  };
}

// The charts as large as fits: the window's height (no scrolling) and each cell's width.
function fitPicture(b) {
  b.needsFit = false;
  const rem = remPx();
  const set = (hgt) => {
    const cell = b.cells[0];
    const body = cell.node.querySelector(".curve-body");
    const room = body.clientWidth - cell.slot.offsetWidth - rem * 0.8;
    const w = Math.max(120, Math.min(Math.round(hgt * 1.7), room));
    for (const c of b.cells) {
      c.canvas.style.width = `${w}px`;
      c.canvas.style.height = `${hgt}px`;
    }
    b.chart = { w, h: hgt };
  };
  const fits = () => document.documentElement.scrollHeight <= window.innerHeight;
  let lo = 70;
  let hi = Math.round(16 * rem);
  set(lo);
  if (!fits()) return;
  for (let i = 0; i < 7; i++) {
    const mid = Math.round((lo + hi) / 2);
    set(mid);
    if (fits()) lo = mid;
    else hi = mid;
  }
  set(lo);
}

// Where the CLI finds the picture: a sample lives in web/samples/, a picture the person
// opened is named by its file name.
function picturePath(picture) {
  return picture.source === "sample" ? `web/samples/${picture.name}` : picture.name;
}

function weightsPath() {
  const name = state.model.name || "weights.csw";
  return name === SHIPPED_WEIGHTS ? `weights/${name}` : name;
}

// ---- part 2: the sanity check

function drawSanity(b) {
  const { picture, prediction, maps } = b.ctx;
  const names = classNames();
  const methods = methodsShown();
  const cls = focusClassOf(prediction);
  const key = partKey(b.ctx);
  const result = store(picture).sanity.get(key) || null;
  const fitted = [b.key, key, !!result].join("|");
  if (b.fitted !== fitted) {
    const verdicts = h("div", { class: "verdicts" });
    const chart = makeCanvas(10, 10);
    chart.setAttribute("role", "img");
    chart.className = "rho-chart";
    const table = h("table", { class: "sanity-strip" });
    const legend = makeCanvas(10, 10);
    legend.className = "colourbar";
    legend.setAttribute("role", "img");
    legend.style.width = "15rem"; // its size counts in the fit
    legend.style.height = "2.1rem";
    clear(b.body).append(
      h("p", { class: "small muted" }, sanityIntro(names[cls])),
      h("div", { class: "sanity-main" }, chart, verdicts),
      h("div", { class: "strip-wrap" }, table, legend),
    );
    Object.assign(b, { verdicts, rhoChart: chart, strip: table, legend, thumbs: null, fitted });
    if (result) {
      const steps = result.steps;
      const head = h(
        "tr",
        {},
        h("th", { scope: "col" }, RIGHT.method),
        h("th", { scope: "col", class: "orig" }, RIGHT.original),
        steps.map((st, i) => h("th", { scope: "col", class: "node", title: RIGHT.stepTitle(i + 1, st.node) }, h("span", {}, `${i + 1} ${st.node}`))),
      );
      const thumbs = {};
      const rows = methods.map((m) => {
        thumbs[m] = [];
        const cells = [null, ...steps].map((st, i) => {
          const c = makeCanvas(...fitRatio(picture, 80));
          c.setAttribute("role", "img");
          const cap = h("span", { class: "rho num" }, "−0.00"); // its size, for the fit
          thumbs[m].push({ canvas: c, cap, step: i - 1 });
          return h("td", {}, c, cap);
        });
        return h("tr", {}, h("th", { scope: "row" }, methodTitle(m)), cells);
      });
      b.strip.append(h("thead", {}, head), h("tbody", {}, rows));
      b.thumbs = thumbs;
    }
    b.needsFit = true;
  }
  clear(b.verdicts);
  if (!result) {
    b.verdicts.append(h("p", { class: "muted" }, RIGHT.computingMaps));
    b.rhoChart.setAttribute("aria-label", RIGHT.rhoNotYet);
    drawRho(b.rhoChart, null, methods, { w: 300, h: 160, font: 12 });
    rightDebug.sanity = null;
    return;
  }
  const lastStep = result.steps[result.steps.length - 1];
  for (const m of methods) {
    const rho = lastStep ? lastStep.rho[m] : null;
    const fails = Number.isFinite(rho) && Math.abs(rho) >= SANITY_STILL;
    b.verdicts.append(h("p", { class: `verdict-line ${fails ? "fails" : "passes"}`, "data-method": m }, sanityVerdict(methodTitle(m), rho, result.steps.length)));
  }
  const lut = state.model.luts[state.cmap];
  const shape = maps.shape;
  if (b.needsFit) fitSanity(b); // before drawing: it may resize the thumbnails' canvases
  for (const m of methods) {
    b.thumbs[m].forEach((t) => {
      const raw = t.step < 0 ? result.originals[m] : result.steps[t.step].maps[m];
      const node = t.step < 0 ? "" : result.steps[t.step].node;
      if (!raw) {
        t.canvas.getContext("2d").clearRect(0, 0, t.canvas.width, t.canvas.height);
        t.cap.textContent = RIGHT.noMap;
        t.canvas.setAttribute("aria-label", RIGHT.noMapAt(methodTitle(m), t.step + 1));
        return;
      }
      const r = renderMap(t.canvas, picture.canvas, raw, shape, {
        empty: LABELS.emptyMap,
        scale: maxOf(raw),
        lut,
        cmap: state.cmap,
        alpha: state.opacity,
        key: `sanity|${picture.id}|${state.model.version}|${maps.layer}|${m}|${cls}|${t.step}`,
      });
      const rho = t.step < 0 ? 1 : result.steps[t.step].rho[m];
      t.cap.textContent = rhoText(rho);
      t.canvas.setAttribute(
        "aria-label",
        t.step < 0
          ? RIGHT.trainedAlt(methodTitle(m), names[cls], r.empty)
          : RIGHT.randomisedAlt(methodTitle(m), names[cls], node, Number.isFinite(rho) ? rho.toFixed(2) : RIGHT.none, r.empty),
      );
    });
  }
  const font = Math.round(0.72 * remPx());
  drawRho(b.rhoChart, result, methods, { w: b.rhoSize.w, h: b.rhoSize.h, font });
  b.rhoChart.setAttribute("aria-label", RIGHT.rhoAlt(methods.map((m) => `${methodTitle(m)} ${result.steps.map((st) => (Number.isFinite(st.rho[m]) ? st.rho[m].toFixed(2) : RIGHT.none)).join(", ")}`).join("; ")));
  const w = cmapWords(state.cmap);
  b.legend.setAttribute("aria-label", RIGHT.legendAlt(w.low, w.high));
  drawLegend(b.legend, lut, { low: "0", high: RIGHT.ownPeak, label: "", font });
  rightDebug.sanity = {
    pictureId: picture.id,
    cls,
    nodes: result.steps.map((st) => st.node),
    rho: Object.fromEntries(methods.map((m) => [m, result.steps.map((st) => st.rho[m])])),
  };
}

function fitRatio(picture, side) {
  const s = side / Math.max(picture.width, picture.height);
  return [Math.max(1, Math.round(picture.width * s)), Math.max(1, Math.round(picture.height * s))];
}

// Thumbnails and the ρ chart as large as fit without scrolling.
function fitSanity(b) {
  b.needsFit = false;
  const rem = remPx();
  const { picture } = b.ctx;
  const aspect = picture.width / picture.height;
  const all = Object.values(b.thumbs).flat();
  const set = (k) => {
    const side = Math.round(k);
    for (const t of all) {
      t.canvas.style.width = `${aspect >= 1 ? side : Math.round(side * aspect)}px`;
      t.canvas.style.height = `${aspect >= 1 ? Math.round(side / aspect) : side}px`;
    }
    b.rhoSize = { w: Math.round(Math.max(16 * rem, Math.min(30 * rem, side * 4))), h: Math.round(Math.max(7 * rem, Math.min(15 * rem, side * 2.2))) };
    b.rhoChart.style.width = `${b.rhoSize.w}px`;
    b.rhoChart.style.height = `${b.rhoSize.h}px`;
  };
  const fits = () => document.documentElement.scrollHeight <= window.innerHeight && document.documentElement.scrollWidth <= window.innerWidth;
  let lo = 28;
  let hi = 9 * rem;
  set(lo);
  if (!fits()) return;
  for (let i = 0; i < 7; i++) {
    const mid = (lo + hi) / 2;
    set(mid);
    if (fits()) lo = mid;
    else hi = mid;
  }
  set(lo);
  for (const t of all) {
    const [w, hh] = fitRatio(picture, Math.max(64, Math.round(lo * (window.devicePixelRatio || 1))));
    if (t.canvas.width !== w) {
      t.canvas.width = w;
      t.canvas.height = hh;
    }
  }
}

// ρ against the step, one line per method; x labels: the step numbers (the table names the
// nodes). null: an empty frame.
export function drawRho(canvas, result, methods, { w, h, font = 12, ratio = window.devicePixelRatio || 1 }) {
  const { ctx, left, top, pw, ph } = chartFrame(canvas, w, h, ratio, { left: font * 2.8, bottom: font * 2.8, top: font * 1.8, right: font * 0.8 });
  const n = result ? result.steps.length : 1;
  const X = (i) => left + (i / Math.max(1, n)) * pw;
  const Y = (r) => top + ((1 - Math.max(-1, Math.min(1, r))) / 2) * ph;
  ctx.font = `${font}px ${FONT}`;
  ctx.fillStyle = "#3d4556";
  ctx.strokeStyle = "#c9ced8";
  ctx.lineWidth = 1;
  for (const r of [-1, -SANITY_STILL, 0, SANITY_STILL, 1]) {
    ctx.setLineDash(Math.abs(r) === SANITY_STILL ? [3, 3] : []);
    ctx.beginPath();
    ctx.moveTo(left, Math.round(Y(r)) + 0.5);
    ctx.lineTo(left + pw, Math.round(Y(r)) + 0.5);
    ctx.stroke();
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(String(r), left - 4, Y(r));
  }
  ctx.setLineDash([]);
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(RIGHT.rhoAxis, left, 2);
  ctx.textAlign = "center";
  const every = Math.max(1, Math.ceil((n * font * 1.6) / pw));
  for (let i = 0; i <= n; i += every) ctx.fillText(String(i), X(i), top + ph + 3);
  ctx.fillText(RIGHT.stepsAxis, left + pw / 2, top + ph + 3 + font * 1.2);
  if (!result) return;
  methods.forEach((m, k) => {
    const colour = RHO_COLOURS[k % RHO_COLOURS.length];
    const pts = [1, ...result.steps.map((st) => (Number.isFinite(st.rho[m]) ? st.rho[m] : 0))];
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 2;
    ctx.setLineDash(k % 2 ? [6, 3] : []);
    ctx.beginPath();
    pts.forEach((r, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, X(i), Y(r)));
    ctx.stroke();
    ctx.setLineDash([]);
    pts.forEach((r, i) => {
      ctx.beginPath();
      if (k % 2) ctx.rect(X(i) - 3, Y(r) - 3, 6, 6);
      else ctx.arc(X(i), Y(r), 3, 0, 2 * Math.PI);
      ctx.fill();
    });
    ctx.textAlign = "right";
    ctx.textBaseline = "top";
    ctx.fillText(methodTitle(m), left + pw, 2 + k * font * 1.15 - (k ? 0 : 0));
  });
}

// ---- part 3: over the pictures

// Mean and standard deviation (over n, as the CLI's summary).
function meanSdOf(values) {
  const v = values.filter(Number.isFinite);
  if (!v.length) return { mean: NaN, sd: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) * (b - mean), 0) / v.length);
  return { mean, sd, n: v.length };
}

// Rows of the set under the current settings: [{picture, cls, method, row}] (row null: not
// scored yet), and the summary per method.
export function setTable() {
  const s = settings();
  const methods = [...methodsShown(), "random"];
  const rows = [];
  for (const p of setPictures()) {
    const classes = setClasses(p) || [];
    for (const c of classes) for (const m of methods) rows.push({ picture: p, cls: c, method: m, row: rowOf(p, s, m, c) });
    if (!classes.length) for (const m of methods) rows.push({ picture: p, cls: -1, method: m, row: null });
  }
  const summary = {};
  for (const m of methods) {
    const mine = rows.filter((r) => r.method === m && r.row).map((r) => r.row);
    summary[m] = {
      n: mine.length,
      deletion: meanSdOf(mine.map((r) => r.deletionAuc)),
      insertion: meanSdOf(mine.map((r) => r.insertionAuc)),
      drop: meanSdOf(mine.map((r) => 100 * r.confidence.drop)),
      increase: meanSdOf(mine.map((r) => (r.confidence.increase ? 100 : 0))),
    };
  }
  return { settings: s, methods, rows, summary };
}

function drawSet(b) {
  const names = classNames();
  const t = setTable();
  const s = t.settings;
  if (b.fitted !== b.key) {
    b.setSummary = h("div", { class: "set-summary" });
    b.setRows = h("div", { class: "set-rows" });
    b.setButtons = h(
      "div",
      { class: "set-buttons" },
      h("button", { type: "button", "data-focus": "csv", onclick: () => saveSet("csv"), title: RIGHT.saveCsvTitle }, RIGHT.saveCsv),
      h("button", { type: "button", "data-focus": "json", onclick: () => saveSet("json"), title: RIGHT.saveJsonTitle }, RIGHT.saveJson),
    );
    b.setCmd = h("input", { type: "text", readonly: true, class: "cmd", id: "right-set-command", "aria-label": RIGHT.setCommand, translate: "no", onfocus: (e) => e.target.select() });
    clear(b.body).append(
      h("p", { class: "small muted baselines" }),
      b.setSummary,
      b.setButtons,
      b.setRows,
      h("div", { class: "road-note small" }, h("p", {}, defButton("road"), `: ${roadShort()}`), b.setCmd),
    );
    b.fitted = b.key;
  }
  b.body.querySelector(".baselines").textContent = RIGHT.setBaselines(t.rows.filter((r) => r.row && r.method !== "random").length > 0, baselineWords(s.deletion), baselineWords(s.insertion), s.steps, state.rightSetClasses === "all" ? RIGHT.everyClass : RIGHT.eachPredicted);
  const head = (metric) => h("th", { scope: "col" }, defButton(metric, metric === "drop" ? RIGHT.averageDrop : metric === "increase" ? RIGHT.increaseConf : METRICS[metric].name), METRICS[metric].better === "lower" ? " ↓" : " ↑");
  clear(b.setSummary).append(
    h(
      "table",
      { class: "lab right-table", "data-testid": "set-summary" },
      h("caption", {}, RIGHT.meanCaption(new Set(t.rows.filter((r) => r.row).map((r) => r.picture.id)).size, setPictures().length)),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, RIGHT.method), h("th", { scope: "col" }, "n"), head("deletion"), head("insertion"), head("drop"), head("increase"))),
      h(
        "tbody",
        {},
        t.methods.map((m) => {
          const r = t.summary[m];
          return h(
            "tr",
            { "data-method": m },
            h("th", { scope: "row" }, m === "random" ? defButton("random", RIGHT.randomMap) : methodTitle(m)),
            h("td", { class: "num" }, String(r.n)),
            h("td", { class: "num" }, meanSd(r.deletion.mean, r.deletion.sd)),
            h("td", { class: "num" }, meanSd(r.insertion.mean, r.insertion.sd)),
            h("td", { class: "num" }, `${meanSd(r.drop.mean, r.drop.sd, 1)}${Number.isFinite(r.drop.mean) ? " %" : ""}`),
            h("td", { class: "num" }, `${meanSd(r.increase.mean, r.increase.sd, 1)}${Number.isFinite(r.increase.mean) ? " %" : ""}`),
          );
        }),
      ),
    ),
  );
  const groups = new Map();
  for (const r of t.rows) {
    const k = `${r.picture.id}|${r.cls}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const bodies = [...groups.values()].map((list) => {
    const first = list[0];
    const pred = resultsFor(first.picture.id).prediction;
    return h(
      "tbody",
      {},
      list.map((r, i) =>
        h(
          "tr",
          { "data-picture": r.picture.id, "data-method": r.method },
          i === 0
            ? h(
                "th",
                { scope: "rowgroup", rowspan: String(list.length) },
                h("button", { type: "button", class: "linkish", title: RIGHT.explain(r.picture.name), onclick: () => actions.open && actions.open(r.picture) }, r.picture.name),
                h("span", { class: "small muted" }, r.cls >= 0 ? ` ${names[r.cls]}${pred ? ` ${percent(pred.probabilities[r.cls])}` : ""}` : RIGHT.notScored),
              )
            : null,
          h("td", {}, r.method === "random" ? RIGHT.randomMap : methodTitle(r.method)),
          h("td", { class: "num" }, r.row ? score(r.row.deletionAuc) : "–"),
          h("td", { class: "num" }, r.row ? score(r.row.insertionAuc) : "–"),
          h("td", { class: "num" }, r.row ? share(r.row.confidence.drop) : "–"),
          h("td", { class: "num" }, r.row ? (r.row.confidence.increase ? RIGHT.yes : RIGHT.no) : "–"),
        ),
      ),
    );
  });
  clear(b.setRows).append(
    h(
      "table",
      { class: "lab right-table", "data-testid": "set-rows" },
      h("caption", {}, RIGHT.perPicture),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, RIGHT.pictureClass), h("th", { scope: "col" }, RIGHT.method), h("th", { scope: "col" }, METRICS.deletion.name), h("th", { scope: "col" }, METRICS.insertion.name), h("th", { scope: "col" }, RIGHT.drop), h("th", { scope: "col" }, RIGHT.increase))),
      bodies,
    ),
  );
  b.setCmd.value = evaluateCommand({
    pictures: setPictures().map(picturePath),
    weights: weightsPath(),
    layer: state.model.info.layers[s.layer].name,
    methods: methodsShown(),
    classes: state.rightSetClasses,
    steps: s.steps,
    deletion: s.deletion,
    insertion: s.insertion,
  });
  rightDebug.set = {
    rows: t.rows.filter((r) => r.row).map((r) => ({ picture: r.picture.name, cls: r.cls, method: r.method, deletionAuc: r.row.deletionAuc, insertionAuc: r.row.insertionAuc, drop: r.row.confidence.drop, increase: r.row.confidence.increase })),
    summary: t.summary,
  };
}

// ---- exports

// What every export says about the model, its weights file and the settings.
async function exportHeader(t) {
  const hashes = await weightsInfo();
  const l = state.model.info.layers[t.settings.layer];
  return {
    model: { name: state.model.info.name, weights_file: state.model.name, bytes: hashes.bytes, crc32: hashes.crc32, sha256: hashes.sha256, classes: classNames() },
    layer: l.name,
    layer_grid: layerWithGrid(l.name, l.shape),
    normalisation: "none on the page's display: deletion and insertion use the order of the map's values (any scaling gives the same curves); the drop and increase use the map divided by its own maximum",
    steps: t.settings.steps,
    deletion_baseline: t.settings.deletion,
    insertion_baseline: t.settings.insertion,
    classes_scored: state.rightSetClasses,
    methods: t.methods.map((m) => ({ name: m, title: m === "random" ? "random map" : methodTitle(m) })),
  };
}

function definitions() {
  return Object.fromEntries(Object.entries(METRICS).map(([k, d]) => [k, { name: d.name, better: d.better, definition: d.text, formula: d.formula, reference: d.reference, note: d.note }]));
}

function csvCell(v) {
  const s = v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v)) ? "" : String(v);
  return /[",\n#]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// The lab table as CSV: "#" lines first (model, hash, settings, definitions; read with
// pandas.read_csv(f, comment="#")), then one row per picture, class and method, then the
// mean and sd rows per method.
export async function setCsv() {
  const t = setTable();
  const head = await exportHeader(t);
  const names = classNames();
  const lines = [
    `# camscope "Is it right?" table: ${t.rows.filter((r) => r.row).length} scored maps of ${setPictures().length} pictures`,
    `# model: ${head.model.name}; weights file: ${head.model.weights_file} (${head.model.bytes} bytes, CRC-32 ${head.model.crc32}, SHA-256 ${head.model.sha256 || "not available in this browser"})`,
    `# layer: ${head.layer_grid}; steps: ${head.steps}; deletion baseline: ${head.deletion_baseline}; insertion baseline: ${head.insertion_baseline}; classes: ${head.classes_scored}`,
    `# normalisation: ${head.normalisation}`,
    ...Object.entries(definitions()).map(([k, d]) => `# ${k}: ${d.name} (${d.better ? `${d.better} is better` : "baseline"}): ${d.definition} ${d.formula}. ${d.note} Reference: ${d.reference}`.replace(/\n/g, " ")),
  ];
  const cols = ["model", "weights_sha256", "weights_crc32", "layer", "normalisation", "steps", "deletion_baseline", "insertion_baseline", "picture", "class", "predicted", "method", "deletion_auc", "insertion_auc", "original_prob", "masked_prob", "drop", "increase"];
  lines.push(cols.join(","));
  const common = [head.model.name, head.model.sha256 || "", head.model.crc32, head.layer, "map / max (drop, increase); order only (curves)", head.steps, head.deletion_baseline, head.insertion_baseline];
  for (const r of t.rows) {
    if (!r.row) continue;
    const pred = resultsFor(r.picture.id).prediction;
    const c = r.row.confidence;
    lines.push([...common, r.picture.name, names[r.cls], pred ? names[pred.predicted] : "", r.method, r.row.deletionAuc, r.row.insertionAuc, c.original, c.masked, c.drop, c.increase ? 1 : 0].map(csvCell).join(","));
  }
  for (const m of t.methods) {
    const s = t.summary[m];
    for (const [what, k] of [["mean", "mean"], ["sd", "sd"]]) {
      lines.push([...common, `(${what} of ${s.n})`, "", "", m, s.deletion[k], s.insertion[k], "", "", s.drop[k] / 100, s.increase[k] / 100].map(csvCell).join(","));
    }
  }
  return `${lines.join("\n")}\n`;
}

// The lab table as JSON: the header, the definitions, the summary (Average Drop and Increase
// in %, as the CLI's) and every row with its curves.
export async function setJson() {
  const t = setTable();
  const head = await exportHeader(t);
  const names = classNames();
  const summary = Object.fromEntries(
    t.methods.map((m) => {
      const s = t.summary[m];
      return [m, { n: s.n, deletion_auc: { mean: s.deletion.mean, sd: s.deletion.sd }, insertion_auc: { mean: s.insertion.mean, sd: s.insertion.sd }, average_drop: { mean: s.drop.mean, sd: s.drop.sd }, increase_in_confidence: { mean: s.increase.mean, sd: s.increase.sd } }];
    }),
  );
  const rows = t.rows
    .filter((r) => r.row)
    .map((r) => ({
      picture: r.picture.name,
      class: names[r.cls],
      method: r.method,
      deletion_auc: r.row.deletionAuc,
      insertion_auc: r.row.insertionAuc,
      original_prob: r.row.confidence.original,
      masked_prob: r.row.confidence.masked,
      drop: r.row.confidence.drop,
      increase: r.row.confidence.increase,
      deletion: Array.from(r.row.deletion),
      insertion: Array.from(r.row.insertion),
    }));
  const doc = {
    made_by: "camscope page, “Is it right?” view",
    ...head,
    pictures: setPictures().map((p) => p.name),
    definitions: definitions(),
    road: { note: roadNote(), command: built && built.setCmd ? built.setCmd.value : "" },
    summary,
    rows,
  };
  return `${JSON.stringify(doc, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1)}\n`;
}

async function saveSet(kind) {
  const t = setTable();
  const l = state.model.info.layers[t.settings.layer];
  const name = dataFileName(["right", "table", `${setPictures().length}-pictures`, layerWithGrid(l.name, l.shape), methodsShown().join("+"), `${t.settings.steps}-steps`, `${t.settings.deletion}-${t.settings.insertion}`], kind);
  const text = kind === "csv" ? await setCsv() : await setJson();
  rightDebug.lastData = { name, text };
  if (actions.saveData) actions.saveData(text, name, kind === "csv" ? "text/csv" : "application/json");
}

// A figure drawn top to bottom; texts and pictures are recorded in canvas.figure like
// composeTable's, so that the tests can check what it says and that no text covers a picture.
function figureWriter(width, maxHeight) {
  const canvas = makeCanvas(width, maxHeight);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, maxHeight);
  ctx.textBaseline = "top";
  const figure = { texts: [], images: [], legends: [] };
  const w = {
    ctx,
    figure,
    text(t, x, y, maxW, size = 16, weight = 400, colour = "#1d2330") {
      ctx.font = `${weight} ${size}px ${FONT}`;
      ctx.fillStyle = colour;
      const shown = ellipsize(ctx, t, maxW);
      ctx.fillText(shown, x, y);
      figure.texts.push({ text: shown, x, y, w: ctx.measureText(shown).width, h: size * 1.2 });
      return size * 1.35;
    },
    // Wrapped into lines of maxW; returns the height used.
    para(t, x, y, maxW, size = 15, weight = 400, colour = "#3d4556", maxLines = 6) {
      ctx.font = `${weight} ${size}px ${FONT}`;
      const lines = wrapLines(ctx, t, maxW, maxLines);
      lines.forEach((line, i) => w.text(line, x, y + i * size * 1.35, maxW, size, weight, colour));
      return lines.length * size * 1.35;
    },
    image(src, x, y, iw, ih) {
      ctx.drawImage(src, x, y, iw, ih);
      figure.images.push({ x, y, w: iw, h: ih });
    },
    swatch(x, y, colour, label, dashed = false) {
      ctx.fillStyle = "#fff";
      ctx.fillRect(x, y, 28, 14);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 3;
      ctx.setLineDash(dashed ? [5, 4] : []);
      ctx.beginPath();
      ctx.moveTo(x, y + 7);
      ctx.lineTo(x + 28, y + 7);
      ctx.stroke();
      ctx.setLineDash([]);
      figure.legends.push({ x, y: y + 5, w: 28, h: 4, label });
      w.text(label, x + 34, y - 1, 320, 14);
      return 34 + figure.texts[figure.texts.length - 1].w + 18; // the width used
    },
    scale(x, y, lut, label, low, high) {
      const sw = 230;
      w.text(label, x, y, sw, 14, 600);
      for (let i = 0; i < sw; i++) {
        ctx.fillStyle = lutColour(lut, i / (sw - 1));
        ctx.fillRect(x + i, y + 20, 1, 14);
      }
      figure.legends.push({ x, y: y + 20, w: sw, h: 14, label });
      w.text(low, x, y + 37, sw / 2, 13);
      ctx.font = `400 13px ${FONT}`;
      const room = sw - ctx.measureText(low).width - 10;
      const shown = ellipsize(ctx, high, room);
      w.text(shown, x + sw - ctx.measureText(shown).width, y + 37, room, 13);
      return 58;
    },
    finish(height) {
      const out = makeCanvas(width, Math.ceil(height));
      out.getContext("2d").drawImage(canvas, 0, 0);
      out.figure = { ...figure, width: out.width, height: out.height };
      return out;
    },
  };
  return w;
}

function settingsLines(picture, prediction, methods, classes) {
  const names = classNames();
  const s = settings();
  const l = state.model.info.layers[s.layer];
  return [
    RIGHT.figPicture(picture.name, picture.width, picture.height, `${names[prediction.predicted]} ${percent(prediction.probabilities[prediction.predicted])}`),
    RIGHT.figModel(state.model.info.name, state.model.name),
    RIGHT.figLayer(layerWithGrid(l.name, l.shape), methods.map(methodTitle).join(", "), classes.map((c) => names[c]).join(", ")),
    RIGHT.figBaselines(baselineWords(s.deletion), baselineWords(s.insertion), s.steps),
  ];
}

// ✓, ✗ or = for a number against the random map's (the words say which).
function markOf(metric, value, random) {
  const kind = againstRandom(METRICS[metric].better, value, random);
  return kind === "same" ? " =" : kind === "better" ? " ✓" : kind === "worse" ? " ✗" : "";
}

function exportPicturePart(b) {
  const { picture, prediction } = b.ctx;
  const names = classNames();
  const methods = methodsShown();
  const classes = pictureClasses(prediction);
  const s = settings();
  const pad = 20;
  const chartW = 380;
  const chartH = 230;
  const textW = 440;
  const width = pad * 3 + chartW + textW;
  const f = figureWriter(width, 400 + methods.length * classes.length * (chartH + 60) + 400);
  let y = pad;
  y += f.text(RIGHT.figTitle(picture.name), pad, y, width - 2 * pad, 22, 600) + 6;
  for (const line of settingsLines(picture, prediction, methods, classes)) y += f.para(line, pad, y, width - 2 * pad, 15, 400, "#3d4556", 2);
  y += f.para(RIGHT.figRandom, pad, y, width - 2 * pad, 15);
  y += 8;
  let x = pad;
  x += f.swatch(x, y, DEL_COLOUR, RIGHT.figDeletionKey);
  x += f.swatch(x, y, INS_COLOUR, RIGHT.figInsertionKey);
  f.swatch(x, y, "#5a6375", RIGHT.keyRandom, true);
  y += 30;
  for (const m of methods)
    for (const c of classes) {
      const row = rowOf(picture, s, m, c);
      const rnd = rowOf(picture, s, "random", c);
      const chart = makeCanvas(10, 10);
      drawCurves(chart, row, rnd, { w: chartW, h: chartH, font: 13, ratio: 1 });
      f.image(chart, pad, y, chartW, chartH);
      const tx = pad * 2 + chartW;
      let ty = y;
      ty += f.text(`${methodTitle(m)} · ${names[c]} (${percent(prediction.probabilities[c])})`, tx, ty, textW, 18, 600) + 4;
      const mark = markOf;
      if (row && rnd) {
        ty += f.text(RIGHT.figDeletion(score(row.deletionAuc), score(rnd.deletionAuc), mark("deletion", row.deletionAuc, rnd.deletionAuc)), tx, ty, textW, 15);
        ty += f.text(RIGHT.figInsertion(score(row.insertionAuc), score(rnd.insertionAuc), mark("insertion", row.insertionAuc, rnd.insertionAuc)), tx, ty, textW, 15);
        ty += f.text(RIGHT.figDrop(share(row.confidence.drop), share(rnd.confidence.drop), mark("drop", row.confidence.drop, rnd.confidence.drop)), tx, ty, textW, 15);
        ty += f.text(RIGHT.figIncrease(row.confidence.increase, rnd.confidence.increase, mark("increase", Number(row.confidence.increase), Number(rnd.confidence.increase))), tx, ty, textW, 15);
        ty += f.text(RIGHT.figYO(score(row.confidence.original), score(row.confidence.masked)), tx, ty, textW, 14, 400, "#3d4556");
      } else ty += f.text(RIGHT.figNotYet, tx, ty, textW, 15);
      y += Math.max(chartH, ty - y) + 18;
    }
  y += f.para(RIGHT.figRefs, pad, y, width - 2 * pad, 14);
  y += f.para(`${roadNote()} ${b.cmd ? b.cmd.value : ""}`, pad, y, width - 2 * pad, 13, 400, "#3d4556", 5);
  y += f.text(RIGHT.figModelLine(state.model.name), pad, y + 4, width - 2 * pad, 13, 400, "#3d4556") + pad;
  const l = state.model.info.layers[s.layer];
  return {
    canvas: f.finish(y),
    parts: ["right", pictureStem(picture.name), layerWithGrid(l.name, l.shape), methods.join("+"), classes.length === names.length ? "all-classes" : names[classes[0]], `${s.steps}-steps`, `${s.deletion}-${s.insertion}`],
  };
}

function exportSanityPart(b) {
  const { picture, prediction, maps } = b.ctx;
  const names = classNames();
  const methods = methodsShown();
  const cls = focusClassOf(prediction);
  const result = store(picture).sanity.get(partKey(b.ctx));
  if (!result) return null;
  const n = result.steps.length;
  const pad = 20;
  const labelW = 130;
  const cell = 92;
  const width = Math.max(900, pad * 2 + labelW + (n + 1) * (cell + 6));
  const f = figureWriter(width, 1400 + methods.length * 200);
  let y = pad;
  const l = state.model.info.layers[maps.layer];
  y += f.text(RIGHT.figSanityTitle(picture.name), pad, y, width - 2 * pad, 22, 600) + 6;
  y += f.text(RIGHT.figSanityPicture(picture.name, picture.width, picture.height, names[cls], percent(prediction.probabilities[cls])), pad, y, width - 2 * pad, 15, 400, "#3d4556");
  y += f.text(RIGHT.figSanityModel(state.model.info.name, state.model.name, layerWithGrid(l.name, l.shape), methods.map(methodTitle).join(", ")), pad, y, width - 2 * pad, 15, 400, "#3d4556");
  y += f.para(RIGHT.figSanityIntro, pad, y, width - 2 * pad, 15);
  y += 6;
  for (const m of methods) {
    const rho = result.steps[n - 1] ? result.steps[n - 1].rho[m] : null;
    y += f.para(sanityVerdict(methodTitle(m), rho, n), pad, y, width - 2 * pad, 15, 600, Number.isFinite(rho) && Math.abs(rho) >= SANITY_STILL ? "#b3261e" : "#1e7d4f", 3) + 4;
  }
  y += 6;
  const chart = makeCanvas(10, 10);
  drawRho(chart, result, methods, { w: 560, h: 240, font: 13, ratio: 1 });
  f.image(chart, pad, y, 560, 240);
  let ky = y;
  methods.forEach((m, k) => {
    f.swatch(pad + 590, ky, RHO_COLOURS[k % RHO_COLOURS.length], `${methodTitle(m)}`, k % 2 === 1);
    ky += 24;
  });
  ky += f.scale(pad + 590, ky + 6, state.model.luts[state.cmap], RIGHT.figMapColours, "0", RIGHT.ownPeak);
  y += 250;
  // The strips: header (step number, node name), then a row per method.
  const x0 = pad + labelW;
  const colX = (i) => x0 + i * (cell + 6);
  f.text("original", colX(0), y, cell, 13, 600);
  result.steps.forEach((st, i) => {
    f.text(RIGHT.figStep(i + 1), colX(i + 1), y, cell, 13, 600);
    f.text(st.node, colX(i + 1), y + 17, cell, 12, 400, "#3d4556");
  });
  y += 38;
  const [tw, th] = fitRatio(picture, cell);
  for (const m of methods) {
    f.text(methodTitle(m), pad, y + 4, labelW - 10, 15, 600);
    const cells = b.thumbs ? b.thumbs[m] : [];
    cells.forEach((t, i) => {
      f.image(t.canvas, colX(i), y, tw, th);
      f.text(`ρ = ${t.cap.textContent}`, colX(i), y + th + 3, cell, 13);
    });
    y += th + 26;
  }
  y += f.para(RIGHT.figSanityRef(SANITY_STILL), pad, y + 6, width - 2 * pad, 13) + 6;
  y += f.text(RIGHT.figModelLine(state.model.name), pad, y, width - 2 * pad, 13, 400, "#3d4556") + pad;
  return {
    canvas: f.finish(y),
    parts: ["right-sanity", pictureStem(picture.name), names[cls], layerWithGrid(l.name, l.shape), methods.join("+")],
  };
}

function exportSetPart() {
  const t = setTable();
  const names = classNames();
  const s = t.settings;
  const l = state.model.info.layers[s.layer];
  const pad = 20;
  const cols = [260, 150, 150, 150, 170, 190];
  const width = pad * 2 + cols.reduce((a, b) => a + b, 0) + 120;
  const f = figureWriter(width, 600 + t.rows.length * 24 + t.methods.length * 30);
  let y = pad;
  const scored = new Set(t.rows.filter((r) => r.row).map((r) => r.picture.id)).size;
  y += f.text(RIGHT.figSetTitle(scored), pad, y, width - 2 * pad, 22, 600) + 6;
  y += f.text(RIGHT.figSetModel(state.model.info.name, state.model.name, layerWithGrid(l.name, l.shape), methodsShown().map(methodTitle).join(", ")), pad, y, width - 2 * pad, 15, 400, "#3d4556");
  y += f.para(RIGHT.figSetSettings(baselineWords(s.deletion), baselineWords(s.insertion), s.steps, state.rightSetClasses === "all" ? RIGHT.everyClass : RIGHT.eachPredicted), pad, y, width - 2 * pad, 15, 400, "#3d4556", 2);
  y += 10;
  const row = (cells, weight = 400, size = 15) => {
    let x = pad;
    cells.forEach((c, i) => {
      f.text(c, x, y, (i === 0 ? cols[0] + 120 : cols[i]) - 8, size, weight);
      x += i === 0 ? cols[0] + 120 : cols[i];
    });
    y += size * 1.5;
  };
  row(RIGHT.figSetHead, 600);
  for (const m of t.methods) {
    const r = t.summary[m];
    row([m === "random" ? RIGHT.randomMap : methodTitle(m), String(r.n), meanSd(r.deletion.mean, r.deletion.sd), meanSd(r.insertion.mean, r.insertion.sd), `${meanSd(r.drop.mean, r.drop.sd, 1)} %`, `${meanSd(r.increase.mean, r.increase.sd, 1)} %`]);
  }
  y += 14;
  row(RIGHT.figRowsHead, 600);
  for (const r of t.rows) {
    if (!r.row) continue;
    row([`${r.picture.name} · ${names[r.cls]}`, r.method === "random" ? RIGHT.randomMap : methodTitle(r.method), score(r.row.deletionAuc), score(r.row.insertionAuc), share(r.row.confidence.drop), r.row.confidence.increase ? RIGHT.yes : RIGHT.no], 400, 14);
  }
  y += 8;
  y += f.para(RIGHT.figSetRefs, pad, y, width - 2 * pad, 13);
  y += f.text(RIGHT.figModelLine(state.model.name), pad, y + 4, width - 2 * pad, 13, 400, "#3d4556") + pad;
  return {
    canvas: f.finish(y),
    parts: ["right-table", `${scored}-pictures`, layerWithGrid(l.name, l.shape), methodsShown().join("+"), `${s.steps}-steps`, `${s.deletion}-${s.insertion}`],
  };
}

// The shown part as one PNG figure: {canvas, parts} (parts: the file name's).
export function exportRight() {
  if (!built || state.view !== "right") return null;
  if (built.part === "picture") return exportPicturePart(built);
  if (built.part === "sanity") return exportSanityPart(built);
  return exportSetPart();
}

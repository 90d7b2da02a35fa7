// The page: starts the core, wires inputs, controls, tabs and keys, and redraws the view
// whenever the state changes. Drawing lives in draw.js and the views, page state in
// state.js, the worker protocol in protocol.js (through engine.js).
/* global camscopeWorkerSource */
import {
  state, update, subscribe, currentPicture, layerChoices, defaultLayer, classNames, focusClassOf, resultsFor, methodGroup,
  layerName, NORMS, CMAPS, VIEWS,
} from "./state.js";
import { $, h, clear, append, ms } from "./dom.js";
import { decodePicture, PictureError, isWeightsFile } from "./images.js";
import { base64Bytes } from "./protocol.js";
import {
  startCore, loadModel, predictionFor, preload, mapsFor, activationsFor, coreMode, extraFor, extraKey, cancelJobs, isCancelled, requestLog,
  markPhase, startupPhases,
} from "./engine.js";
import { downloadCanvas, forgetMapCaches } from "./draw.js";
import { needsOf, layerMethods } from "./methods.js";
import { renderExplain, prepareExplain, exportExplain } from "./view_explain.js";
import { renderFeatures, exportFeatures, stepChannel } from "./view_features.js";
import { renderCompare, exportCompare, setCompareActions } from "./view_compare.js";
import { printReport } from "./report.js";
import { renderTeach, exportTeach, teachNeeds, STEP_COUNT } from "./view_teach.js";
import {
  predictionAnnouncement, exportFileName, saveName, METHOD_GROUPS, methodNote, methodsSummary, METHOD_PICKER, LAYER_GROUPS,
  layerOption, FUSE_TEXT, progressText, modelLoaded, methodsTooltip, UI, VIEW_NAMES, NORM_NAMES, CMAP_GROUPS, SAMPLE_TITLES, LANG_SWITCH,
} from "./text.js";
import { chooseLang, setLang, onLangChange, applyStatic, lang, isZh } from "./i18n.js";
import { methodTitle } from "./methods.js";
import { setupEnlarge } from "./enlarge.js";
import { renderRight, exportRight, setRightActions, rightDebug } from "./view_right.js";
import { openFolder, droppedEntries, fromFileList, setFolderActions, folderDebug } from "./view_folder.js";
import { startCamera, setCameraActions, cameraDebug } from "./camera.js";
import { FOLDER, CAMERA, pictureMessage } from "./text.js";

const MAX_USER_PICTURES = 8;
const params = new URLSearchParams(location.search);
let nextPictureId = 1;
let refreshToken = 0;
let refreshScheduled = false;
let lastContext = null;
let idleWaiters = [];
let refreshing = 0; // refreshes under way (an older one may end while a newer one waits)
let announced = ""; // the picture|model whose prediction the live region last read out

// ---- the test and console hook: last raw maps and their shapes, timings, messages
const debug = {
  ready: false,
  error: null,
  mode: "",
  simd: null,
  messages: [],
  lastMaps: null,
  lastExport: null, // {name, figure}: the last PNG saved and what its figure drew
  firstMapMs: null,
  renders: 0,
  right: rightDebug, // "Is it right?": runs, results shown, the last CSV/JSON saved
  folder: folderDebug, // a whole folder at once: rows, order, summary, exports
  camera: cameraDebug, // the live camera: frames, rate, the last frame, the frozen picture, tracks
  state,
  // The request types sent to the worker so far (switching methods sends no setPicture).
  requests: () => requestLog(),
  // The cold start's phases, ms since navigation (engine.js markPhase; bench/cold_start.mjs).
  phases: () => startupPhases(),
  // Resolves once nothing is running and the view is drawn.
  idle() {
    return new Promise((resolve) => {
      idleWaiters.push(resolve);
      checkIdle();
    });
  },
};
window.camscopeDebug = debug;

function checkIdle() {
  if (state.busy === 0 && !refreshScheduled && refreshing === 0 && (debug.ready || debug.error)) {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) setTimeout(w, 0);
  }
}

// ---- messages
function say(kind, text) {
  debug.messages.push({ kind, text });
  update({ message: { kind, text } });
}

function renderMessage() {
  const box = $("#message");
  const m = state.message;
  box.hidden = !m;
  if (!m) return;
  box.className = `message ${m.kind}`;
  $("#message-text").textContent = m.text;
}

// ---- pictures
async function addPicture(blob, name, { source = "user", title = "" } = {}) {
  const decoded = await decodePicture(blob, name);
  const picture = { id: `p${nextPictureId++}`, name, title: title || name, source, ...decoded, flat: isFlat(decoded.rgba) };
  if (source === "user") picture.thumb = thumbnail(decoded.canvas);
  let pictures = [...state.pictures, picture];
  const users = pictures.filter((p) => p.source === "user");
  if (users.length > MAX_USER_PICTURES) pictures = pictures.filter((p) => p !== users[0]);
  update({ pictures });
  return picture;
}

// Whether a picture is (almost) one plain colour: luminance spread under 3 of 255.
function isFlat(rgba) {
  let sum = 0;
  let sq = 0;
  const n = rgba.length / 4;
  for (let i = 0; i < rgba.length; i += 4) {
    const y = 0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2];
    sum += y;
    sq += y * y;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sq / n - mean * mean)) < 3;
}

// A small picture for the list of opened pictures (a data: URL; nothing leaves the page).
function thumbnail(canvas) {
  const t = document.createElement("canvas");
  const s = 96 / Math.max(canvas.width, canvas.height);
  t.width = Math.max(1, Math.round(canvas.width * s));
  t.height = Math.max(1, Math.round(canvas.height * s));
  t.getContext("2d").drawImage(canvas, 0, 0, t.width, t.height);
  return t.toDataURL("image/png");
}

function showPicture(picture) {
  update({ pictureId: picture.id, channel: -1 });
  renderPictureButtons();
}

// The person chose a picture again (sample, opened picture, Compare row): an old error no
// longer applies.
function choosePicture(picture) {
  if (state.message) update({ message: null });
  showPicture(picture);
}

async function handleFiles(files) {
  const list = [...files];
  if (!list.length) return;
  update({ busy: state.busy + 1 });
  try {
    await readFiles(list);
  } finally {
    update({ busy: state.busy - 1 });
  }
}

async function readFiles(list) {
  let shown = null;
  for (const file of list) {
    const name = file.name || UI.pastedPicture;
    try {
      const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
      if (/\.csw$/i.test(name) || isWeightsFile(head)) {
        await loadWeightsFile(file, name);
        continue;
      }
      shown = await addPicture(file, name);
    } catch (err) {
      say("error", err instanceof PictureError ? pictureMessage(err) : UI.notRead(name, err.message));
      return;
    }
  }
  if (shown) {
    update({ message: null });
    showPicture(shown);
  } else renderPictureButtons();
}

async function loadWeightsFile(file, name) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const before = state.model.name;
  try {
    await loadModel(bytes, name);
  } catch (err) {
    say("error", UI.notLoaded(name, err.message, before));
    return;
  }
  forgetMapCaches();
  const info = state.model.info;
  const layer = defaultLayer(info);
  update({ layer, focusClass: -1, channel: -1, fuse: { ...state.fuse, layers: [] } });
  fillControls();
  say("info", modelLoaded(name, info, layerName(info, layer), info.layers[layer] ? info.layers[layer].shape : [0, 0, 0]));
}

// ---- static UI
// The samples and the pictures the person opened, as buttons; rebuilt only when the list
// changes (so a button that has the focus keeps it), otherwise only "pressed" moves.
function renderPictureButtons() {
  for (const [box, source] of [[$("#samples"), "sample"], [$("#opened"), "user"]]) {
    const list = state.pictures.filter((q) => q.source === source);
    const ids = list.map((p) => p.id).join(",");
    if (box.dataset.ids !== ids) {
      const focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.dataset.picture : null;
      clear(box);
      for (const p of list) {
        box.append(
          h(
            "button",
            {
              type: "button",
              class: "sample",
              "data-picture": p.id,
              "data-sample": source === "sample" ? p.name : null,
              "aria-pressed": "false",
              "aria-label": source === "sample" ? sampleTitle(p) : p.name,
              title: source === "sample" ? UI.sampleTitle(sampleTitle(p)) : UI.againTitle(p.name),
              onclick: () => choosePicture(p),
            },
            h("img", { src: p.thumb, alt: "" }),
            h("span", { class: "sample-title" }, source === "sample" ? sampleTitle(p) : p.title),
          ),
        );
      }
      box.dataset.ids = ids;
      box.hidden = !list.length;
      const again = focused && box.querySelector(`[data-picture="${focused}"]`);
      if (again) again.focus();
    }
    box.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.picture === state.pictureId)));
  }
}

function fillControls() {
  const info = state.model.info;
  const layerSel = $("#layer");
  const choices = layerChoices(info);
  clear(layerSel).append(
    ...Object.entries(LAYER_GROUPS)
      .filter(([g]) => choices.some((c) => c.group === g))
      .map(([g, label]) =>
        h("optgroup", { label }, choices.filter((c) => c.group === g).map((c) => h("option", { value: String(c.index), selected: c.index === state.layer }, layerOption(c)))),
      ),
  );
  fillMethodPicker();
  fillFusePicker(choices);
  const names = info.classes;
  clear($("#focus-class")).append(
    h("option", { value: "-1", selected: state.focusClass < 0 }, UI.predictedClass),
    ...classNames().map((n, c) => h("option", { value: String(c), selected: c === state.focusClass }, n)),
  );
}

// The methods picker: a checkbox per method of the core's catalogue, in groups (gradient
// methods, without gradients, against the class, pictures), and SmoothGrad's settings.
function fillMethodPicker() {
  const catalog = state.model.catalog || [];
  const panel = $("#methods-panel");
  const toggle = (name, on) => {
    const next = on ? [...new Set([...state.methods, name])] : state.methods.filter((m) => m !== name);
    if (!next.some((m) => catalog.some((c) => c.name === m))) {
      syncControls();
      say("info", METHOD_PICKER.keepOne);
      return;
    }
    update({ methods: next });
  };
  append(clear(panel), [
    h("p", { class: "picker-title" }, METHOD_PICKER.legend),
    METHOD_GROUPS.filter(([g]) => catalog.some((m) => methodGroup(m) === g)).map(([g, label]) =>
      h(
        "fieldset",
        { class: "picker-group", "data-group": g },
        h("legend", {}, label),
        catalog
          .filter((m) => methodGroup(m) === g)
          .map((m) =>
            h(
              "label",
              { class: "pick" },
              h("input", { type: "checkbox", "data-method": m.name, checked: state.methods.includes(m.name), onchange: (e) => toggle(m.name, e.target.checked) }),
              h("span", {}, methodTitle(m.name)),
              methodNote(m.name) ? h("span", { class: "pick-note" }, methodNote(m.name)) : null,
            ),
          ),
        g === "picture"
          ? h(
              "div",
              { class: "pick-options" },
              h("label", {}, h("span", {}, `SmoothGrad ${METHOD_PICKER.samples}`),
                h("input", { type: "number", id: "smooth-samples", min: "1", max: "200", step: "1", value: String(state.smoothSamples),
                  onchange: (e) => update({ smoothSamples: Math.max(1, Math.min(200, Math.round(Number(e.target.value)) || 16)) }) })),
              h("label", {}, h("span", {}, METHOD_PICKER.noise),
                h("input", { type: "number", id: "smooth-noise", min: "0", max: "1", step: "0.05", value: String(state.smoothNoise),
                  onchange: (e) => update({ smoothNoise: Math.max(0, Math.min(1, Number(e.target.value) || 0)) }) })),
            )
          : null,
      ),
    ),
    h("p", {}, h("button", { type: "button", class: "primary", onclick: () => closePicker($("#methods-picker")) }, METHOD_PICKER.close)),
  ]);
}

// The fused view's picker: the layers (two or more), the method and the rule.
function fillFusePicker(choices) {
  const catalog = state.model.catalog || [];
  const panel = $("#fuse-panel");
  const set = (patch) => update({ fuse: { ...state.fuse, ...patch } });
  clear(panel).append(
    h(
      "fieldset",
      { class: "picker-group fuse-layers" },
      h("legend", {}, FUSE_TEXT.legend),
      choices
        .slice()
        .sort((a, b) => b.index - a.index)
        .map((c) =>
          h(
            "label",
            { class: "pick" },
            h("input", {
              type: "checkbox",
              "data-layer": String(c.index),
              checked: state.fuse.layers.includes(c.index),
              onchange: (e) => set({ layers: e.target.checked ? [...new Set([...state.fuse.layers, c.index])] : state.fuse.layers.filter((i) => i !== c.index) }),
            }),
            h("span", {}, layerOption(c)),
          ),
        ),
    ),
    h(
      "label",
      { class: "pick-options" },
      h("span", {}, FUSE_TEXT.method),
      h(
        "select",
        { id: "fuse-method", onchange: (e) => set({ method: e.target.value }) },
        catalog.filter((m) => layerMethods([m.name]).length).map((m) => h("option", { value: m.name, selected: m.name === state.fuse.method }, methodTitle(m.name))),
      ),
    ),
    h(
      "fieldset",
      { class: "picker-group" },
      h("legend", {}, FUSE_TEXT.rule),
      Object.entries(FUSE_TEXT.rules).map(([rule, label]) =>
        h("label", { class: "pick" }, h("input", { type: "radio", name: "fuse-rule", value: rule, checked: state.fuse.rule === rule, onchange: () => set({ rule }) }), h("span", {}, label)),
      ),
    ),
    h("p", { class: "pick-note" }, FUSE_TEXT.note),
    h("p", {}, h("button", { type: "button", class: "primary", onclick: () => closePicker($("#fuse-picker")) }, METHOD_PICKER.close)),
  );
}

// Closes a picker (a <details>) and gives the focus back to its button.
function closePicker(details) {
  details.open = false;
  details.querySelector("summary").focus({ preventScroll: true });
}

// The colour maps' and normalisations' choices, in the current language.
function fillWordControls() {
  const groups = [...new Set(CMAPS.map(([, , g]) => g))];
  clear($("#cmap")).append(
    ...groups.map((g) =>
      h("optgroup", { label: CMAP_GROUPS[g] || g }, CMAPS.filter(([, , k]) => k === g).map(([v, t]) => h("option", { value: v, selected: v === state.cmap }, t))),
    ),
  );
  clear($("#norm")).append(
    ...NORMS.map(([v, t]) =>
      h("label", {}, h("input", { type: "radio", name: "norm", value: v, checked: v === state.norm, onchange: () => update({ norm: v }) }), NORM_NAMES[v] || t),
    ),
  );
}

function buildControls() {
  fillWordControls();
  $("#layer").addEventListener("change", (e) => update({ layer: Number(e.target.value), channel: -1 }));
  // An open picker's panel stays inside the window (it opens leftwards near the right edge).
  for (const d of document.querySelectorAll("details.picker")) {
    d.addEventListener("toggle", () => {
      const panel = d.querySelector(".picker-panel");
      panel.style.left = "";
      if (!d.open) return;
      const box = panel.getBoundingClientRect();
      const over = box.right - (document.documentElement.clientWidth - 8);
      if (over > 0) panel.style.left = `${-Math.min(over, box.left - 8)}px`;
    });
  }
  // An open picker closes when the person clicks elsewhere.
  document.addEventListener("click", (e) => {
    for (const d of document.querySelectorAll("details.picker[open]")) if (!d.contains(e.target)) d.open = false;
  });
  $("#focus-class").addEventListener("change", (e) => update({ focusClass: Number(e.target.value) }));
  $("#cmap").addEventListener("change", (e) => update({ cmap: e.target.value }));
  $("#opacity").addEventListener("input", (e) => update({ opacity: Number(e.target.value) }));
  $("#raw-max").addEventListener("change", (e) => update({ rawMax: Math.max(0, Number(e.target.value) || 0) }));
  const tabs = $("#tabs");
  VIEWS.forEach(([v, t], i) =>
    tabs.append(
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${v}`,
          "aria-controls": `view-${v}`,
          "data-view": v,
          // A click (not Enter/Space: detail 0) hands the focus to the panel, so that the
          // view's own keys (← → in "How it works") work at once.
          onclick: (e) => {
            update({ view: v });
            if (e.detail > 0) $(`#view-${v}`).focus({ preventScroll: true });
          },
        },
        h("span", { class: "tab-name" }, VIEW_NAMES[v] || t),
        h("span", { class: "key", "aria-hidden": "true" }, String(i + 1)),
      ),
    ),
  );
  $("#open").addEventListener("click", () => $("#file").click());
  $("#file").addEventListener("change", (e) => {
    handleFiles(e.target.files).finally(() => (e.target.value = ""));
  });
  $("#open-folder").textContent = FOLDER.open;
  $("#open-folder").title = FOLDER.openTitle;
  $("#open-folder").addEventListener("click", () => $("#folder-input").click());
  $("#folder-input").addEventListener("change", (e) => {
    if (e.target.files.length) openFolder(fromFileList(e.target.files));
    e.target.value = "";
  });
  $("#camera-open").textContent = CAMERA.open;
  $("#camera-open").title = CAMERA.openTitle;
  $("#camera-open").addEventListener("click", () => startCamera());
  setCameraActions({
    freeze: async (blob, name) => {
      try {
        choosePicture(await addPicture(blob, name, { title: name }));
        update({ view: "explain" });
      } catch (err) {
        say("error", err instanceof PictureError ? pictureMessage(err) : err.message);
      }
    },
  });
  setFolderActions({
    save: (canvas, parts) => save(canvas, parts),
    saveData: (text, name, type) => downloadText(text, name, type),
    explain: async (file, name) => {
      update({ busy: state.busy + 1 });
      try {
        choosePicture(await addPicture(file, name));
        update({ view: "explain" });
      } catch (err) {
        say("error", err instanceof PictureError ? pictureMessage(err) : UI.notRead(name, err.message));
      } finally {
        update({ busy: state.busy - 1 });
      }
    },
  });
  $("#message-close").addEventListener("click", () => update({ message: null }));
  $("#large").addEventListener("click", () => update({ large: !state.large }));
  $("#keys").addEventListener("click", () => $("#keys-dialog").showModal());
  $("#lang").addEventListener("click", () => setLang(isZh() ? "en" : "zh-CN"));
  onLangChange(relabel);
  $("#keys-close").addEventListener("click", () => $("#keys-dialog").close());
  setRightActions({
    save: (canvas, parts) => save(canvas, parts),
    saveData: (text, name, type) => downloadText(text, name, type),
    open: (picture) => {
      choosePicture(picture);
      update({ view: "explain" });
      $("#view-explain").focus({ preventScroll: true });
    },
  });
  setCompareActions({
    save: (canvas, parts) => save(canvas, parts),
    print: () => printReport(say),
    open: (picture) => {
      choosePicture(picture);
      update({ view: "explain" });
      $("#view-explain").focus({ preventScroll: true });
    },
  });
  syncControls();
}

function syncControls() {
  document.querySelectorAll("#tabs [role=tab]").forEach((b) => {
    const on = b.dataset.view === state.view;
    b.setAttribute("aria-selected", String(on));
    b.tabIndex = on ? 0 : -1;
  });
  for (const [v] of VIEWS) $(`#view-${v}`).hidden = v !== state.view;
  document.querySelectorAll("#controls [data-views]").forEach((el) => {
    el.hidden = !el.dataset.views.split(" ").includes(state.view);
  });
  const rawBox = document.querySelector(".raw-max");
  rawBox.hidden = state.norm !== "raw" || !["explain", "compare"].includes(state.view);
  $("#layer").value = String(state.layer);
  $("#focus-class").value = String(state.focusClass);
  $("#cmap").value = state.cmap;
  $("#opacity").value = String(state.opacity);
  $("#opacity-value").textContent = `${Math.round(state.opacity * 100)} %`;
  document.querySelectorAll("#norm input").forEach((i) => (i.checked = i.value === state.norm));
  if (state.model && state.model.catalog) {
    const titles = state.model.catalog.filter((m) => state.methods.includes(m.name)).map((m) => methodTitle(m.name));
    $("#methods-summary").textContent = methodsSummary(titles);
    $("#methods-summary").title = methodsTooltip(titles);
    document.querySelectorAll("#methods-panel input[data-method]").forEach((i) => (i.checked = state.methods.includes(i.dataset.method)));
    document.querySelectorAll("#fuse-panel input[data-layer]").forEach((i) => (i.checked = state.fuse.layers.includes(Number(i.dataset.layer))));
    document.querySelectorAll("#fuse-panel input[name=fuse-rule]").forEach((i) => (i.checked = i.value === state.fuse.rule));
    const fm = document.querySelector("#fuse-method");
    if (fm) fm.value = state.fuse.method;
    const n = new Set(state.fuse.layers).size;
    $("#fuse-summary").textContent = n >= 2 ? `${FUSE_TEXT.summary} (${n})` : FUSE_TEXT.summary;
  }
  document.documentElement.classList.toggle("large", state.large);
  $("#large").setAttribute("aria-pressed", String(state.large));
}

// The start-up's steps on the critical path, as the timings line shows them: each step's
// time from the previous mark (engine.js markPhase).
const STARTUP_STEPS = [
  ["page", "boot"],
  ["core", "compiled"],
  ["weights", "weightsLoaded"],
  ["forward", "forward"],
  ["backward", "backward"],
  ["drawn", "firstMap"],
];

function startupText() {
  const p = startupPhases();
  let last = 0;
  const parts = [];
  for (const [label, name] of STARTUP_STEPS) {
    if (!(name in p)) continue;
    parts.push(`${UI.phases[label]} ${Math.round(Math.max(0, p[name] - last))}`);
    last = Math.max(last, p[name]);
  }
  return `${parts.join(", ")} ms`;
}

function renderStatus() {
  const m = state.model;
  if (m) {
    const where = m.mode === "worker" ? UI.inWorker : UI.inPage;
    const simd = (m.simd ? UI.simd : UI.noSimd) + (m.threads > 1 ? UI.threads(m.threads) : "");
    $("#model-line").textContent = `${m.info.name} · ${simd} · ${where}`;
    $("#model-line").title = UI.modelTitle(m.name, classNames());
  }
  const t = state.timings;
  const parts = UI.timings(ms(t.forwardMs), ms(t.backwardMs), ms(t.mapsMs));
  if (t.firstMapMs !== null) parts.push(UI.firstMap((t.firstMapMs / 1000).toFixed(2), startupText()));
  $("#timings").textContent = parts.join(" · ");
  const busy = $("#busy");
  busy.classList.toggle("on", state.busy > 0);
  busy.textContent = state.busy > 0 ? UI.working : "";
}

// ---- drawing the view
const exportButtons = {};
function exportButton(view) {
  if (!exportButtons[view]) exportButtons[view] = labelExportButton(h("button", { type: "button", onclick: () => exportView() }));
  return exportButtons[view];
}

// The export button's words (the views give it a more precise name when they build).
function labelExportButton(b) {
  b.title = UI.saveTitle;
  b.setAttribute("aria-label", saveName(UI.thisView));
  b.textContent = UI.savePng;
  return b;
}

// Each view's export answers {canvas, parts}: the figure and what its file name says.
function exportView() {
  if (!lastContext) return;
  const make = { explain: exportExplain, features: exportFeatures, compare: exportCompare, teach: exportTeach, right: exportRight }[state.view];
  const made = make(lastContext);
  if (made) save(made.canvas, made.parts);
}

function save(canvas, parts) {
  const name = exportFileName(parts);
  debug.lastExport = { name, figure: canvas.figure || null };
  return downloadCanvas(canvas, name);
}

// Saves text (CSV, JSON) as a download (a local blob: URL; nothing is sent anywhere).
function downloadText(text, name, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function scheduleRefresh() {
  if (refreshScheduled) return;
  refreshScheduled = true;
  requestAnimationFrame(() => {
    refreshScheduled = false;
    refreshing++;
    refresh().finally(() => {
      refreshing--;
      checkIdle();
    });
  });
}

// The long jobs (Score-CAM, SmoothGrad) the view wants now, as "pictureId|key": the picture
// explored (every view), or every picture (Compare's rows).
function wantedJobs(picture, needs) {
  const wanted = new Set();
  const pictures = state.view === "compare" ? state.pictures : [picture];
  for (const p of pictures) for (const spec of needs.extras) wanted.add(`${p.id}|${extraKey(spec)}`);
  return wanted;
}

// What the tests read: the raw results the view drew from (maps at layer resolution, Score-CAM's
// among them once done; picture methods at the network input; the fused maps).
function debugResults(picture, prediction, maps, extras) {
  const all = { ...maps.maps };
  const weights = { ...maps.methodWeights };
  const pictures = {};
  const times = {}; // extra key -> {ms (in the worker), wallMs (asked to answered)}
  let fused = null;
  for (const [key, r] of extras) {
    times[key] = { ms: r.ms, wallMs: r.wallMs };
    const kind = key.split("|")[0];
    if (kind === "score" && r.layer === maps.layer) {
      all.scorecam = r.maps;
      weights.scorecam = r.weights;
    } else if (kind === "picture" && (r.method !== "guidedgradcam" || r.layer === maps.layer)) pictures[r.method] = r;
    else if (kind === "smooth" && r.samples === state.smoothSamples && r.noise === state.smoothNoise) pictures.smoothgrad = r;
    else if (kind === "fuse") fused = r;
  }
  return {
    pictureId: picture.id,
    pictureName: picture.name,
    width: picture.width,
    height: picture.height,
    layer: maps.layer,
    layerName: state.model.info.layers[maps.layer].name,
    shownName: layerName(state.model.info, maps.layer),
    shape: maps.shape,
    maps: all,
    weights: maps.weights,
    methodWeights: weights,
    pictures,
    fused,
    times,
    prediction,
    focusClass: focusClassOf(prediction),
  };
}

async function refresh() {
  const picture = currentPicture();
  if (!picture || !state.model || state.layer < 0) return;
  const token = ++refreshToken;
  const isStale = () => token !== refreshToken;
  const needs = needsOf(state.view, state.layer, state.view === "teach" ? teachNeeds(state.teachStep, state.layer) : null);
  // Long jobs that no view wants any more (another picture, layer or set of methods) stop
  // now, so that what is asked next does not wait behind them.
  const wanted = wantedJobs(picture, needs);
  cancelJobs((job) => !wanted.has(`${job.pictureId}|${job.key}`));
  try {
    const predicted = predictionFor(picture);
    // Asked now, not after the prediction's answer: the worker runs the backward right after
    // the forward pass (engine.js startMain).
    const mapsWanted = mapsFor(picture, state.layer, needs.layerMethods);
    mapsWanted.catch(() => {}); // awaited below; the prediction's failure is the one said
    if (state.view === "explain" && !resultsFor(picture.id).prediction) prepareExplain(picture);
    const prediction = await predicted;
    if (isStale()) return;
    const said = `${picture.id}|${state.model.version}`;
    if (announced !== said) {
      announced = said;
      $("#announce").textContent = predictionAnnouncement(picture.name, classNames(), prediction);
    }
    const maps = await mapsWanted;
    if (isStale()) return;
    const needActs = state.view === "features" || state.view === "teach";
    const acts = needActs ? await activationsFor(picture, state.layer) : null;
    if (isStale()) return;
    // The extra results arrive when they are done (the view draws what is there and says
    // what is still running); their failures other than a cancel are said.
    const extras = resultsFor(picture.id).extras;
    if (state.view !== "compare")
      for (const spec of needs.extras)
        if (!extras.has(extraKey(spec)))
          extraFor(picture, spec).catch((err) => {
            if (!isCancelled(err) && currentPicture() === picture) say("error", UI.notExplained(picture.name, err.message));
          });
    const ctx = { picture, prediction, maps, acts, extras, isStale };
    lastContext = ctx;
    const root = $(`#view-${state.view}`);
    // The page's first map is shown before the other maps are drawn (renderExplain).
    let rest = null;
    if (state.view === "explain") rest = renderExplain(root, ctx, exportButton("explain"), { firstPaint: state.timings.firstMapMs === null });
    else if (state.view === "features") renderFeatures(root, ctx, exportButton("features"));
    else if (state.view === "teach") renderTeach(root, ctx, exportButton("teach"));
    else if (state.view === "right") renderRight(root, ctx, exportButton("right"));
    else await renderCompare(root, ctx, exportButton("compare"));
    updateProgress();
    debug.renders++;
    debug.lastMaps = debugResults(picture, prediction, maps, extras);
    if (state.timings.firstMapMs === null) {
      const first = performance.now();
      markPhase("firstMap", first);
      firstMapDone();
      const nav = performance.getEntriesByType("navigation")[0];
      if (nav && nav.domContentLoadedEventStart > 0) markPhase("domContentLoaded", nav.domContentLoadedEventStart);
      debug.firstMapMs = first;
      update({ timings: { ...state.timings, firstMapMs: first } });
    }
    if (rest) {
      await nextFrame(); // this refresh is still under way: idle() waits for the rest too
      if (!isStale()) rest(); // else a newer refresh draws them all
    }
  } catch (err) {
    if (!isStale() && !isCancelled(err)) say("error", UI.notExplained(picture.name, err.message));
  }
}

// Resolves after the browser has had a chance to paint: the next animation frame, or 100 ms
// where frames do not come (a hidden tab).
function nextFrame() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      setTimeout(resolve, 0); // after the frame's paint, not in it
    });
  });
}

// Moves the progress bars of the long jobs under way in place (no redraw).
function updateProgress() {
  for (const el of document.querySelectorAll("[data-progress]")) {
    const p = state.progress[el.dataset.progress];
    const bar = el.querySelector("progress");
    const text = el.querySelector(".progress-text");
    if (!p || !bar) continue;
    bar.max = p.total;
    bar.value = p.done;
    if (text) text.textContent = progressText(el.dataset.method || "", bar.getAttribute("aria-label") || "", p.done, p.total);
  }
}

const REDRAW_KEYS = new Set([
  "view", "layer", "cmap", "opacity", "norm", "rawMax", "focusClass", "featureOrder", "featureShared", "channel",
  "teachStep", "pictureId", "model", "pictures", "large", "methods", "fuse", "smoothSamples", "smoothNoise",
  "results", // extra results arrived (Score-CAM, pictures, SmoothGrad, fusion)
  "rightPart", "rightSteps", "rightDeletion", "rightInsertion", "rightClasses", "rightSetClasses",
  "message", // it takes room above the view: the view fits itself again
  "lang", // every word redrawn in the other language
]);

subscribe((changed) => {
  if (changed.has("message")) renderMessage();
  if (changed.has("progress")) updateProgress();
  if (changed.has("busy") || changed.has("timings") || changed.has("model")) renderStatus();
  if ([...changed].some((k) => REDRAW_KEYS.has(k))) {
    syncControls();
    scheduleRefresh();
  }
  if (changed.has("busy")) checkIdle();
});

// ---- input: drop anywhere, paste, keys
function setupInput() {
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(scheduleRefresh, 150);
  });
  const drop = $("#drop");
  let depth = 0;
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  window.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    drop.hidden = false;
  });
  window.addEventListener("dragover", (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = hasFiles(e) ? "copy" : "none";
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) drop.hidden = true;
  });
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    drop.hidden = true;
    // A folder, or more pictures than the page keeps: the folder table (view_folder.js).
    const folder = e.dataTransfer.files.length ? droppedEntries(e.dataTransfer, MAX_USER_PICTURES) : null;
    if (folder) folder.then(openFolder).catch((err) => say("error", err.message));
    else if (e.dataTransfer.files.length) handleFiles(e.dataTransfer.files);
    else say("error", UI.dropFile);
  });
  window.addEventListener("paste", (e) => {
    const files = [...(e.clipboardData ? e.clipboardData.files : [])];
    if (files.length) {
      e.preventDefault();
      handleFiles(files);
    } else if (e.clipboardData && e.clipboardData.types.includes("text/plain") && !/input|textarea/i.test(e.target.tagName)) {
      say("info", UI.pasteText);
    }
  });

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (document.querySelector("dialog[open]")) return;
    const openPicker = document.querySelector("details.picker[open]");
    if (e.key === "Escape" && openPicker) {
      closePicker(openPicker);
      e.preventDefault();
      return;
    }
    if (e.key === "Escape" && state.message) {
      const inBox = $("#message").contains(document.activeElement);
      update({ message: null });
      if (inBox) $("#main").focus({ preventScroll: true });
      e.preventDefault();
      return;
    }
    const t = e.target;
    const tag = t.tagName || "";
    // Typing a number or text keeps every key. A drop-down or slider keeps its own keys
    // (↑ ↓, letters for type-ahead), but 1–4 switch views and, in "How it works", ← → step.
    if (tag === "TEXTAREA" || (tag === "INPUT" && !["radio", "checkbox", "range", "button"].includes(t.type))) return;
    const control = tag === "SELECT" || (tag === "INPUT" && t.type === "range");
    const digit = e.key >= "1" && e.key <= String(VIEWS.length);
    const teachArrow = state.view === "teach" && (e.key === "ArrowLeft" || e.key === "ArrowRight");
    if (control && !digit && !teachArrow) return;
    if (t.getAttribute && t.getAttribute("role") === "tab" && (e.key === "ArrowLeft" || e.key === "ArrowRight")) {
      const i = VIEWS.findIndex(([v]) => v === state.view);
      const next = VIEWS[(i + (e.key === "ArrowRight" ? 1 : VIEWS.length - 1)) % VIEWS.length][0];
      update({ view: next });
      $(`#tab-${next}`).focus();
      e.preventDefault();
      return;
    }
    const choices = state.model ? layerChoices(state.model.info).map((c) => c.index).sort((a, b) => a - b) : [];
    const names = classNames();
    const key = e.key;
    let handled = true;
    if (key >= "1" && key <= String(VIEWS.length)) update({ view: VIEWS[Number(key) - 1][0] });
    else if (key === "ArrowRight" || key === "ArrowLeft") {
      const d = key === "ArrowRight" ? 1 : -1;
      if (state.view === "teach") update({ teachStep: Math.max(0, Math.min(STEP_COUNT - 1, state.teachStep + d)) });
      else if (state.view === "features") stepChannel(d);
      else handled = false;
    } else if (key === "[" || key === "]") {
      const i = choices.indexOf(state.layer);
      const j = Math.max(0, Math.min(choices.length - 1, i + (key === "]" ? -1 : 1)));
      if (choices.length) update({ layer: choices[j], channel: -1 });
    } else if (key === "c" || key === "C") {
      const pred = lastContext ? lastContext.prediction : null;
      update({ focusClass: (focusClassOf(pred) + 1) % Math.max(1, names.length) });
    } else if (key === "n" || key === "N") {
      const i = NORMS.findIndex(([n]) => n === state.norm);
      update({ norm: NORMS[(i + 1) % NORMS.length][0] });
    } else if (key === "+" || key === "=") update({ opacity: Math.min(1, Math.round((state.opacity + 0.1) * 20) / 20) });
    else if (key === "-" || key === "_") update({ opacity: Math.max(0, Math.round((state.opacity - 0.1) * 20) / 20) });
    else if (key === "l" || key === "L") update({ large: !state.large });
    else if (key === "o" || key === "O") $("#file").click();
    else if (key === "s" || key === "S") exportView();
    else if (key === "?") $("#keys-dialog").showModal();
    else handled = false;
    if (handled) e.preventDefault();
  });
}

// ---- language (i18n.js): the switch, and everything drawn once redrawn in the new language
// A sample's title in the current language (the title samples.js gives is English).
function sampleTitle(p) {
  return SAMPLE_TITLES[p.name] || p.title;
}

function showLangSwitch() {
  const b = $("#lang");
  b.title = LANG_SWITCH.title;
  $("#lang-name").textContent = LANG_SWITCH.label;
  $("#lang-name").lang = LANG_SWITCH.lang;
}

function relabel() {
  applyStatic();
  showLangSwitch();
  fillWordControls();
  document.querySelectorAll("#tabs [role=tab]").forEach((b) => (b.querySelector(".tab-name").textContent = VIEW_NAMES[b.dataset.view]));
  for (const box of [$("#samples"), $("#opened")]) box.dataset.ids = "";
  renderPictureButtons();
  for (const b of Object.values(exportButtons)) labelExportButton(b);
  if (state.model) fillControls();
  renderStatus();
  if (state.message) update({ message: null }); // said in the other language
  announced = "";
  update({ lang: lang() });
}

// ---- start
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${src} could not be loaded (was the page built with tools/build.sh?)`));
    document.head.append(s);
  });
}

let firstMapDone = null;
const firstMapDrawn = new Promise((resolve) => (firstMapDone = resolve));

// Adds the built-in samples; the one asked for (?picture=, else the first) is decoded first
// and shown at once, so that the first map waits for one picture only.
async function addSamples(wanted) {
  const samples = self.camscopeSamples || [];
  const order = [...samples].sort((a, b) => (b.file === wanted) - (a.file === wanted));
  const firstName = (order[0] || {}).file;
  const added = new Map();
  for (const s of order) {
    // The other samples wait for the first map: their decoding would compete with it.
    if (s.file !== firstName) await firstMapDrawn;
    const bytes = base64Bytes(s.base64);
    try {
      const p = await addPicture(new Blob([bytes], { type: s.type }), s.file, { source: "sample", title: s.title });
      p.thumb = `data:${s.type};base64,${s.base64}`;
      added.set(s.file, p);
      if (s.file === firstName && state.pictureId === null) {
        showPicture(p);
        preload(p); // its forward pass runs as soon as the weights are in
      }
    } catch (err) {
      say("error", err instanceof PictureError ? pictureMessage(err) : err.message);
      if (s.file === firstName) firstMapDone(); // no first map to wait for
    }
  }
  // The buttons keep the samples' own order.
  const inOrder = samples.map((s) => added.get(s.file)).filter((p) => p && state.pictures.includes(p));
  update({ pictures: [...inOrder, ...state.pictures.filter((p) => !inOrder.includes(p))] });
  renderPictureButtons();
}

function fail(text) {
  debug.error = text;
  say("error", text);
  $("#model-line").textContent = UI.notStarted;
  checkIdle();
}

// The core's parts from its script (camscope_core_*.js), taken off the page's globals.
function takeCore(threads) {
  markPhase("coreScript");
  const core = { coreSource: self.camscopeCoreSource, coreWasm: self.camscopeCoreWasm, threads };
  delete self.camscopeCoreSource;
  delete self.camscopeCoreWasm;
  delete self.camscopeCoreThreadSource;
  return core;
}

// The built-in parts are scripts run one after another, the core's first (the 4.6 MB
// weights script would hold it up; camscope_boot.js has already started reading both), so
// that the worker starts at once, compiles the core while the weights' script runs, and the
// first sample decodes meanwhile.
async function boot() {
  markPhase("boot");
  // Which core this browser runs, chosen by camscope_boot.js (web/src/boot.js) in <head>,
  // which has also started reading it and the weights' script.
  if (!self.camscopeBoot) {
    fail(UI.notStartedWhy("camscope_boot.js was not loaded (was the page built with tools/build.sh?)"));
    return;
  }
  const { wasm: wasmOk, simd, threads: threadsWanted, core: coreFile } = self.camscopeBoot;
  const coreLoaded = wasmOk ? loadScript(coreFile) : null;
  // The weights' and samples' scripts only after the core's (loaded or not: said below).
  const afterCore = coreLoaded ? coreLoaded.catch(() => {}) : Promise.resolve();
  const weightsLoaded = wasmOk
    ? afterCore.then(() => loadScript("weights.js")).then(() => {
        const weights = self.camscopeEmbeddedWeights;
        delete self.camscopeEmbeddedWeights;
        if (!weights) throw new Error(UI.noWeights);
        return { base64: weights.base64, encoding: weights.encoding || null, rows: weights.rows || null, name: weights.name };
      }, () => {
        throw new Error(UI.noWeights);
      })
    : null;
  if (weightsLoaded) weightsLoaded.catch(() => {}); // said below
  const samplesLoaded = afterCore.then(() => loadScript("samples.js")).catch(() => say("error", UI.noSamples));
  let started = null;
  let startFailure = null;
  if (wasmOk) try {
    // Threads need shared memory, which only a cross-origin isolated page has (served by
    // tools/serve.py; never from file://); where that build is missing, the SIMD core.
    // Otherwise the worker starts now and gets the core's text when its script is in.
    let core;
    if (threadsWanted) {
      let threads = null;
      try {
        await coreLoaded;
        threads = { coreSource: self.camscopeCoreSource, threadSource: self.camscopeCoreThreadSource, count: navigator.hardwareConcurrency || 2 };
      } catch (e) {
        threads = null; // not built: the single-threaded core
      }
      if (!threads) await loadScript("camscope_core_simd.js");
      core = takeCore(threads);
    } else {
      core = coreLoaded.then(() => takeCore(null));
    }
    // The worker compiles the core while the weights' script parses, then decodes them,
    // while this thread decodes the first sample and draws.
    started = startCore({ core, workerSource: camscopeWorkerSource, inline: params.get("worker") === "off", weights: weightsLoaded });
  } catch (err) {
    startFailure = err;
  }
  // The page's controls and words while the worker starts.
  update({ lang: chooseLang() });
  applyStatic();
  showLangSwitch();
  buildControls();
  setupEnlarge();
  setupInput();
  renderStatus();
  if (!wasmOk) {
    fail(UI.noWasm);
    return;
  }
  debug.simd = simd;
  if (startFailure) {
    fail(UI.notStartedWhy(startFailure.message));
    return;
  }
  const wanted = params.get("picture");
  const samplesAdded = samplesLoaded.then(() => addSamples(wanted));
  try {
    await started;
  } catch (err) {
    fail(err.message === UI.noWeights ? err.message : UI.notStartedWhy(err.message));
    return;
  }
  debug.mode = coreMode();
  update({ builtinVersion: state.model.version });
  if (!simd) say("info", UI.slowCore);
  update({ layer: defaultLayer(state.model.info) });
  fillControls();
  await samplesAdded;
  markPhase("samples");
  const first = state.pictures.find((p) => p.name === wanted) || state.pictures[0];
  if (first && state.pictureId === null) showPicture(first);
  debug.ready = true;
  renderStatus();
  checkIdle();
}

boot();

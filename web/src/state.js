// Page state, in one place: the settings the person chose, the loaded model, the pictures and
// everything the worker answered about them (raw maps at layer resolution, activations,
// predictions), so redrawing for a new colour map, opacity, normalisation, class or method
// never asks the worker again. Views read `state` and call update(); update() tells every
// subscriber which keys changed.

import { SHIPPED_CLASSES } from "./text.js";

export const NORMS = Object.freeze([
  ["map", "per map"],
  ["shared", "shared by classes"],
  ["raw", "raw + colour bar"],
]);
// Viridis first and by default: perceptually uniform (lightness rises steadily) and readable
// with red-green colour blindness; Jet and Turbo stay for those who know them. The third
// field groups them in the picker.
export const CMAPS = Object.freeze([
  ["viridis", "Viridis", "colour-blind safe"],
  ["gray", "Gray", "colour-blind safe"],
  ["turbo", "Turbo", "rainbow: hard for colour-blind eyes"],
  ["jet", "Jet", "rainbow: hard for colour-blind eyes"],
]);
export const VIEWS = Object.freeze([
  ["explain", "Explain"],
  ["features", "Feature maps"],
  ["compare", "Compare"],
  ["teach", "How it works"],
  ["right", "Is it right?"],
]);

export const state = {
  // chosen by the person
  view: "explain",
  layer: -1, // index into model.info.layers
  cmap: "viridis",
  opacity: 0.5,
  norm: "shared", // shared by the classes: a weak class looks weak (see web/README.md)
  rawMax: 0, // fixed top of the raw colour bar; 0 = automatic
  focusClass: -1, // class for weights, sorting and teaching; -1 = the predicted class
  featureOrder: "weight", // "index" | "weight"
  featureShared: false,
  channel: -1, // enlarged feature map
  teachStep: 0,
  large: false,
  methods: ["gradcam", "layercam"], // shown in Explain and as Compare's columns (catalogue names)
  fuse: { layers: [], rule: "max", method: "layercam" }, // a fused view when 2+ layers are chosen
  smoothSamples: 16, // SmoothGrad's noisy copies
  smoothNoise: 0.15, // … and their noise, as a share of the input's value range
  progress: {}, // long jobs under way: key -> {done, total} (drawn in place, no redraw)
  // "Is it right?" (view_right.js): its part, the curves' steps and baselines, the classes
  // scored for the picture ("all" or "focus": the Class control's) and over the pictures
  // ("predicted" or "all")
  rightPart: "picture",
  rightSteps: 50,
  rightDeletion: "zero",
  rightInsertion: "blur",
  rightClasses: "all",
  rightSetClasses: "predicted",

  // the model: {info, methods, catalog, luts, name, simd, mode, version}
  model: null,
  // pictures: [{id, name, title, source: "sample"|"user", width, height, rgba, canvas, ...}]
  pictures: [],
  pictureId: null,
  busy: 0,
  message: null, // {kind: "error"|"info", text}
  timings: { forwardMs: null, backwardMs: null, mapsMs: null, firstMapMs: null },
  lang: "en", // the page's language (i18n.js; a redraw when it changes)
  builtinVersion: -1, // model.version of the shipped model (its class names are translated)
};

// pictureId -> {version, prediction, layers: Map(layer -> maps result, methods merged as they
// arrive), activations: Map, extras: Map(key -> Score-CAM / picture / SmoothGrad / fusion result)}
const results = new Map();
const listeners = new Set();

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Merges `patch` into the state and tells subscribers the keys that changed.
export function update(patch) {
  const changed = new Set();
  for (const [key, value] of Object.entries(patch)) {
    if (!(key in state)) throw new Error(`unknown state key ${key}`);
    if (state[key] !== value) {
      state[key] = value;
      changed.add(key);
    }
  }
  if (changed.size) for (const fn of listeners) fn(changed);
  return changed;
}

// Tells subscribers that `keys` changed in place (e.g. results arrived).
export function touch(...keys) {
  const changed = new Set(keys);
  for (const fn of listeners) fn(changed);
}

export function currentPicture() {
  return state.pictures.find((p) => p.id === state.pictureId) || null;
}

export function pictureById(id) {
  return state.pictures.find((p) => p.id === id) || null;
}

// What the worker said about a picture under the current model (created on first use).
export function resultsFor(pictureId) {
  const version = state.model ? state.model.version : 0;
  let r = results.get(pictureId);
  if (!r || r.version !== version) {
    r = { version, prediction: null, layers: new Map(), activations: new Map(), extras: new Map() };
    results.set(pictureId, r);
  }
  return r;
}

export function forgetResults() {
  results.clear();
}

// The class names as shown: the shipped model's in the page's language (SHIPPED_CLASSES), a
// model the person loaded with its own names.
export function classNames() {
  if (!state.model) return [];
  const names = state.model.info.classes;
  return state.model.version === state.builtinVersion ? names.map((n) => SHIPPED_CLASSES[n] || n) : names;
}

// The class that weights, sorting and teaching follow.
export function focusClassOf(prediction) {
  if (state.focusClass >= 0 && state.focusClass < classNames().length) return state.focusClass;
  return prediction ? prediction.predicted : 0;
}

// ---- methods

// A method's descriptor from the core's catalogue ({name, title, kind, gradients, perClass,
// hasWeights, formula}), or null.
export function methodInfo(name) {
  const catalog = state.model ? state.model.catalog || [] : [];
  return catalog.find((m) => m.name === name) || null;
}

// The group a method belongs to in the pickers: "gradient" (maps from the activations and
// the gradient), "nogradient" (Eigen-CAM, Score-CAM), "against" (negative evidence: what
// argues against the class; the core names these methods *_neg) or "picture" (an image at
// the network input's resolution).
export function methodGroup(m) {
  if (m.kind === "picture") return "picture";
  if (/_neg$/.test(m.name)) return "against";
  return m.gradients ? "gradient" : "nogradient";
}

// The methods that need many extra passes, run in steps with progress (and cancelled when
// the picture or layer changes): Score-CAM (a forward pass per channel) and SmoothGrad (a
// forward and a backward pass per noisy copy).
export function isLong(name) {
  const m = methodInfo(name);
  return !!m && (m.kind === "score" || name === "smoothgrad");
}

// The chosen methods in the catalogue's order (only those the loaded core has).
export function chosenMethods() {
  const catalog = state.model ? state.model.catalog || [] : [];
  return catalog.map((m) => m.name).filter((n) => state.methods.includes(n));
}

// ---- layers

// The name people know a node by: its shortest alias (`layer4` for ResNet's last block,
// `features` for VGG's last pool), else its own name.
export function layerName(info, index) {
  const l = info && info.layers[index];
  if (!l) return "";
  const names = [...(l.aliases || [])].sort((a, b) => a.split(".").length - b.split(".").length || a.length - b.length);
  return names.length ? names[0] : l.name;
}

const POOLS = ["maxpool", "avgpool", "adaptiveavgpool"];
const spatial = (l) => l.shape[1] * l.shape[2] > 1;

// The last conv and the last pool with a grid (more than one position), found from the graph.
export function landmarkLayers(info) {
  let lastConv = -1;
  let lastPool = -1;
  info.layers.forEach((l, i) => {
    if (!spatial(l)) return;
    if (l.op === "conv") lastConv = i;
    if (POOLS.includes(l.op)) lastPool = i;
  });
  return { lastConv, lastPool };
}

// The layers offered, with labels, in groups (deepest first within each): "suggested" (the
// core's default layer, the last conv, the last pool), "blocks" (nodes with a module name of
// their own: ResNet's layer4, VGG's features…), "convs", "pools". Layers without a grid (a
// single position: the maps would be one number) are left out.
export function layerChoices(info) {
  if (!info) return [];
  const { lastConv, lastPool } = landmarkLayers(info);
  const suggested = [info.defaultLayer, lastConv, lastPool].filter((i, k, all) => i >= 0 && all.indexOf(i) === k);
  const out = [];
  info.layers.forEach((l, i) => {
    if (!spatial(l)) return;
    let group = null;
    if (suggested.includes(i)) group = "suggested";
    else if (l.aliases && l.aliases.length) group = "blocks";
    else if (l.op === "conv") group = "convs";
    else if (POOLS.includes(l.op)) group = "pools";
    if (!group) return;
    const role = [i === info.defaultLayer ? "default" : "", i === lastConv ? "lastConv" : "", i === lastPool ? "lastPool" : ""].filter(Boolean);
    const name = layerName(info, i);
    out.push({ index: i, name, aliases: (l.aliases || []).filter((a) => a !== name), node: l.name, op: l.op, shape: l.shape, group, role });
  });
  const rank = { suggested: 0, blocks: 1, convs: 2, pools: 3 };
  return out.sort((a, b) => rank[a.group] - rank[b.group] || (a.group === "suggested" ? suggested.indexOf(a.index) - suggested.indexOf(b.index) : b.index - a.index));
}

// The layer the page starts at: the core's choice (the last layer with a grid: the last conv
// of a chain, the last block of a graph).
export function defaultLayer(info) {
  if (info.defaultLayer >= 0) return info.defaultLayer;
  const choices = layerChoices(info);
  return choices.length ? choices[0].index : info.layers.length - 1;
}

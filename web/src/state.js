// Page state, in one place: the settings the person chose, the loaded model, the pictures and
// everything the worker answered about them (raw maps at layer resolution, activations,
// predictions), so redrawing for a new colour map, opacity, normalisation, class or method
// never asks the worker again. Views read `state` and call update(); update() tells every
// subscriber which keys changed.

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
  // "Is it right?" (view_right.js): its part, the curves' steps and baselines, the classes
  // scored for the picture ("all" or "focus": the Class control's) and over the pictures
  // ("predicted" or "all")
  rightPart: "picture",
  rightSteps: 50,
  rightDeletion: "zero",
  rightInsertion: "blur",
  rightClasses: "all",
  rightSetClasses: "predicted",

  // the model: {info, methods, luts, name, simd, mode, version}
  model: null,
  // pictures: [{id, name, title, source: "sample"|"user", width, height, rgba, canvas, ...}]
  pictures: [],
  pictureId: null,
  busy: 0,
  message: null, // {kind: "error"|"info", text}
  timings: { forwardMs: null, backwardMs: null, mapsMs: null, firstMapMs: null },
};

// pictureId -> {version, prediction, layers: Map(layer -> maps result), activations: Map}
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
    r = { version, prediction: null, layers: new Map(), activations: new Map() };
    results.set(pictureId, r);
  }
  return r;
}

export function forgetResults() {
  results.clear();
}

export function classNames() {
  return state.model ? state.model.info.classes : [];
}

// The class that weights, sorting and teaching follow.
export function focusClassOf(prediction) {
  if (state.focusClass >= 0 && state.focusClass < classNames().length) return state.focusClass;
  return prediction ? prediction.predicted : 0;
}

// The layers offered: every conv layer, and the pooled layer (avgpool) — with labels.
export function layerChoices(info) {
  if (!info) return [];
  const convs = info.layers.map((l, i) => ({ ...l, index: i })).filter((l) => l.type === "conv");
  const last = convs.length ? convs[convs.length - 1].index : -1;
  const out = [];
  info.layers.forEach((l, i) => {
    const size = `${l.shape[1]}×${l.shape[2]}`;
    if (l.type === "conv") {
      const k = convs.findIndex((c) => c.index === i) + 1;
      const what = i === last ? "last conv" : `conv ${k}`;
      out.push({ index: i, name: l.name, label: `${l.name} · ${what} · ${size}`, last: i === last });
    } else if (l.type === "adaptiveavgpool") {
      out.push({ index: i, name: l.name, label: `${l.name} · pooled · ${size}`, last: false });
    }
  });
  // Last conv first, then pooled, then the earlier convs (deepest first).
  return out.sort((a, b) => (b.last - a.last) || (b.index - a.index));
}

export function defaultLayer(info) {
  const choices = layerChoices(info);
  return choices.length ? choices[0].index : info.layers.length - 1;
}

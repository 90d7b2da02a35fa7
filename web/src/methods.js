// The page's side of the explanation methods: their titles, what each view needs from the
// worker for them (a layer's maps, or an extra result: Score-CAM, a picture method,
// SmoothGrad, the fused view), and each method's result for one picture as the views draw it
// ("map": raw maps, one per class, upsampled and coloured; "rgb": the core's RGB gradient
// images; "wait": not there yet, with the key of its progress).
import { state, methodInfo, chosenMethods, layerName } from "./state.js";
import { extraSpec, extraKey } from "./engine.js";
import { fusedTitle, METHOD_TITLES } from "./text.js";

// "Grad-CAM" for "gradcam" (the core's title), or the name itself.
export function methodTitle(name) {
  const m = methodInfo(name);
  return METHOD_TITLES[name] || (m ? m.title : name);
}

// The layer methods (from the kept activations and gradients) among `names`.
export function layerMethods(names) {
  return names.filter((n) => {
    const m = methodInfo(n);
    return m && m.kind === "layer";
  });
}

// The fused view's spec (layers shallow to deep), or null when fewer than two layers are
// chosen.
export function fuseSpec() {
  const f = state.fuse;
  const layers = [...new Set(f.layers)].filter((i) => state.model && state.model.info.layers[i]).sort((a, b) => a - b);
  if (layers.length < 2 || !methodInfo(f.method)) return null;
  return { kind: "fuse", method: f.method, rule: f.rule, layers };
}

// The methods "How it works" explains with this picture's numbers (its steps ask for them).
export const TEACH_LAYER_METHODS = Object.freeze(["gradcam", "layercam", "gradcampp", "eigencam"]);

// What a view needs for a picture at `layer`: {layerMethods: [names], extras: [specs]}.
// `teachStep` names the step's own needs in "How it works".
export function needsOf(view, layer, teachNeeds = null) {
  const chosen = chosenMethods();
  if (view === "teach") {
    const t = teachNeeds || { layerMethods: [], extras: [] };
    return { layerMethods: [...new Set(["gradcam", "layercam", ...t.layerMethods])], extras: t.extras };
  }
  if (view === "features") return { layerMethods: ["gradcam", ...layerMethods(chosen)], extras: chosen.filter((n) => n === "scorecam").map((n) => extraSpec(n, layer)) };
  const extras = chosen.map((n) => extraSpec(n, layer)).filter(Boolean);
  const fused = view === "explain" ? fuseSpec() : null;
  if (fused) extras.push(fused);
  return { layerMethods: layerMethods(chosen), extras };
}

// The rows Explain shows: the chosen methods, then the fused view when there is one.
export function explainRows() {
  const rows = chosenMethods().map((name) => ({ id: name, method: name, title: methodTitle(name) }));
  const f = fuseSpec();
  if (f) rows.push({ id: "fused", method: f.method, title: fusedTitle(methodTitle(f.method), f.rule), fuse: f });
  return rows;
}

// The layers of a fused view by name, for captions: "layer2 + layer3".
export function fusedLayerNames(spec) {
  return spec.layers.map((i) => layerName(state.model.info, i));
}

// One row's result for a picture: {type: "map", classMaps, shape, key} | {type: "rgb", rgba,
// size: [h, w], raw, peaks} | {type: "wait", tag, method}. `maps`: the layer's maps answer;
// `extras`: the picture's extra results by key (engine.cachedExtra).
export function rowResult(row, pictureId, maps, extras) {
  const version = state.model.version;
  if (row.fuse) {
    const key = extraKey(row.fuse);
    const r = extras.get(key);
    if (!r) return { type: "wait", tag: `${pictureId}|${key}`, method: "fused" };
    return { type: "map", classMaps: r.fused, shape: [1, r.height, r.width], key: `${pictureId}|${version}|${key}` };
  }
  const spec = extraSpec(row.method, maps.layer);
  if (!spec) {
    const classMaps = maps.maps[row.method];
    if (!classMaps) return { type: "wait", tag: "", method: row.method };
    return { type: "map", classMaps, shape: maps.shape, key: `${pictureId}|${version}|${maps.layer}|${row.method}` };
  }
  const key = extraKey(spec);
  const r = extras.get(key);
  if (!r) return { type: "wait", tag: `${pictureId}|${key}`, method: row.method };
  if (spec.kind === "score") return { type: "map", classMaps: r.maps, shape: r.shape, key: `${pictureId}|${version}|${key}` };
  const [, h, w] = r.shape;
  const peaks = r.pictures.map((p) => {
    let m = 0;
    for (let i = 0; i < p.length; i++) m = Math.max(m, Math.abs(p[i]));
    return m;
  });
  if (r.drawAs === "magnitude") return { type: "map", classMaps: r.magnitude, shape: [1, h, w], key: `${pictureId}|${version}|${key}`, peaks };
  return { type: "rgb", rgba: r.rgba, size: [h, w], raw: r.pictures, peaks, key: `${pictureId}|${version}|${key}` };
}

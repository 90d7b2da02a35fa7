// The worker: owns the WebAssembly core and two Sessions — `main` for the picture being
// explored (its activations and gradients stay cached, so class/method/layer changes never
// run a new forward pass) and `other` for the Compare table's rows. Runs inside the Blob
// worker built by protocol.js, or in the page in inline mode (camscopeInlineScope is then
// the local port). `createCamscope` is the core's factory, defined just before this code.
/* global createCamscope, camscopeInlineScope */
import { serve } from "./protocol.js";

const inline = typeof camscopeInlineScope !== "undefined";
const scope = inline ? camscopeInlineScope : self;

if (!inline) {
  // Nothing in here needs the network (the wasm is inlined, weights and pictures are handed
  // over), so the worker gives its network functions up.
  for (const name of ["fetch", "XMLHttpRequest", "WebSocket", "EventSource", "importScripts"]) {
    try {
      self[name] = undefined;
    } catch (e) {
      // not writable here: nothing to do
    }
  }
}

let core = null;
let main = null;
let other = null;
let info = null;
let methods = [];

function describe() {
  info = JSON.parse(main.info());
  return { info, methods };
}

function need() {
  if (!main) throw new Error("the core is not started");
}

function layerShape(layer) {
  const l = info.layers[layer];
  if (!l) throw new Error(`no layer ${layer}`);
  return l.shape;
}

// Every method's map for every class at one layer, and the Grad-CAM channel weights.
function mapsOf(session, layer) {
  const shape = layerShape(layer);
  const backward0 = session.backwardMs();
  const t0 = performance.now();
  const maps = {};
  for (const [method] of methods) {
    maps[method] = info.classes.map((_, c) => {
      const m = session.cam(method, layer, c);
      if (!m) throw new Error(`no ${method} map at ${info.layers[layer].name}`);
      return m;
    });
  }
  const weights = info.classes.map((_, c) => session.gradcamWeights(layer, c) || new Float32Array(shape[0]));
  const elapsed = performance.now() - t0;
  const backward = session.backwardMs();
  return {
    layer,
    shape,
    maps,
    weights,
    backwardMs: backward,
    mapsMs: Math.max(0, elapsed - (backward - backward0)),
  };
}

function prediction(session) {
  return {
    logits: session.logits(),
    probabilities: session.probabilities(),
    predicted: session.predicted(),
    forwardMs: session.forwardMs(),
  };
}

function setPicture(session, { rgba, width, height }) {
  const err = session.setPicture(new Uint8Array(rgba), width, height);
  if (err) throw new Error(err);
}

serve(scope, {
  async init({ weights, name }) {
    const t0 = performance.now();
    core = await createCamscope({
      print: (text) => console.log(`core: ${text}`),
      printErr: (text) => console.warn(`core: ${text}`),
    });
    main = new core.Session();
    other = new core.Session();
    const bytes = new Uint8Array(weights);
    const err = main.loadWeights(bytes);
    if (err) throw new Error(`the built-in weights (${name}) do not load: ${err}`);
    other.loadWeights(bytes);
    methods = JSON.parse(core.camMethods());
    const luts = {};
    for (const cmap of ["jet", "turbo", "viridis", "gray"]) luts[cmap] = core.colormapLut(cmap);
    return { ...describe(), luts, simd: core.simd(), startMs: performance.now() - t0 };
  },

  // A new model; on failure the previous one stays (Session.loadWeights keeps it).
  loadWeights({ bytes }) {
    need();
    const u8 = new Uint8Array(bytes);
    const err = main.loadWeights(u8);
    if (err) throw new Error(err);
    other.loadWeights(u8);
    return describe();
  },

  setPicture(payload) {
    need();
    setPicture(main, payload);
    return prediction(main);
  },

  maps({ layer }) {
    need();
    if (!main.hasPicture()) throw new Error("no picture");
    return mapsOf(main, layer);
  },

  activations({ layer }) {
    need();
    if (!main.hasPicture()) throw new Error("no picture");
    const data = main.activation(layer);
    if (!data) throw new Error(`no activation for layer ${layer}`);
    return { layer, shape: layerShape(layer), data };
  },

  // One row of the Compare table: a picture explained in the second session.
  explainOther(payload) {
    need();
    setPicture(other, payload);
    return { ...prediction(other), ...mapsOf(other, payload.layer) };
  },
});

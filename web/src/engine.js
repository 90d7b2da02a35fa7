// What to ask the worker, and when: keeps the worker's main Session on the picture being
// explored, asks for maps/activations only when the page's cache (state.js) lacks them, and
// records timings. Everything here is async; the page never waits on the core.
import { CoreClient, CANCELLED } from "./protocol.js";
import { state, update, resultsFor, forgetResults } from "./state.js";

const client = new CoreClient();
let inMain = null; // "version|pictureId" now set in the worker's main Session
let mainQueue = Promise.resolve(); // main-Session steps run one after another
let modelBytes = null; // the loaded weights file's bytes (its hash goes into exports)

function serial(fn) {
  const run = mainQueue.then(fn, fn);
  mainQueue = run.catch(() => {});
  return run;
}

async function busy(fn) {
  update({ busy: state.busy + 1 });
  try {
    return await fn();
  } finally {
    update({ busy: state.busy - 1 });
  }
}

function setTimings(patch) {
  update({ timings: { ...state.timings, ...patch } });
}

// Starts the core and loads the built-in weights. Returns what init answered.
export async function startCore({ coreSource, workerSource, inline, weights, weightsName }) {
  const mode = client.start(coreSource, workerSource, { inline });
  modelBytes = weights.slice(); // the worker gets (and detaches) the other copy
  const buffer = weights.buffer.byteLength === weights.byteLength ? weights.buffer : weights.slice().buffer;
  const answer = await busy(() => client.request("init", { weights: buffer, name: weightsName }, [buffer]));
  update({
    model: {
      info: answer.info,
      methods: answer.methods,
      luts: answer.luts,
      simd: answer.simd,
      mode,
      name: weightsName,
      version: 1,
    },
  });
  return { ...answer, mode };
}

// Loads another weights file; throws the loader's message (the old model stays loaded).
export async function loadModel(bytes, name) {
  const buffer = bytes.slice().buffer;
  const answer = await busy(() => serial(() => client.request("loadWeights", { bytes: buffer }, [buffer])));
  inMain = null;
  modelBytes = bytes;
  forgetResults();
  update({ model: { ...state.model, info: answer.info, methods: answer.methods, name, version: state.model.version + 1 } });
  return answer;
}

function pixelsOf(picture) {
  const rgba = picture.rgba.slice().buffer;
  return [{ rgba, width: picture.width, height: picture.height }, [rgba]];
}

// Puts `picture` into the main Session (one forward pass) unless it is there already.
async function ensureMain(picture) {
  const key = `${state.model.version}|${picture.id}`;
  const r = resultsFor(picture.id);
  if (inMain === key && r.prediction) return r.prediction;
  const [payload, transfer] = pixelsOf(picture);
  inMain = null;
  const prediction = await client.request("setPicture", payload, transfer);
  inMain = key;
  r.prediction = prediction;
  setTimings({ forwardMs: prediction.forwardMs });
  return prediction;
}

// The prediction for a picture (forward pass in the main Session when not cached).
export function predictionFor(picture) {
  const r = resultsFor(picture.id);
  if (r.prediction && inMain === `${state.model.version}|${picture.id}`) return Promise.resolve(r.prediction);
  return busy(() => serial(() => ensureMain(picture)));
}

// Every method's map for every class at `layer` (cached per picture and layer).
export function mapsFor(picture, layer) {
  const r = resultsFor(picture.id);
  if (r.layers.has(layer)) return Promise.resolve(r.layers.get(layer));
  return busy(() =>
    serial(async () => {
      if (r.layers.has(layer)) return r.layers.get(layer);
      await ensureMain(picture);
      const maps = await client.request("maps", { layer });
      r.layers.set(layer, maps);
      setTimings({ backwardMs: maps.backwardMs, mapsMs: maps.mapsMs });
      return maps;
    }),
  );
}

// One layer's activations (C x H x W) for a picture.
export function activationsFor(picture, layer) {
  const r = resultsFor(picture.id);
  if (r.activations.has(layer)) return Promise.resolve(r.activations.get(layer));
  return busy(() =>
    serial(async () => {
      if (r.activations.has(layer)) return r.activations.get(layer);
      await ensureMain(picture);
      const a = await client.request("activations", { layer });
      r.activations.set(layer, a);
      return a;
    }),
  );
}

// Prediction and maps for a Compare-table row, from the worker's second Session (the
// picture being explored stays in the main one).
export async function rowFor(picture, layer) {
  const r = resultsFor(picture.id);
  if (r.prediction && r.layers.has(layer)) return { prediction: r.prediction, maps: r.layers.get(layer) };
  const [payload, transfer] = pixelsOf(picture);
  const answer = await busy(() => client.request("explainOther", { ...payload, layer }, transfer));
  const version = r.version;
  const fresh = resultsFor(picture.id);
  if (fresh.version !== version) throw new Error("the model changed");
  const { logits, probabilities, predicted, forwardMs, ...maps } = answer;
  if (!fresh.prediction) fresh.prediction = { logits, probabilities, predicted, forwardMs };
  fresh.layers.set(layer, maps);
  return { prediction: fresh.prediction, maps };
}

// A long request ("metrics", "sanity") with progress: for `picture` in the main Session, or
// (other: true) in the second Session with the picture's pixels sent along (the picture being
// explored stays in the main one). Returns {promise, cancel()}: cancel() stops it before it
// starts or, in the worker, at its next step; the promise then fails with CANCELLED.
export function longJob(type, picture, payload, { other = false, onProgress } = {}) {
  let id = 0;
  let cancelled = false;
  let finished = false;
  const run = async () => {
    if (cancelled) throw new Error(CANCELLED);
    let transfer = [];
    if (other) {
      const [pixels, t] = pixelsOf(picture);
      payload = { ...payload, ...pixels };
      transfer = t;
    } else await ensureMain(picture);
    if (cancelled) throw new Error(CANCELLED);
    return client.request(type, payload, transfer, { onProgress, onId: (i) => (id = i) });
  };
  const promise = busy(() => (other ? run() : serial(run))).finally(() => (finished = true));
  return {
    promise,
    cancel() {
      if (cancelled || finished) return;
      cancelled = true;
      if (id) client.cancel(id);
    },
  };
}

// Counts as work for the page's "working…" and idle() while fn runs (a run of requests).
export function whileBusy(fn) {
  return busy(fn);
}

// The bytes of the weights file in use (for its hash in exports).
export function weightsBytes() {
  return modelBytes;
}

export function coreMode() {
  return client.mode;
}

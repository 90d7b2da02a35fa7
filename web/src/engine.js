// What to ask the worker, and when: keeps the worker's main Session on the picture being
// explored, asks for maps/activations only when the page's cache (state.js) lacks them (per
// layer and per method: switching among methods that read the kept activations and gradients
// asks only for the new maps, never for a forward or backward pass), runs the long methods
// (Score-CAM, SmoothGrad) as cancellable jobs with progress, and records timings. Everything
// here is async; the page never waits on the core.
import { CoreClient, CANCELLED, unpackEmbedded, decodedForTransfer } from "./protocol.js";
import { state, update, touch, resultsFor, forgetResults, methodInfo } from "./state.js";
import { weightsHashes } from "./hash.js";

const client = new CoreClient();
let inMain = null; // "version|pictureId" now set in the worker's main Session
let mainPending = null; // {key, promise}: the picture on its way to the main Session
let initPosted = null; // resolves once init is posted (requests sent later queue behind it)
const BUILT_IN_VERSION = 1; // the model version of the built-in weights (init's)
let inOther = null; // … and in the second Session (Compare rows)
let mainQueue = Promise.resolve(); // main-Session steps run one after another
let otherQueue = Promise.resolve(); // second-Session steps too
const requests = []; // every request type sent, in order (the tests read it: no hidden forward pass)
const inflight = new Map(); // "pictureId|extra key" -> promise (one request per result)
const jobs = new Set(); // long jobs: {pictureId, key, id, cancelled}

function queued(queue, fn) {
  const run = queue.then(fn, fn);
  return [run, run.catch(() => {})];
}
let modelHashes = null; // promise of the loaded weights file's hashes (for the exports)
let builtInWeights = null; // the embedded payload of the built-in weights, until hashed

function serial(fn) {
  let run;
  [run, mainQueue] = queued(mainQueue, fn);
  return run;
}

function serialOther(fn) {
  let run;
  [run, otherQueue] = queued(otherQueue, fn);
  return run;
}

function ask(type, payload = {}, transfer = [], options = {}) {
  requests.push(type);
  return client.request(type, payload, transfer, options);
}

async function busy(fn) {
  update({ busy: state.busy + 1 });
  try {
    return await fn();
  } finally {
    update({ busy: state.busy - 1 });
  }
}

// The cold start's phases: when each step ended, ms on the page's clock (performance.now(),
// from navigation start); the worker's are converted from the shared clock. First value wins.
// bench/cold_start.mjs reads them (camscopeDebug.phases) and the timings line shows them.
const phases = {};

// Records that the start-up step `name` ended at `at` (page clock), unless it already did.
export function markPhase(name, at = performance.now()) {
  if (!(name in phases)) phases[name] = at;
}

// A copy of the phases recorded so far, {name: ms since navigation}.
export function startupPhases() {
  return { ...phases };
}

function setTimings(patch) {
  update({ timings: { ...state.timings, ...patch } });
}

// Starts the core and loads the built-in weights. `core` is {coreSource, coreWasm, threads}
// or a promise of it (its script still loading: the worker then starts at once and gets the
// core's text with init): `coreWasm` the core's embedded module (absent when `coreSource`
// carries it), `threads` the threaded core's extra parts ({coreSource, threadSource, count})
// when the page runs it. `weights` is a promise of the embedded payload, {base64, encoding, rows,
// name} (its script still loading: init compiles the core meanwhile, the payload follows
// with `provide` and is decoded in the worker). Returns what init answered.
export async function startCore({ core, workerSource, inline, weights }) {
  let postedInit;
  initPosted = new Promise((resolve) => (postedInit = resolve));
  const early = core && typeof core.then === "function" && !inline;
  let mode = early ? client.start(null, workerSource) : "";
  if (mode) markPhase("workerCreated");
  const { coreSource, coreWasm, threads } = await core;
  if (!mode) {
    mode = client.start(coreSource, workerSource, { inline });
    markPhase("workerCreated");
  }
  // Hashed only when an export asks (weightsInfo): nothing decoded here at start-up.
  modelHashes = null;
  let weightsName = null;
  const provided = weights.then(
    (value) => {
      markPhase("weightsScript");
      builtInWeights = value;
      weightsName = value.name;
      const [message, transfer] = decodedForTransfer(value);
      return ask("provide", { key: "weights", value: message }, transfer);
    },
    (err) => {
      ask("provide", { key: "weights", value: null }); // init fails at once, not never
      throw err;
    },
  );
  provided.catch(() => {}); // its failure is init's, below
  const payload = { wasm: coreWasm, threads };
  // A worker started early gets the core's text now (inline, the page already ran it).
  if (early && mode === "worker") payload.coreSource = coreSource;
  const answer = await busy(async () => {
    const init = ask("init", payload);
    postedInit();
    init.catch(() => {}); // when the weights fail first, their message is the one said
    await provided; // the weights' own failure says more than init's
    return init;
  });
  for (const [name, at] of Object.entries(answer.phases || {})) markPhase(name, at - performance.timeOrigin);
  markPhase("initAnswered");
  update({
    model: {
      info: answer.info,
      methods: answer.methods,
      catalog: answer.catalog,
      luts: answer.luts,
      simd: answer.simd,
      threads: answer.threads || 1,
      mode,
      name: weightsName,
      version: BUILT_IN_VERSION,
    },
  });
  return { ...answer, mode };
}

// Loads another weights file; throws the loader's message (the old model stays loaded).
// `bytes` is handed over to the worker (not copied: a VGG16 file is 135 MB) when it spans its
// whole buffer; the caller must not use it afterwards.
export async function loadModel(bytes, name) {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const buffer = whole ? bytes.buffer : bytes.slice().buffer;
  cancelJobs(() => true);
  const hashes = weightsHashes(bytes); // read before the buffer goes to the worker
  const answer = await busy(() => serial(() => ask("loadWeights", { bytes: buffer }, [buffer])));
  inMain = null;
  mainPending = null;
  inOther = null;
  inflight.clear();
  modelHashes = hashes;
  builtInWeights = null;
  forgetResults();
  update({ model: { ...state.model, info: answer.info, methods: answer.methods, catalog: answer.catalog, name, version: state.model.version + 1 } });
  return answer;
}

function pixelsOf(picture) {
  const rgba = picture.rgba.slice().buffer;
  return [{ rgba, width: picture.width, height: picture.height }, [rgba]];
}

// The main Session's key of `picture`, "version|pictureId". Before init answers (a picture
// sent while the core still starts) the model is the built-in one, whose version init sets.
function mainKey(picture) {
  return `${modelVersion()}|${picture.id}`;
}

function modelVersion() {
  return state.model ? state.model.version : BUILT_IN_VERSION;
}

// Sends `picture` to the main Session (one forward pass) unless it is there or on its way;
// returns the promise of its prediction. The request is posted at once and not awaited here:
// the worker runs requests in order, so a request posted right after it (the maps) waits in
// the worker, not for the prediction's round trip through the page.
function startMain(picture) {
  const version = modelVersion();
  const key = mainKey(picture);
  const r = resultsFor(picture.id);
  if (inMain === key && r.prediction) return Promise.resolve(r.prediction);
  if (mainPending && mainPending.key === key) return mainPending.promise;
  const [payload, transfer] = pixelsOf(picture);
  const pending = { key, promise: null };
  pending.promise = ask("setPicture", payload, transfer).then(
    (prediction) => {
      if (mainPending === pending) {
        mainPending = null;
        inMain = key; // else a later picture is on its way and will be the one there
      }
      const r = resultsFor(picture.id);
      if (r.version === version) r.prediction = prediction; // else the model changed meanwhile
      markPhase("forward");
      markPhase("forwardMs", prediction.forwardMs);
      setTimings({ forwardMs: prediction.forwardMs });
      return prediction;
    },
    (err) => {
      if (mainPending === pending) mainPending = null;
      throw err;
    },
  );
  inMain = null;
  mainPending = pending;
  return pending.promise;
}

// The prediction for a picture (forward pass in the main Session when not cached). The
// request is posted in turn (serial) without holding the queue until it answers.
export function predictionFor(picture) {
  const r = resultsFor(picture.id);
  if (r.prediction && inMain === mainKey(picture)) return Promise.resolve(r.prediction);
  return busy(async () => (await serial(() => ({ prediction: startMain(picture) }))).prediction);
}

// Starts the first picture's forward pass while the core still starts: its request waits in
// the worker behind init, so that it runs the moment the weights are loaded (the page asks
// for it again, and gets this one, once init has answered). Failures are init's to say.
export function preload(picture) {
  if (!initPosted) return;
  initPosted.then(() => predictionFor(picture)).catch(() => {});
}

// The layer methods of `methods` whose maps a cached entry lacks.
function missing(entry, methods) {
  return methods.filter((m) => !entry || !entry.maps[m]);
}

// Adds a `maps` answer to the cached entry of its layer (methods merged).
function remember(r, answer) {
  const entry = r.layers.get(answer.layer);
  if (!entry) {
    r.layers.set(answer.layer, answer);
    return answer;
  }
  Object.assign(entry.maps, answer.maps);
  Object.assign(entry.methodWeights, answer.methodWeights || {});
  return entry;
}

// The maps of the layer methods `methods` (default Grad-CAM and Layer-CAM) for every class at
// `layer`, with the Grad-CAM weights and each method's own weights (cached per picture, layer
// and method: the worker computes only what is new, from its kept activations and gradients).
export function mapsFor(picture, layer, methods = ["gradcam", "layercam"]) {
  const r = resultsFor(picture.id);
  if (!missing(r.layers.get(layer), methods).length && r.layers.has(layer)) return Promise.resolve(r.layers.get(layer));
  return busy(() =>
    serial(async () => {
      const need = missing(r.layers.get(layer), methods);
      if (!need.length && r.layers.has(layer)) return r.layers.get(layer);
      // Posted right behind the picture when its forward pass is still to come or under way.
      const predicted = startMain(picture);
      const answer = ask("maps", { layer, methods: need });
      try {
        await predicted;
      } catch (err) {
        answer.catch(() => {}); // the picture's own failure is the one said
        throw err;
      }
      const maps = await answer;
      markPhase("backward");
      markPhase("backwardMs", maps.backwardMs);
      setTimings({ backwardMs: maps.backwardMs, mapsMs: maps.mapsMs });
      return remember(r, maps);
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
      await startMain(picture);
      const a = await ask("activations", { layer });
      r.activations.set(layer, a);
      return a;
    }),
  );
}

// ---- results beyond a layer's maps: Score-CAM, picture methods, SmoothGrad, fusion

// The cache key of an extra result: {kind: "score", layer} | {kind: "picture", method, layer}
// | {kind: "smooth", samples, noise} | {kind: "fuse", method, rule, layers}.
export function extraKey(spec) {
  if (spec.kind === "score") return `score|${spec.layer}`;
  if (spec.kind === "picture") return `picture|${spec.method}|${spec.method === "guidedgradcam" ? spec.layer : -1}`;
  if (spec.kind === "smooth") return `smooth|${spec.samples}|${spec.noise}`;
  return `fuse|${spec.method}|${spec.rule}|${spec.layers.join(",")}`;
}

// What a method needs beyond the layer's maps, as an extra spec (null for layer methods).
export function extraSpec(method, layer) {
  const m = methodInfo(method);
  if (!m || m.kind === "layer") return null;
  if (m.kind === "score") return { kind: "score", layer };
  if (method === "smoothgrad") return { kind: "smooth", samples: state.smoothSamples, noise: state.smoothNoise };
  return { kind: "picture", method, layer };
}

// The cached extra result for a picture, or null.
export function cachedExtra(picture, spec) {
  return resultsFor(picture.id).extras.get(extraKey(spec)) || null;
}

// The request an extra result is, for the main Session or the second one ("other").
function requestOf(spec, session) {
  if (spec.kind === "score") return ["scoreCam", { layer: spec.layer, session }];
  if (spec.kind === "smooth") return ["smoothgrad", { samples: spec.samples, noise: spec.noise, session }];
  if (spec.kind === "picture") return ["picture", { method: spec.method, layer: spec.layer, session }];
  const [, h, w] = state.model.info.input;
  return ["fuse", { layers: spec.layers, method: spec.method, rule: spec.rule, height: h, width: w }];
}

// Whether a spec is a long job (progress, cancel).
const longKind = (spec) => spec.kind === "score" || spec.kind === "smooth";

// Sends one extra request, as a cancellable job when it is long: the progress goes to
// state.progress under `pictureId|key`.
async function runExtra(picture, spec, session) {
  const key = extraKey(spec);
  const [type, payload] = requestOf(spec, session);
  if (!longKind(spec)) return ask(type, payload);
  const job = { pictureId: picture.id, key, id: null, cancelled: false };
  jobs.add(job);
  const tag = `${picture.id}|${key}`;
  try {
    if (job.cancelled) throw new Error(CANCELLED);
    return await ask(type, payload, [], {
      onId: (id) => (job.id = id),
      onProgress: (p) => update({ progress: { ...state.progress, [tag]: p } }),
    });
  } finally {
    jobs.delete(job);
    const { [tag]: gone, ...rest } = state.progress;
    if (gone) update({ progress: rest });
  }
}

// Computes an extra result for a picture in the main Session (once; later calls get the same
// promise or the cached result). When it arrives the views are told ("results").
export function extraFor(picture, spec) {
  const r = resultsFor(picture.id);
  const key = extraKey(spec);
  if (r.extras.has(key)) return Promise.resolve(r.extras.get(key));
  const tag = `${r.version}|${picture.id}|${key}`;
  if (inflight.has(tag)) return inflight.get(tag);
  const run = busy(() =>
    serial(async () => {
      if (r.extras.has(key)) return r.extras.get(key);
      await startMain(picture);
      const t0 = performance.now();
      const result = await runExtra(picture, spec, "main");
      result.wallMs = performance.now() - t0;
      r.extras.set(key, result);
      touch("results");
      return result;
    }),
  ).finally(() => inflight.delete(tag));
  inflight.set(tag, run);
  return run;
}

// Stops the long jobs for which drop({pictureId, key}) is true (they fail with "cancelled").
export function cancelJobs(drop) {
  for (const job of jobs) {
    if (job.cancelled || !drop(job)) continue;
    job.cancelled = true;
    if (job.id !== null) {
      requests.push("cancel");
      client.cancel(job.id).catch(() => {});
    }
  }
}

// Whether an error is a cancelled job's.
export function isCancelled(err) {
  return !!err && err.message === CANCELLED;
}

// Prediction, the maps of the layer methods and the extra results of a Compare row, from the
// worker's second Session (the picture being explored stays in the main one). `extras`:
// specs as extraSpec gives them; each result also lands in the picture's cache.
export async function rowFor(picture, layer, methods = ["gradcam", "layercam"], extras = []) {
  const r = resultsFor(picture.id);
  const needMaps = missing(r.layers.get(layer), methods);
  const needExtras = extras.filter((s) => !r.extras.has(extraKey(s)));
  if (r.prediction && r.layers.has(layer) && !needMaps.length && !needExtras.length)
    return { prediction: r.prediction, maps: r.layers.get(layer), extras: r.extras };
  return busy(() =>
    serialOther(async () => {
      const version = r.version;
      const key = `${version}|${picture.id}`;
      if (inOther !== key || needMaps.length || !r.prediction) {
        const [payload, transfer] = pixelsOf(picture);
        inOther = null;
        const answer = await ask("explainOther", { ...payload, layer, methods: needMaps }, transfer);
        inOther = key;
        const { logits, probabilities, predicted, forwardMs, ...maps } = answer;
        if (resultsFor(picture.id).version !== version) throw new Error("the model changed");
        if (!r.prediction) r.prediction = { logits, probabilities, predicted, forwardMs };
        remember(r, maps);
      }
      for (const spec of needExtras) {
        // The explored picture's own run in the main Session serves the row too.
        const running = inflight.get(`${version}|${picture.id}|${extraKey(spec)}`);
        if (running) await running.catch(() => {});
        if (r.extras.has(extraKey(spec))) continue;
        const t0 = performance.now();
        const result = await runExtra(picture, spec, "other");
        result.wallMs = performance.now() - t0;
        r.extras.set(extraKey(spec), result);
      }
      return { prediction: r.prediction, maps: r.layers.get(layer), extras: r.extras };
    }),
  );
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
    } else await startMain(picture);
    if (cancelled) throw new Error(CANCELLED);
    return ask(type, payload, transfer, { onProgress, onId: (i) => (id = i) });
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

// A folder's pictures predicted in the worker's second Session, `chunk` at a time (so the
// explored picture and Compare rows get their turn in between): entries [{file, path}];
// onRows(rows, first) hears each chunk's rows (the worker's, see its `classify`), onProgress
// ({done, total}) each picture. Returns {promise, cancel()}; a cancelled run's promise fails
// with CANCELLED after the rows done (the chunk under way answers those it finished).
export function classifyFiles(entries, { onRows, onProgress, chunk = 8, thumb = 96 } = {}) {
  let cancelled = false;
  let id = 0;
  const run = async () => {
    for (let first = 0; first < entries.length; first += chunk) {
      if (cancelled) throw new Error(CANCELLED);
      const files = entries.slice(first, first + chunk).map(({ file, path }) => ({ file, path }));
      const answer = await serialOther(() => {
        if (cancelled) throw new Error(CANCELLED);
        inOther = null; // the second Session's picture changes
        return ask("classify", { files, thumb }, [], {
          onId: (i) => (id = i),
          onProgress: (p) => onProgress && onProgress({ done: first + p.done, total: entries.length }),
        });
      });
      if (onRows) onRows(answer.rows, first);
      if (answer.cancelled) throw new Error(CANCELLED);
    }
  };
  return {
    promise: busy(run),
    cancel() {
      if (cancelled) return;
      cancelled = true;
      if (id) client.cancel(id).catch(() => {});
    },
  };
}

// One camera frame ({rgba: ArrayBuffer, width, height}, handed over) explained in the second
// Session: the worker's `frame` answer.
export function frameFor(pixels, layer, method, cls) {
  return serialOther(() => {
    inOther = null;
    return ask("frame", { ...pixels, layer, method, cls }, [pixels.rgba]);
  });
}

// Counts as work for the page's "working…" and idle() while fn runs (a run of requests).
export function whileBusy(fn) {
  return busy(fn);
}

// The hashes of the weights file in use, {bytes, crc32, sha256} (for the exports).
export function weightsInfo() {
  if (!modelHashes && builtInWeights) modelHashes = unpackEmbedded(builtInWeights).then((bytes) => weightsHashes(bytes));
  return modelHashes || weightsHashes(null);
}

export function coreMode() {
  return client.mode;
}

// The request types sent so far (for the tests: switching methods sends no setPicture).
export function requestLog() {
  return requests.slice();
}

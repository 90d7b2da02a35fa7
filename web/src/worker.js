// The worker: owns the WebAssembly core and two Sessions — `main` for the picture being
// explored (its activations and gradients stay cached, so class/method/layer changes never
// run a new forward pass) and `other` for the Compare table's rows. Runs inside the Blob
// worker built by protocol.js, or in the page in inline mode (camscopeInlineScope is then
// the local port). The core's factory, `createCamscope`, is defined just before this code,
// or comes as text with init (the worker then starts while the core's script still loads).
/* global createCamscope, camscopeInlineScope */
import { decodePixels, shrunkCanvas, canvasBlob, PictureError } from "./images.js";
import { serve, CANCELLED, unpackEmbedded, wrapCore, coreFactory } from "./protocol.js";

const inline = typeof camscopeInlineScope !== "undefined";
const scope = inline ? camscopeInlineScope : self;
// When this code starts (the core's script before it already parsed), on the shared clock
// (performance.timeOrigin + now: the page subtracts its own origin): the cold-start phases.
const clock = () => performance.timeOrigin + performance.now();
const startedAt = clock();

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

// The core's factory: defined before this code (wrapCore), else made from init's coreSource.
let createCore = typeof createCamscope === "function" ? createCamscope : null;
let core = null;
let main = null;
let other = null;
let info = null;
let catalog = []; // every registered method: {name, title, kind, gradients, perClass, hasWeights, formula}
const DEFAULT_METHODS = ["gradcam", "layercam"];
const WARM_UP_SIDES = [64, 96, 128]; // the first the network takes (AlexNet: 64)

// The model's description, the methods shown by default ([name, title] pairs, as the page's
// views take them) and the whole catalogue.
function describe() {
  info = JSON.parse(main.info());
  const methods = DEFAULT_METHODS.map((n) => {
    const m = catalog.find((x) => x.name === n);
    return [n, m ? m.title : n];
  });
  return { info, methods, catalog };
}

// A layer method's descriptor, or an error naming the method.
function layerMethod(name) {
  const m = catalog.find((x) => x.name === name);
  if (!m || m.kind !== "layer") throw new Error(`"${name}" is not a layer method`);
  return m;
}

// Lets queued messages (a cancel) in between the steps of a long request.
const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

function need() {
  if (!main) throw new Error("the core is not started");
}

function layerShape(layer) {
  const l = info.layers[layer];
  if (!l) throw new Error(`no layer ${layer}`);
  return l.shape;
}

// The maps of the asked layer methods (default: Grad-CAM and Layer-CAM) for every class at one
// layer, the Grad-CAM channel weights (the grid's sort), and each method's own weights.
function mapsOf(session, layer, names = DEFAULT_METHODS) {
  const shape = layerShape(layer);
  const backward0 = session.backwardMs();
  const t0 = performance.now();
  const maps = {};
  const methodWeights = {};
  for (const method of names) {
    const d = layerMethod(method);
    maps[method] = info.classes.map((_, c) => {
      const m = session.cam(method, layer, c);
      if (!m) throw new Error(`no ${method} map at ${info.layers[layer].name}`);
      return m;
    });
    if (d.hasWeights) methodWeights[method] = info.classes.map((_, c) => session.channelWeights(method, layer, c));
  }
  const weights = info.classes.map((_, c) => session.gradcamWeights(layer, c) || new Float32Array(shape[0]));
  const elapsed = performance.now() - t0;
  const backward = session.backwardMs();
  return {
    layer,
    shape,
    maps,
    weights,
    methodWeights,
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

// The Session a request names: "other" (the Compare rows') or the main one.
function sessionOf(name) {
  return name === "other" ? other : main;
}

// Picture methods drawn as the magnitude of the gradient (max over channels of |g|, coloured
// like a map); the others (guided backpropagation, Guided Grad-CAM) as the RGB gradient image.
const MAGNITUDE_METHODS = ["saliency", "smoothgrad"];

// Each class's picture (C x H x W at the network input) drawn by the core's rules: `rgba`
// (gradientRgba, the deprocess rule) or `magnitude` (gradientMagnitude, H x W), per class.
// A BGR network's input gradient is drawn with its planes in RGB order (the rule itself works
// over all values, so the order changes only which colour shows which plane).
function rendered(method, shape, pictures) {
  const [c, h, w] = shape;
  if (MAGNITUDE_METHODS.includes(method)) return { drawAs: "magnitude", magnitude: pictures.map((p) => core.gradientMagnitude(p, c, h * w)) };
  const bgr = info.preprocess && info.preprocess.channels === "bgr" && c === 3;
  const rgbOrder = (p) => {
    if (!bgr) return p;
    const q = p.slice();
    q.set(p.subarray(2 * h * w, 3 * h * w), 0);
    q.set(p.subarray(0, h * w), 2 * h * w);
    return q;
  };
  return { drawAs: "rgb", rgba: pictures.map((p) => core.gradientRgba(rgbOrder(p), c, h, w)) };
}

function setPicture(session, { rgba, width, height }) {
  const err = session.setPicture(new Uint8Array(rgba), width, height);
  if (err) throw new Error(err);
}

serve(scope, {
  // `wasm`: the core's module, embedded ({base64, encoding}; absent when the core's script
  // carries it inline); `weights`: an ArrayBuffer or an embedded payload. The module compiles
  // (V8's background threads) while the weights are decoded.
  // `threads` (the threaded core, on a cross-origin isolated page): {coreSource, threadSource,
  // count}; its threads are started from Blob URLs of the core's text and its threads' script.
  // `weights` absent: they come with `provide {key: "weights"}` (the page's script holding
  // them may still be parsing when the core starts compiling).
  // `coreSource`: the core's text, when the worker was started without it.
  async init({ weights, name, wasm, threads, coreSource }, job) {
    const t0 = performance.now();
    const phases = { workerStart: startedAt, initReceived: clock() };
    if (coreSource) createCore = coreFactory(coreSource);
    if (!createCore) throw new Error("the core's script was not handed over");
    const compiling = wasm ? unpackEmbedded(wasm).then((bytes) => WebAssembly.compile(bytes)) : null;
    // The weights are awaited and decoded alongside the core's compiling and instantiation
    // (whichever comes first waits for the other only at loadWeights).
    const weightsReady = (async () => {
      if (weights === undefined) {
        weights = await job.provided("weights");
        if (weights && !name) name = weights.name;
        phases.weightsReceived = clock();
      }
      if (!weights) throw new Error("no built-in weights were handed over");
      const bytes = weights instanceof ArrayBuffer ? new Uint8Array(weights) : await unpackEmbedded(weights);
      phases.weightsDecoded = clock();
      return bytes;
    })();
    weightsReady.catch(() => {}); // awaited below; its failure is init's
    const options = {
      print: (text) => console.log(`core: ${text}`),
      // The threaded core counts this worker as its "main thread" and warns about blocking
      // it; a worker may block, so that warning does not apply here.
      printErr: (text) => /^Blocking on the main thread/.test(text) || console.warn(`core: ${text}`),
    };
    let failed = null;
    const failure = new Promise((resolve, reject) => (failed = reject));
    if (compiling) {
      const module = await compiling;
      options.instantiateWasm = (imports, receive) => {
        WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module), failed);
        return {};
      };
    }
    if (threads) {
      const threadUrl = URL.createObjectURL(new Blob([threads.threadSource], { type: "text/javascript" }));
      options.locateFile = (path) => (path.endsWith(".worker.js") ? threadUrl : path);
      options.mainScriptUrlOrBlob = new Blob([wrapCore(threads.coreSource)], { type: "text/javascript" });
    }
    core = await Promise.race([createCore(options), failure]);
    const threadCount = threads && core._camscope_set_threads ? core._camscope_set_threads(threads.count) : 1;
    phases.compiled = clock();
    const weightBytes = await weightsReady;
    main = new core.Session();
    other = new core.Session();
    const err = main.loadWeights(weightBytes);
    if (err) throw new Error(`the built-in weights (${name}) do not load: ${err}`);
    other.useModelOf(main); // one copy of the weights for both sessions
    phases.weightsLoaded = clock();
    // A small blank forward pass (Session.warmUp: a fraction of a picture's work) so that the
    // first picture's forward runs in V8's optimised code, not its baseline code.
    for (const side of WARM_UP_SIDES) if (main.warmUp(side)) break;
    phases.warmedUp = clock();
    catalog = JSON.parse(core.camMethods());
    const luts = {};
    for (const cmap of ["jet", "turbo", "viridis", "gray"]) luts[cmap] = core.colormapLut(cmap);
    phases.ready = clock();
    return { ...describe(), luts, simd: core.simd(), threads: threadCount, startMs: performance.now() - t0, phases };
  },

  // A new model; on failure the previous one stays (Session.loadWeights keeps it).
  loadWeights({ bytes }) {
    need();
    const u8 = new Uint8Array(bytes);
    const err = main.loadWeights(u8);
    if (err) throw new Error(err);
    other.useModelOf(main);
    return describe();
  },

  setPicture(payload) {
    need();
    setPicture(main, payload);
    return prediction(main);
  },

  maps({ layer, methods }) {
    need();
    if (!main.hasPicture()) throw new Error("no picture");
    return mapsOf(main, layer, methods);
  },

  // Score-CAM at a layer: the layer's channels' masked forward passes, in steps of a batch,
  // with progress; then every class's map and weights.
  async scoreCam({ layer, session: which }, job) {
    need();
    const session = sessionOf(which);
    if (!session.hasPicture()) throw new Error("no picture");
    const total = layerShape(layer)[0];
    const t0 = performance.now();
    let done = session.scoreCamRun(layer, 0);
    while (done < total) {
      if (job.cancelled()) throw new Error(CANCELLED);
      done = session.scoreCamRun(layer, 16);
      job.progress(done, total);
      await pause();
    }
    const maps = info.classes.map((_, c) => session.cam("scorecam", layer, c));
    const weights = info.classes.map((_, c) => session.channelWeights("scorecam", layer, c));
    return { layer, shape: layerShape(layer), maps, weights, ms: performance.now() - t0 };
  },

  // A picture method (guidedbackprop, saliency, guidedgradcam at `layer`) for every class:
  // C x H x W at the network input (see Session.picture), and drawn (see rendered()).
  picture({ method, layer = -1, session: which }) {
    need();
    const session = sessionOf(which);
    if (!session.hasPicture()) throw new Error("no picture");
    const t0 = performance.now();
    const pictures = info.classes.map((_, c) => {
      const p = session.picture(method, c, layer);
      if (!p) throw new Error(`no ${method} picture`);
      return p;
    });
    const shape = session.inputShape();
    return { method, layer, shape, pictures, ...rendered(method, shape, pictures), ms: performance.now() - t0 };
  },

  // SmoothGrad: `samples` noisy copies (noise: that fraction of the input's range), with
  // progress; then every class's averaged input gradient.
  async smoothgrad({ samples = 16, noise = 0.15, session: which }, job) {
    need();
    const session = sessionOf(which);
    if (!session.hasPicture()) throw new Error("no picture");
    const t0 = performance.now();
    let done = session.smoothgradRun(samples, noise, 0);
    while (done < samples) {
      if (job.cancelled()) throw new Error(CANCELLED);
      done = session.smoothgradRun(samples, noise, 1);
      job.progress(done, samples);
      await pause();
    }
    const pictures = info.classes.map((_, c) => session.picture("smoothgrad", c, -1));
    const shape = session.inputShape();
    return { method: "smoothgrad", samples, noise, shape, pictures, ...rendered("smoothgrad", shape, pictures), ms: performance.now() - t0 };
  },

  // "Is it right?": deletion and insertion curves (steps + 1 probabilities each, batched
  // forward passes), their areas, and the Average Drop / Increase terms, for every method
  // (a random map is always added) and class asked; with progress (forward passes done).
  // With a picture's pixels (`rgba`, `width`, `height`: a Compare picture) it runs in the
  // second Session and answers that picture's prediction too; no `classes`: the predicted one.
  async metrics({ layer, methods = DEFAULT_METHODS, classes, steps = 50, deletionBaseline = "zero", insertionBaseline = "blur", rgba, width, height }, job) {
    need();
    const session = rgba ? other : main;
    if (rgba) setPicture(other, { rgba, width, height });
    if (!session.hasPicture()) throw new Error("no picture");
    const names = [...methods.filter((m) => m !== "random"), "random"];
    const cls = classes && classes.length ? classes : [session.predicted()];
    const total = names.length * cls.length * 2 * (steps + 1);
    const t0 = performance.now();
    let done = 0;
    const results = [];
    for (const method of names) {
      if (method === "scorecam") {
        const c = layerShape(layer)[0];
        while (session.scoreCamRun(layer, 16) < c) {
          if (job.cancelled()) throw new Error(CANCELLED);
          await pause();
        }
      }
      for (const c of cls) {
        const r = { method, cls: c };
        const tr = performance.now();
        for (const [key, insertion, base] of [["deletion", false, deletionBaseline], ["insertion", true, insertionBaseline]]) {
          let d = session.curveRun(method, layer, c, insertion, steps, base, 0);
          done += d; // steps kept from an earlier, cancelled run
          while (d <= steps) {
            if (job.cancelled()) throw new Error(CANCELLED);
            const before = d;
            d = session.curveRun(method, layer, c, insertion, steps, base, 8);
            if (d === before) throw new Error(`no ${method} map at ${info.layers[layer].name}`);
            done += d - before;
            job.progress(done, total);
            await pause();
          }
          r[key] = session.curve(method, layer, c, insertion, steps, base);
          r[`${key}Auc`] = core.auc(r[key]);
        }
        r.confidence = session.confidence(method, layer, c);
        r.ms = performance.now() - tr; // both curves and the confidence terms (0 when cached)
        results.push(r);
      }
    }
    return { layer, steps, deletionBaseline, insertionBaseline, results, prediction: prediction(session), ms: performance.now() - t0 };
  },

  // Cascading randomisation: per step (parameterised nodes re-initialised from the logits
  // down, one more each step) every method's map on the randomised model and its Spearman
  // correlation with the original map; with progress.
  async sanity({ layer, methods = DEFAULT_METHODS, cls }, job) {
    need();
    if (!main.hasPicture()) throw new Error("no picture");
    const c = cls === undefined || cls < 0 ? main.predicted() : cls;
    const names = JSON.parse(main.cascadeNames());
    const originals = Object.fromEntries(methods.map((m) => [m, main.cam(m, layer, c)]));
    const steps = [];
    const t0 = performance.now();
    for (let s = 0; s < names.length; s++) {
      if (job.cancelled()) throw new Error(CANCELLED);
      const maps = {};
      const rho = {};
      for (const m of methods) {
        maps[m] = main.sanityMap(m, layer, c, s);
        rho[m] = maps[m] ? core.spearman(originals[m], maps[m]) : null;
      }
      steps.push({ node: names[s], maps, rho });
      job.progress(s + 1, names.length);
      await pause();
    }
    return { layer, cls: c, originals, steps, ms: performance.now() - t0 };
  },

  // Multi-layer fusion of one layer method's maps, per class, at h x w (fusion.h's rule).
  fuse({ layers, method, rule = "max", height, width }) {
    need();
    if (!main.hasPicture()) throw new Error("no picture");
    layerMethod(method);
    const sizes = layers.map((l) => layerShape(l).slice(1));
    const fused = info.classes.map((_, c) => {
      const maps = layers.map((l) => main.cam(method, l, c));
      const f = core.fuseMaps(maps, sizes, height, width, rule);
      if (!f) throw new Error("fusion failed");
      return f;
    });
    return { layers, method, rule, height, width, fused };
  },

  activations({ layer }) {
    need();
    if (!main.hasPicture()) throw new Error("no picture");
    const data = main.activation(layer);
    if (!data) throw new Error(`no activation for layer ${layer}`);
    return { layer, shape: layerShape(layer), data };
  },

  // A folder's pictures (Files, handed over without reading them in the page), each decoded
  // here by the page's rule (images.js), predicted in the second Session and kept only as a
  // `thumb`-px JPEG: {rows: [{path, predicted, probabilities, width, height, thumb: Blob, ms}
  // or {path, error}]}, with progress per picture. The full pixels live one picture at a time.
  // A picture's fault is its PictureError's {key, args}, which the page words in its language
  // (the worker has no words); any other error is its message.
  // Cancelled, it answers the rows done so far with `cancelled: true`.
  async classify({ files = [], thumb = 96 }, job) {
    need();
    const rows = [];
    for (let i = 0; i < files.length; i++) {
      if (job.cancelled()) return { rows, cancelled: true };
      const { file, path } = files[i];
      const t0 = performance.now();
      try {
        const { width, height, rgba, full } = await decodePixels(file, path);
        const small = shrunkCanvas(full, thumb);
        full.width = full.height = 0;
        setPicture(other, { rgba: rgba.buffer, width, height });
        const p = prediction(other);
        const blob = await canvasBlob(small, "image/jpeg", 0.85);
        small.width = small.height = 0; // its pixels go now, not at the next garbage collection
        rows.push({ path, predicted: p.predicted, probabilities: Array.from(p.probabilities), width, height, thumb: blob, ms: performance.now() - t0 });
      } catch (err) {
        const error = err instanceof PictureError ? { key: err.key, args: err.args } : String((err && err.message) || err);
        rows.push({ path, error });
      }
      job.progress(i + 1, files.length);
      await pause();
    }
    return { rows, cancelled: false };
  },

  // One camera frame in the second Session: its prediction and one layer method's map for
  // class `cls` (-1: the predicted class); the network's passes as for any picture.
  frame({ rgba, width, height, layer, method = "gradcam", cls = -1 }) {
    need();
    const t0 = performance.now();
    setPicture(other, { rgba, width, height });
    layerMethod(method);
    const p = prediction(other);
    const c = cls >= 0 && cls < info.classes.length ? cls : p.predicted;
    const map = other.cam(method, layer, c);
    if (!map) throw new Error(`no ${method} map at ${info.layers[layer].name}`);
    return { ...p, layer, method, cls: c, shape: layerShape(layer), map, backwardMs: other.backwardMs(), ms: performance.now() - t0 };
  },

  // One row of the Compare table: a picture explained in the second session.
  explainOther(payload) {
    need();
    setPicture(other, payload);
    return { ...prediction(other), ...mapsOf(other, payload.layer, payload.methods) };
  },
});

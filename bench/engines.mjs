// The engines under test, shared by the page (bench/page.html, in Chromium) and Node
// (bench/bench.mjs --node): camscope's WebAssembly module, ONNX Runtime Web (wasm backend,
// SIMD, 1 thread) and TensorFlow.js (wasm backend, SIMD, 1 thread), each set up on the same
// weights, checked against camscope, then timed interleaved.
//
// Globals expected: `ort` (onnxruntime-web) and `tf` (@tensorflow/tfjs with the wasm backend
// registered); `createCamscope` is passed in.

const SIDE = 224;
const now = () => performance.now();

export function stats(t) {
  const s = [...t].sort((a, b) => a - b);
  const r = (v) => Math.round(v * 1000) / 1000;
  return { median: r(s[Math.floor(s.length / 2)]), min: r(s[0]), max: r(s[s.length - 1]), n: s.length };
}

// max |a - b| / max |b|.
export function relErr(a, b) {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m > 0 ? d / m : d;
}

// The network input (CHW float32) from 224x224 RGBA: scale to [0, 1], mean/std (the
// resize is the identity at the network's own size).
export function inputChw(rgba, mean, std) {
  const x = new Float32Array(3 * SIDE * SIDE);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < SIDE * SIDE; i++) x[c * SIDE * SIDE + i] = (rgba[4 * i + c] / 255 - mean[c]) / std[c];
  return x;
}

// ---------------------------------------------------------------------------------------
// camscope

export async function setupCamscope(createCamscope, csw, rgba, camLayer) {
  const t0 = now();
  const M = await createCamscope();
  const s = new M.Session();
  const err = s.loadWeights(csw);
  if (err) throw new Error(`camscope: ${err}`);
  const layer = s.layerIndex(camLayer);
  if (layer < 0) throw new Error(`camscope: no layer ${camLayer}`);
  const info = JSON.parse(s.info());
  const classes = info.classes.length;
  const shape = info.layers[layer].shape;

  // One map as the page shows it: raw map, upsampled, normalised, blended over the picture.
  const render = (method, cls) => {
    const raw = s.cam(method, layer, cls);
    const up = M.upsample(raw, shape[1], shape[2], SIDE, SIDE);
    let max = 0;
    for (let i = 0; i < up.length; i++) max = Math.max(max, up[i]);
    if (max > 0) for (let i = 0; i < up.length; i++) up[i] /= max;
    M.overlay(rgba, SIDE, SIDE, up, "jet", 0.5);
    return raw;
  };
  const forward = () => {
    const e = s.setPicture(rgba, SIDE, SIDE);
    if (e) throw new Error(`camscope: ${e}`);
  };
  forward();
  render("gradcam", s.predicted());
  const firstMapMs = now() - t0;

  const full = () => {
    forward();
    const maps = [];
    for (let c = 0; c < classes; c++) for (const m of ["gradcam", "layercam"]) maps.push(render(m, c));
    s.featureGrid(layer, 16, 1, 1, false, "viridis");
    return maps;
  };
  let sw = 0;
  return {
    name: "camscope",
    simd: M.simd(),
    firstMapMs,
    classes,
    forward,
    full,
    // Class switch: (A, G) cached by full(); one map for the other class, rendered.
    switchClass: () => render(sw++ % 2 ? "gradcam" : "layercam", sw % classes),
    logits: () => Array.from(s.logits()),
    maps: () => full().map((m) => Array.from(m)),
  };
}

// ---------------------------------------------------------------------------------------
// ONNX Runtime Web

export async function setupOrt(onnxBytes, x) {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(onnxBytes, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
  const feeds = { input: new ort.Tensor("float32", x, [1, 3, SIDE, SIDE]) };
  let logits = null;
  const forward = async () => {
    const out = await session.run(feeds);
    logits = out.logits.data;
  };
  return { name: "onnxruntime-web", version: ort.env.versions?.web ?? "", forward, logits: async () => (await forward(), Array.from(logits)) };
}

// ---------------------------------------------------------------------------------------
// TensorFlow.js: the network rebuilt from the raw manifest (NHWC), BatchNorm folded into
// the conv before it and ReLU fused, except at the CAM layer whose own output must stay.

export async function setupTfjs(manifest, bin, x, camLayer) {
  const f32 = (t) => {
    const [off, shape] = t;
    return { data: new Float32Array(bin, off, shape.reduce((a, b) => a * b, 1)), shape };
  };
  const L = manifest.layers;
  const features = [];
  const head = [];
  let ops = features;
  for (let i = 0; i < L.length; i++) {
    const l = L[i];
    const next = L[i + 1];
    if (l.type === "conv") {
      const [cin, cout, k, stride, pad] = l.args;
      const w = f32(l.tensors.weight).data;
      const b = Float32Array.from(f32(l.tensors.bias).data);
      const scale = new Float32Array(cout).fill(1);
      let last = l.name;
      if (next && next.type === "batchnorm" && l.name !== camLayer) {
        const g = f32(next.tensors.weight).data, be = f32(next.tensors.bias).data;
        const mu = f32(next.tensors.running_mean).data, v = f32(next.tensors.running_var).data;
        for (let o = 0; o < cout; o++) {
          scale[o] = g[o] / Math.sqrt(v[o] + next.args[1]);
          b[o] = (b[o] - mu[o]) * scale[o] + be[o];
        }
        last = next.name;
        i++;
      }
      // (COUT, CIN, K, K) -> (K, K, CIN, COUT), BatchNorm's scale folded in.
      const f = new Float32Array(w.length);
      for (let o = 0; o < cout; o++)
        for (let c = 0; c < cin; c++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++)
              f[((ky * k + kx) * cin + c) * cout + o] = w[((o * cin + c) * k + ky) * k + kx] * scale[o];
      const relu = last !== camLayer && L[i + 1] && L[i + 1].type === "relu";
      if (relu) i++;
      const filter = tf.tensor4d(f, [k, k, cin, cout]);
      const bias = tf.tensor1d(b);
      ops.push((h) => tf.fused.conv2d({ x: h, filter, strides: stride, pad, bias, activation: relu ? "relu" : "linear" }));
    } else if (l.type === "batchnorm") {
      const g = f32(l.tensors.weight).data, be = f32(l.tensors.bias).data;
      const mu = f32(l.tensors.running_mean).data, v = f32(l.tensors.running_var).data;
      const a = new Float32Array(g.length), c = new Float32Array(g.length);
      for (let o = 0; o < g.length; o++) {
        a[o] = g[o] / Math.sqrt(v[o] + l.args[1]);
        c[o] = be[o] - mu[o] * a[o];
      }
      const ta = tf.tensor1d(a), tc = tf.tensor1d(c);
      ops.push((h) => tf.add(tf.mul(h, ta), tc));
    } else if (l.type === "relu") {
      ops.push((h) => tf.relu(h));
    } else if (l.type === "maxpool") {
      ops.push((h) => tf.maxPool(h, l.args[0], l.args[1], "valid"));
    } else if (l.type === "adaptiveavgpool") {
      ops.push((h) => {
        if (h.shape[1] !== l.args[0] || h.shape[2] !== l.args[1]) throw new Error("tfjs: avgpool only as identity");
        return h;
      });
    } else if (l.type === "flatten") {
      ops.push((h) => tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [1, -1]));  // PyTorch's CHW order
    } else if (l.type === "linear") {
      const [nin, nout] = l.args;
      // W^T (IN x OUT): tfjs-backend-wasm 4.22's fused matMul with transposeB gives wrong
      // logits (caught by the cross-check), so the weights are transposed once here.
      const w = tf.transpose(tf.tensor2d(f32(l.tensors.weight).data, [nout, nin]));
      const bias = tf.tensor1d(f32(l.tensors.bias).data);
      const relu = next && next.type === "relu" && l.name !== camLayer;
      if (relu) i++;
      ops.push((h) => tf.fused.matMul({ a: h, b: w, bias, activation: relu ? "relu" : "linear" }));
    } else if (l.type === "dropout") {
      // identity
    } else {
      throw new Error(`tfjs: layer type ${l.type}`);
    }
    if (L[i].name === camLayer) ops = head;
  }
  const run = (list, h) => list.reduce((acc, op) => op(acc), h);
  const input = tf.tensor4d(Float32Array.from({ length: x.length }, (_, j) => {
    // CHW -> HWC
    const c = j % 3, p = Math.floor(j / 3);
    return x[c * SIDE * SIDE + p];
  }), [1, SIDE, SIDE, 3]);
  const classes = manifest.classes.length;

  let logits = null;
  const forward = async () => {
    const y = tf.tidy(() => run(head, run(features, input)));
    logits = await y.data();
    y.dispose();
  };
  // Forward to A, logits, then d logit_c / dA by tf.grad for every class; Grad-CAM and
  // Layer-CAM maps (NHWC: channel last).
  const full = async () => {
    const outs = tf.tidy(() => {
      const A = run(features, input);
      const y = run(head, A);
      const maps = [];
      for (let c = 0; c < classes; c++) {
        const g = tf.grad((a) => tf.sum(tf.slice(run(head, a), [0, c], [1, 1])))(A);
        const w = tf.mean(g, [1, 2], true);
        maps.push(tf.relu(tf.sum(tf.mul(A, w), 3)));
        maps.push(tf.relu(tf.sum(tf.mul(tf.relu(g), A), 3)));
      }
      return [y, ...maps];
    });
    const data = await Promise.all(outs.map((t) => t.data()));
    outs.forEach((t) => t.dispose());
    logits = data[0];
    return data.slice(1);
  };
  return {
    name: "tfjs",
    version: tf.version?.tfjs ?? tf.version_core ?? "",
    forward,
    full,
    logits: async () => (await forward(), Array.from(logits)),
    maps: async () => (await full()).map((m) => Array.from(m)),
  };
}

// ---------------------------------------------------------------------------------------
// The run: set up, cross-check against camscope, warm up, then `reps` interleaved rounds.

export async function runAll({ createCamscope, csw, onnx, manifest, bin, rgba, camLayer, reps, warmup, log }) {
  const res = { checks: {}, timings: {} };
  const x = inputChw(rgba, manifest.mean, manifest.std);
  const cs = await setupCamscope(createCamscope, csw, rgba, camLayer);
  res.firstMapMs = cs.firstMapMs;
  res.camscopeSimd = cs.simd;
  const refLogits = cs.logits();
  const refMaps = cs.maps();
  res.logits = refLogits;
  const engines = [cs];
  try {
    const o = await setupOrt(onnx, x);
    const e = relErr(await o.logits(), refLogits);
    res.checks.ort = { logits: e, ok: e < 1e-4 };
    if (res.checks.ort.ok) engines.push(o);
    res.ortVersion = o.version;
  } catch (e) {
    res.checks.ort = { error: String(e), ok: false };
  }
  try {
    const t = await setupTfjs(manifest, bin, x, camLayer);
    const e = relErr(await t.logits(), refLogits);
    const maps = await t.maps();
    const me = Math.max(...maps.map((m, i) => relErr(m, refMaps[i])));
    res.checks.tfjs = { logits: e, maps: me, ok: e < 1e-4 && me < 1e-3 };
    if (res.checks.tfjs.ok) engines.push(t);
    res.tfjsVersion = t.version;
    res.tfjsBackend = tf.getBackend();
  } catch (e) {
    res.checks.tfjs = { error: String(e), ok: false };
  }
  log?.(`checks: ${JSON.stringify(res.checks)}`);
  const t = {};
  const time = async (key, fn) => {
    const t0 = now();
    await fn();
    (t[key] ??= []).push(now() - t0);
  };
  for (let r = 0; r < warmup + reps; r++) {
    const keep = r >= warmup;
    for (const e of engines) {
      const tm = keep ? time : async (_k, fn) => fn();
      await tm(`${e.name}.forward`, e.forward);
      if (e.full) await tm(`${e.name}.full`, e.full);
      if (e.switchClass) await tm(`${e.name}.switch`, e.switchClass);
    }
  }
  for (const k of Object.keys(t)) res.timings[k] = stats(t[k]);
  return res;
}

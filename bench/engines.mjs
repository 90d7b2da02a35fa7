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

// The network input (CHW float32) from 224x224 RGBA by the file's preprocessing: channel
// order, scale to [0, range], mean/std (the resize is the identity at the network's own size).
export function inputChw(rgba, { mean, std, range = 1, channels = "rgb" }) {
  const x = new Float32Array(3 * SIDE * SIDE);
  for (let c = 0; c < 3; c++) {
    const src = channels === "bgr" ? 2 - c : c;
    for (let i = 0; i < SIDE * SIDE; i++) x[c * SIDE * SIDE + i] = ((rgba[4 * i + src] / 255) * range - mean[c]) / std[c];
  }
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
  // What TF.js's full analysis computes: the forward, the gradients and the four raw maps
  // (13x13 at features.14), nothing upsampled, blended or drawn.
  const rawMaps = () => {
    forward();
    const maps = [];
    for (let c = 0; c < classes; c++) for (const m of ["gradcam", "layercam"]) maps.push(s.cam(m, layer, c));
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
    rawMaps,
    // Class switch: (A, G) cached by full(); one map for the other class, rendered.
    switchClass: () => render(sw++ % 2 ? "gradcam" : "layercam", sw % classes),
    logits: () => Array.from(s.logits()),
    maps: () => full().map((m) => Array.from(m)),
  };
}

// ---------------------------------------------------------------------------------------
// ONNX Runtime Web

export async function setupOrt(onnxBytes, x, threads = 1) {
  ort.env.wasm.numThreads = threads;
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
  if (manifest.version === 2) return setupTfjsGraph(manifest, bin, x, camLayer);
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
  return tfjsEngine(x, manifest.classes.length, (input) => ({ A: run(features, input) }), (_ctx, a) => run(head, a));
}

// The timed TF.js engine from a network split at the CAM layer: features(input) -> {A, ...}
// (A: the CAM layer's output, NHWC; the rest: whatever head needs besides it) and
// head(ctx, a) -> logits of the network with A replaced by a.
function tfjsEngine(x, classes, features, head) {
  const input = tf.tensor4d(Float32Array.from({ length: x.length }, (_, j) => {
    // CHW -> HWC
    const c = j % 3, p = Math.floor(j / 3);
    return x[c * SIDE * SIDE + p];
  }), [1, SIDE, SIDE, 3]);

  let logits = null;
  const forward = async () => {
    const y = tf.tidy(() => {
      const ctx = features(input);
      return head(ctx, ctx.A);
    });
    logits = await y.data();
    y.dispose();
  };
  // Forward to A, logits, then d logit_c / dA by tf.grad for every class; Grad-CAM and
  // Layer-CAM maps (NHWC: channel last).
  const full = async () => {
    const outs = tf.tidy(() => {
      const ctx = features(input);
      const A = ctx.A;
      const y = head(ctx, A);
      const maps = [];
      for (let c = 0; c < classes; c++) {
        const g = tf.grad((a) => tf.sum(tf.slice(head(ctx, a), [0, c], [1, 1])))(A);
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

// TensorFlow.js from a version-2 manifest (a graph: tools/export_onnx.py --raw), NHWC. A
// BatchNorm reading only a conv is folded into it and a ReLU/ReLU6 reading only that is fused
// (tf.fused.conv2d), a ReLU after a Linear likewise, as a TF.js user would build the model;
// never across the CAM layer, whose own output must stay. Flatten in PyTorch's NCHW order is
// a plain NHWC reshape with the following Linear's input columns permuted to match.
function setupTfjsGraph(manifest, bin, x, camLayer) {
  const f32 = ([off, shape]) => new Float32Array(bin, off, shape.reduce((a, b) => a * b, 1));
  const nodes = manifest.nodes;
  const byName = new Map(nodes.map((nd, i) => [nd.name, i]));
  const cam = nodes.findIndex((nd) => nd.name === camLayer || nd.aliases.includes(camLayer));
  if (cam < 0) throw new Error(`tfjs: no layer ${camLayer}`);
  const readers = nodes.map(() => []);
  nodes.forEach((nd, i) => nd.inputs.forEach((n) => n !== "input" && readers[byName.get(n)].push(i)));
  // The node that alone reads i, if its op is one of `ops` (and i is not the CAM layer).
  const onlyReader = (i, ops) =>
    i !== cam && readers[i].length === 1 && ops.includes(nodes[readers[i][0]].op) ? readers[i][0] : -1;
  const padOf = (p) => (p.every((v) => v === 0) ? "valid" : [[0, 0], [p[0], p[2]], [p[1], p[3]], [0, 0]]);
  const acts = { relu: "relu", relu6: "relu6" };
  const shapes = new Map();  // (C, H, W) of each value, filled in node order (for flatten)

  // steps: {out: name, fn(values) -> tensor}; each node is either a step or folded into one.
  const steps = [];
  const done = new Set();
  for (let i = 0; i < nodes.length; i++) {
    if (done.has(i)) continue;
    const nd = nodes[i];
    const a = nd.args;
    const t = (k) => f32(nd.tensors[k]);
    const src = nd.inputs[0];
    const members = [i];  // the nodes this step computes; its output is the last one's
    let fn;
    if (nd.op === "conv") {
      const [kh, kw] = a.k;
      const g = a.g;
      const cin = a.cin, cout = a.cout;
      if (g !== 1 && g !== cin) throw new Error(`tfjs: ${nd.name}: grouped conv (g=${g})`);
      const w = t("weight");
      const bias = new Float32Array(cout);
      if (a.bias) bias.set(t("bias"));
      const scale = new Float32Array(cout).fill(1);
      let last = i;
      const bn = onlyReader(i, ["batchnorm"]);
      if (bn >= 0) {
        const b = nodes[bn];
        const ga = f32(b.tensors.weight), be = f32(b.tensors.bias);
        const mu = f32(b.tensors.running_mean), v = f32(b.tensors.running_var);
        for (let o = 0; o < cout; o++) {
          scale[o] = ga[o] / Math.sqrt(v[o] + b.args.eps);
          bias[o] = (bias[o] - mu[o]) * scale[o] + be[o];
        }
        members.push(bn);
        last = bn;
      }
      const act = onlyReader(last, ["relu", "relu6"]);
      if (act >= 0) members.push(act);
      const activation = act >= 0 ? acts[nodes[act].op] : "linear";
      const pad = padOf(a.p);
      const conf = { strides: a.s, pad, dilations: a.d, bias: tf.tensor1d(bias), activation };
      if (g === 1) {
        // (COUT, CIN, KH, KW) -> (KH, KW, CIN, COUT), BatchNorm's scale folded in.
        const f = new Float32Array(w.length);
        for (let o = 0; o < cout; o++)
          for (let c = 0; c < cin; c++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++)
                f[((ky * kw + kx) * cin + c) * cout + o] = w[((o * cin + c) * kh + ky) * kw + kx] * scale[o];
        const filter = tf.tensor4d(f, [kh, kw, cin, cout]);
        fn = (v) => tf.fused.conv2d({ x: v.get(src), filter, ...conf });
      } else {
        // Depthwise: (COUT, 1, KH, KW) -> (KH, KW, CIN, COUT / CIN).
        const mult = cout / cin;
        const f = new Float32Array(w.length);
        for (let o = 0; o < cout; o++)
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++)
              f[((ky * kw + kx) * cin + Math.floor(o / mult)) * mult + (o % mult)] = w[(o * kh + ky) * kw + kx] * scale[o];
        const filter = tf.tensor4d(f, [kh, kw, cin, mult]);
        fn = (v) => tf.fused.depthwiseConv2d({ x: v.get(src), filter, ...conf });
      }
    } else if (nd.op === "batchnorm") {
      const ga = t("weight"), be = t("bias"), mu = t("running_mean"), va = t("running_var");
      const s1 = new Float32Array(ga.length), s2 = new Float32Array(ga.length);
      for (let o = 0; o < ga.length; o++) {
        s1[o] = ga[o] / Math.sqrt(va[o] + a.eps);
        s2[o] = be[o] - mu[o] * s1[o];
      }
      const ta = tf.tensor1d(s1), tc = tf.tensor1d(s2);
      fn = (v) => tf.add(tf.mul(v.get(src), ta), tc);
    } else if (nd.op === "relu") {
      fn = (v) => tf.relu(v.get(src));
    } else if (nd.op === "relu6") {
      fn = (v) => tf.relu6(v.get(src));
    } else if (nd.op === "clip") {
      fn = (v) => tf.clipByValue(v.get(src), a.lo, a.hi);
    } else if (nd.op === "maxpool" || nd.op === "avgpool") {
      if (a.ceil || (a.d && (a.d[0] !== 1 || a.d[1] !== 1))) throw new Error(`tfjs: ${nd.name}: ceil_mode/dilation`);
      if (nd.op === "avgpool" && a.include_pad && a.p.some((p) => p)) throw new Error(`tfjs: ${nd.name}: padded avgpool counting the padding`);
      const s = a.s ?? a.k;
      const pool = nd.op === "maxpool" ? tf.maxPool : tf.avgPool;
      const pad = padOf(a.p);
      // After the CAM layer gradients flow through it: tfjs-backend-wasm's MaxPoolGrad loses
      // them (see maxPoolFirstMax), so the head's max-pools use our own gradient.
      const head = nd.op === "maxpool" && i > cam;
      if (head && pad !== "valid") throw new Error(`tfjs: ${nd.name}: padded max-pool after the CAM layer`);
      const first = head ? maxPoolFirstMax(a.k, s) : null;
      fn = (v) => (first ? first(v.get(src)) : pool(v.get(src), a.k, s, pad));
    } else if (nd.op === "adaptiveavgpool") {
      const [oh, ow] = a.out;
      fn = (v) => {
        const h = v.get(src);
        const [, H, W] = h.shape;
        if (H === oh && W === ow) return h;
        if (oh === 1 && ow === 1) return tf.mean(h, [1, 2], true);
        if (H % oh || W % ow) throw new Error(`tfjs: ${nd.name}: adaptive pool ${H}x${W} -> ${oh}x${ow}`);
        return tf.avgPool(h, [H / oh, W / ow], [H / oh, W / ow], "valid");
      };
    } else if (nd.op === "add") {
      fn = (v) => nd.inputs.slice(1).reduce((acc, n) => tf.add(acc, v.get(n)), v.get(src));
    } else if (nd.op === "concat") {
      fn = (v) => tf.concat(nd.inputs.map((n) => v.get(n)), 3);
    } else if (nd.op === "flatten") {
      // NHWC reshape; for order nchw the Linear reading it permutes its columns (below), or,
      // when no Linear alone reads it, the tensor goes to NCHW first.
      let j = i;
      while (readers[j].length === 1 && ["dropout", "identity"].includes(nodes[readers[j][0]].op)) j = readers[j][0];
      const permuted = readers[j].length === 1 && nodes[readers[j][0]].op === "linear";
      const nchw = a.order === "nchw" && !permuted;
      fn = (v) => tf.reshape(nchw ? tf.transpose(v.get(src), [0, 3, 1, 2]) : v.get(src), [1, -1]);
    } else if (nd.op === "linear") {
      const nin = a.in, nout = a.out;
      const w = t("weight");
      // The input's NCHW index of each NHWC position when it is a PyTorch-order flatten
      // (possibly behind Dropout/Identity nodes, as in AlexNet's classifier).
      // (the same single-reader walk as the flatten step's, backwards).
      let fl = nodes[byName.get(src)];
      while (fl && ["dropout", "identity"].includes(fl.op) && readers[byName.get(fl.name)].length === 1) fl = nodes[byName.get(fl.inputs[0])];
      let perm = null;
      if (fl && fl.op === "flatten" && fl.args.order === "nchw" && readers[byName.get(fl.name)].length === 1) {
        const [c, h, ww] = shapes.get(fl.inputs[0]);
        perm = new Int32Array(nin);
        for (let y = 0; y < h; y++) for (let xx = 0; xx < ww; xx++) for (let ch = 0; ch < c; ch++) perm[(y * ww + xx) * c + ch] = (ch * h + y) * ww + xx;
      }
      // W^T (IN x OUT), built in JS: tfjs-backend-wasm 4.22's fused matMul with transposeB
      // gives wrong logits (caught by the cross-check).
      const wt = new Float32Array(nin * nout);
      for (let o = 0; o < nout; o++) {
        const row = o * nin;
        if (perm) for (let j = 0; j < nin; j++) wt[j * nout + o] = w[row + perm[j]];
        else for (let j = 0; j < nin; j++) wt[j * nout + o] = w[row + j];
      }
      const wT = tf.tensor2d(wt, [nin, nout]);
      const bias = a.bias ? tf.tensor1d(t("bias")) : undefined;
      const act = onlyReader(i, ["relu"]);
      if (act >= 0) members.push(act);
      fn = (v) => tf.fused.matMul({ a: tf.reshape(v.get(src), [1, nin]), b: wT, bias, activation: act >= 0 ? "relu" : "linear" });
    } else if (nd.op === "dropout" || nd.op === "identity") {
      fn = (v) => v.get(src);
    } else {
      throw new Error(`tfjs: op ${nd.op}`);
    }
    const shape = nodeShape(nodes, byName, shapes, i, manifest.input);
    for (const j of members) (done.add(j), shapes.set(nodes[j].name, shape));
    steps.push({ out: nodes[members[members.length - 1]].name, fn, members });
  }
  const camName = nodes[cam].name;
  const split = steps.findIndex((st) => st.members.includes(cam));
  if (steps[split].out !== camName) throw new Error(`tfjs: the CAM layer ${camLayer} was fused away`);
  const logitsName = nodes[nodes.length - 1].name;
  const runSteps = (v, from, to) => {
    for (let s = from; s < to; s++) v.set(steps[s].out, steps[s].fn(v));
    return v;
  };
  const features = (input) => {
    const v = runSteps(new Map([["input", input]]), 0, split + 1);
    return { A: v.get(camName), v };
  };
  const head = (ctx, a) => {
    const v = new Map(ctx.v);
    v.set(camName, a);
    return tf.reshape(runSteps(v, split + 1, steps.length).get(logitsName), [1, -1]);
  };
  return tfjsEngine(x, manifest.classes.length, features, head);
}

// tf.maxPool (no padding) whose gradient goes to the first maximum of each window in raster
// order, as PyTorch's (and camscope's). tfjs-backend-wasm 4.22's MaxPoolGrad does not: a
// window whose maximum is <= 0 (all ReLU zeros) sends its gradient to element 0 of the tensor
// instead (found by the maps cross-check; the cpu backend is right), which breaks Grad-CAM
// through VGG's and AlexNet's last pools. The gradient here: for each window tap in raster
// order, the outputs whose first maximum it is take dy, scattered back by stride.
function maxPoolFirstMax([kh, kw], [sh, sw]) {
  return tf.customGrad((x, save) => {
    const y = tf.maxPool(x, [kh, kw], [sh, sw], "valid");
    save([x, y]);
    const gradFunc = (dy, [xs, ys]) => {
      const [, H, W, c] = xs.shape;
      const [, oh, ow] = ys.shape;
      let found = tf.zerosLike(ys);
      let dx = tf.zerosLike(xs);
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++) {
          const tap = tf.stridedSlice(xs, [0, ky, kx, 0], [1, ky + sh * (oh - 1) + 1, kx + sw * (ow - 1) + 1, c], [1, sh, sw, 1]);
          const first = tf.mul(tf.cast(tf.equal(tap, ys), "float32"), tf.sub(1, found));
          found = tf.add(found, first);
          // (oh, ow) -> (oh * sh, ow * sw) with the values at multiples of the stride, then
          // shifted by the tap and cut or padded to the input's size.
          const g = tf.reshape(tf.mul(first, dy), [oh, 1, ow, 1, c]);
          let up = tf.reshape(tf.pad(g, [[0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]), [1, oh * sh, ow * sw, c]);
          up = tf.pad(up, [[0, 0], [ky, Math.max(0, H - ky - oh * sh)], [kx, Math.max(0, W - kx - ow * sw)], [0, 0]]);
          dx = tf.add(dx, tf.slice(up, [0, 0, 0, 0], [1, H, W, c]));
        }
      return dx;
    };
    return { value: y, gradFunc };
  });
}

// The (C, H, W) output shape of node i from its inputs' (PyTorch's rules), for flatten.
function nodeShape(nodes, byName, shapes, i, input) {
  const nd = nodes[i];
  const a = nd.args;
  const ins = nd.inputs.map((n) => (n === "input" ? input : shapes.get(n)));
  const [c, h, w] = ins[0];
  const win = (n, k, s, p0, p1, d) => Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;
  switch (nd.op) {
    case "conv":
      return [a.cout, win(h, a.k[0], a.s[0], a.p[0], a.p[2], a.d[0]), win(w, a.k[1], a.s[1], a.p[1], a.p[3], a.d[1])];
    case "maxpool":
    case "avgpool": {
      const s = a.s ?? a.k;
      return [c, win(h, a.k[0], s[0], a.p[0], a.p[2], 1), win(w, a.k[1], s[1], a.p[1], a.p[3], 1)];
    }
    case "adaptiveavgpool":
      return [c, a.out[0], a.out[1]];
    case "concat":
      return [ins.reduce((acc, s) => acc + s[0], 0), h, w];
    case "flatten":
      return [c * h * w, 1, 1];
    case "linear":
      return [a.out, 1, 1];
    default:
      return [c, h, w];
  }
}

// ---------------------------------------------------------------------------------------
// The run: set up, cross-check against camscope, warm up, then `reps` interleaved rounds.

export async function runAll({ createCamscope, csw, onnx, manifest, bin, rgba, camLayer, reps, warmup, log, threads = 1 }) {
  const res = { checks: {}, timings: {} };
  const x = inputChw(rgba, manifest);
  const cs = await setupCamscope(createCamscope, csw, rgba, camLayer);
  res.firstMapMs = cs.firstMapMs;
  res.camscopeSimd = cs.simd;
  const refLogits = cs.logits();
  const refMaps = cs.maps();
  res.logits = refLogits;
  const engines = [cs];
  try {
    const o = await setupOrt(onnx, x, threads);
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
      if (e.rawMaps) await tm(`${e.name}.raw`, e.rawMaps);
      if (e.switchClass) await tm(`${e.name}.switch`, e.switchClass);
    }
  }
  for (const k of Object.keys(t)) res.timings[k] = stats(t[k]);
  return res;
}

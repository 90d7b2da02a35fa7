// Keras semantics from an independent implementation: TensorFlow.js's Keras layers (pure-JS
// CPU backend). Builds the test's VGG-shaped models with seeded random weights and writes,
// per case, what tests/keras/keras_test.py turns into Keras files and compares camscope to:
//
//   node tests/keras/reference.mjs OUT [CASE...]
//
// OUT/CASE/model.json     the model's Keras config (TF.js's toJSON: Keras 2's JSON)
// OUT/CASE/weights.json   every layer's variables (nested path, class, trainable), w/I.npy
// OUT/CASE/input.npy      the input, H x W x 3 (read from OUT/CASE/given_input.npy if there)
// OUT/CASE/logits.npy     the class scores before the final softmax (a single sigmoid output z
//                         as two classes -z/2, z/2, camscope's convention)
// OUT/CASE/values/        every layer's output (NHWC), "NAME/preact" of a Conv2D / Dense with
//                         a fused activation, by names.json
// OUT/CASE/grad__L.npy    d logit_c / d output of L for every class (K x H x W x C), tf.grad
// OUT/CASE/{gradcam,layercam}__L.npy   the maps (K x H x W) from those
//
// The layers are run one by one from the model's config (nested models expanded) so that any
// layer's output can be replaced by a variable for tf.grad; that executor is checked here
// against TF.js's own model.predict.
import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readNpy } from "../npy.mjs";

// --- small helpers --------------------------------------------------------------------

// Writes a float32 .npy (C order).
function writeNpy(path, data, shape) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const head = Buffer.alloc(10);
  head.write("\x93NUMPY", 0, "latin1");
  head.writeUInt8(1, 6);
  head.writeUInt8(0, 7);
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(new Float32Array(data).buffer);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, "latin1"), body]));
}

// Seeded uniform [0, 1) numbers (mulberry32) and normals (Box-Muller).
function rng(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

const L = tf.layers;

// --- the models ---------------------------------------------------------------------------

// keras.applications.VGG16(include_top=False)'s layers (names, 3x3 'same' relu convs, 2x2
// pools), with the given widths, as a functional model named vgg16.
function vggBase(size, widths, { bn = false } = {}) {
  const inp = tf.input({ shape: [size, size, 3], name: "input_1" });
  let x = inp;
  const convs = [2, 2, 3, 3, 3];
  for (let b = 0; b < 5; b++) {
    for (let c = 1; c <= convs[b]; c++) {
      const name = `block${b + 1}_conv${c}`;
      if (bn && c === 1) {
        // conv (no bias) -> BatchNormalization -> relu, as in VGG16-BN-like bases
        x = L.conv2d({ filters: widths[b], kernelSize: 3, padding: "same", useBias: false, name }).apply(x);
        x = L.batchNormalization({ name: `block${b + 1}_bn${c}`, epsilon: b === 1 ? 1e-5 : 1e-3 }).apply(x);
        x = L.activation({ activation: "relu", name: `block${b + 1}_relu${c}` }).apply(x);
      } else {
        x = L.conv2d({ filters: widths[b], kernelSize: 3, padding: "same", activation: "relu", name }).apply(x);
      }
    }
    x = L.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x);
  }
  return tf.model({ inputs: inp, outputs: x, name: "vgg16" });
}

// The lab's head on a base, as a Sequential model.
function labSequential(base, hidden) {
  return tf.sequential({
    name: "sequential",
    layers: [
      base,
      L.flatten({ name: "flatten" }),
      L.dense({ units: hidden, activation: "relu", name: "dense" }),
      L.dropout({ rate: 0.5, name: "dropout" }),
      L.dense({ units: 2, activation: "softmax", name: "dense_1" }),
    ],
  });
}

const CASES = {
  // Sequential: a Rescaling of the picture (the exporter folds it into the preprocessing),
  // 'same' / 'valid', dilation, stride-2 'same' (asymmetric padding), a conv without bias, a
  // 'same' max-pool, Flatten + Dense, and no final activation (3 raw logits).
  sequential: {
    seed: 1,
    size: 32,
    layers: ["c4", "c4/preact", "p2", "c2"],
    graphInput: "rescale",
    build: () =>
      tf.sequential({
        name: "seq_vgg",
        layers: [
          L.rescaling({ inputShape: [32, 32, 3], scale: 1 / 127.5, offset: -1, name: "rescale" }),
          L.conv2d({ filters: 8, kernelSize: 3, padding: "same", activation: "relu", name: "c1" }),
          L.conv2d({ filters: 8, kernelSize: 3, padding: "same", dilationRate: 2, activation: "relu", name: "c2" }),
          L.maxPooling2d({ poolSize: 2, name: "p1" }),
          L.conv2d({ filters: 16, kernelSize: 3, padding: "valid", activation: "relu", name: "c3" }),
          L.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: "same", useBias: false, activation: "relu", name: "c4" }),
          L.maxPooling2d({ poolSize: 2, strides: 2, padding: "same", name: "p2" }),
          L.flatten({ name: "flatten" }),
          L.dense({ units: 24, activation: "relu", name: "fc1" }),
          L.dropout({ rate: 0.3, name: "drop" }),
          L.dense({ units: 3, name: "logits" }),
        ],
      }),
  },
  // Functional: stride-2 'same' conv on an even size (pads 0 before, 1 after), separate
  // Activation layers, a 'same' average pool (padding 0 before, 1 after, pads left out of the
  // average), Add, a fused relu6, Concatenate, a 'valid' average pool, ReLU(max_value), a Dense on a
  // H x W x C tensor, GlobalMaxPooling2D, Dense(2, softmax). TF.js 4.22's AvgPool gradient
  // divides by the whole window at 'same' borders, unlike its own forward pass and
  // TensorFlow's gradient, so no compared layer lies before the 'same' average pool (its
  // forward pass is checked by every layer after it).
  functional: {
    seed: 2,
    size: 32,
    inputScale: 6, // so that the relu6 and the ReLU(max_value=1.5) clip somewhere
    layers: ["merge", "cat", "capped", "conv_a"],
    build: () => {
      const inp = tf.input({ shape: [32, 32, 3], name: "image" });
      let x = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: "same", name: "stem" }).apply(inp);
      x = L.activation({ activation: "relu", name: "stem_relu" }).apply(x);
      x = L.averagePooling2d({ poolSize: 2, strides: 1, padding: "same", name: "avg_same" }).apply(x);
      const a = L.conv2d({ filters: 8, kernelSize: 3, padding: "same", activation: "relu", name: "conv_a" }).apply(x);
      const merged = L.add({ name: "merge" }).apply([x, a]);
      const b = L.conv2d({ filters: 4, kernelSize: 1, activation: "relu6", name: "conv_b" }).apply(merged);
      let y = L.concatenate({ name: "cat" }).apply([merged, b]);
      y = L.averagePooling2d({ poolSize: 3, strides: 2, padding: "valid", name: "avg" }).apply(y);
      y = L.conv2d({ filters: 12, kernelSize: 2, padding: "valid", name: "conv_c" }).apply(y);
      y = L.reLU({ maxValue: 1.5, name: "capped" }).apply(y);
      y = L.dense({ units: 10, activation: "relu", name: "pointwise" }).apply(y);
      y = L.globalMaxPooling2d({ name: "gmp" }).apply(y);
      const out = L.dense({ units: 2, activation: "softmax", name: "predictions" }).apply(y);
      return tf.model({ inputs: inp, outputs: out, name: "functional_vgg" });
    },
  },
  // A VGG16-shaped functional base (VGG16's layer names, reduced widths) nested in the lab's
  // Sequential model with its own 2-class softmax head.
  nested_sequential: {
    seed: 3,
    size: 32,
    layers: ["block5_conv3", "vgg16", "block4_conv3", "block5_conv3/preact"],
    build: () => labSequential(vggBase(32, [8, 12, 16, 16, 16]), 16),
  },
  // The same base nested in a functional model with the head.
  nested_functional: {
    seed: 4,
    size: 32,
    layers: ["block5_conv3", "block5_pool", "block3_conv3"],
    build: () => {
      const base = vggBase(32, [8, 12, 16, 16, 16]);
      const inp = tf.input({ shape: [32, 32, 3], name: "input_2" });
      let x = base.apply(inp);
      x = L.flatten({ name: "flatten" }).apply(x);
      x = L.dense({ units: 16, activation: "relu", name: "dense" }).apply(x);
      x = L.dropout({ rate: 0.5, name: "dropout" }).apply(x);
      const out = L.dense({ units: 2, activation: "softmax", name: "dense_1" }).apply(x);
      return tf.model({ inputs: inp, outputs: out, name: "model" });
    },
  },
  // BatchNormalization (center off in one block, scale off in another) inside a nested base,
  // GlobalAveragePooling2D, and a single sigmoid output (two classes -z/2, z/2).
  bn_gap: {
    seed: 5,
    size: 32,
    // Keras's center=False / scale=False here. TF.js 4.22 cannot differentiate through a
    // BatchNormalization built that way (it hands an undefined offset / scale to the gradient
    // tape), so the reference runs these layers with beta 0 / gamma 1 -- what center=False /
    // scale=False compute -- and the Keras file says center / scale off, without that variable.
    switchedOff: { block3_bn1: "beta", block4_bn1: "gamma" },
    layers: ["block5_conv3", "block3_bn1", "block4_relu1"],
    build: () =>
      tf.sequential({
        name: "sequential_bn",
        layers: [
          vggBase(32, [8, 8, 12, 12, 16], { bn: true }),
          L.globalAveragePooling2d({ name: "gap" }),
          L.dense({ units: 1, activation: "sigmoid", name: "dense" }),
        ],
      }),
  },
  // The lab's model: full-width VGG16 base (keras.applications.VGG16(include_top=False)'s
  // layers and widths) + Flatten, Dense(256, relu), Dropout(0.5), Dense(2, softmax), on a
  // small input; its input is the Keras-preprocessed picture keras_test.py gives.
  lab_vgg16: {
    seed: 6,
    noPredict: true,
    size: 64,
    layers: ["block5_conv3", "block5_pool", "block4_conv3"],
    build: () => labSequential(vggBase(64, [64, 128, 256, 512, 512]), 256),
  },
};

// --- weights -------------------------------------------------------------------------------

// Leaf layers of a model, depth first, with their nested path.
function leaves(model, path = []) {
  const out = [];
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) out.push(...leaves(layer, [...path, layer.name]));
    else out.push({ layer, path: [...path, layer.name] });
  }
  return out;
}

// A variable's Keras name ("kernel"; TF.js numbers repeated names: "kernel_1").
function varName(w) {
  return w.name.split("/").pop().replace(/_\d+$/, "");
}

// He-normal kernels, small biases, random BatchNorm statistics.
function randomise(model, seed) {
  const r = rng(seed);
  for (const { layer } of leaves(model)) {
    const values = layer.weights.map((w) => {
      const kind = varName(w);
      const n = w.shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(n);
      const fanIn = w.shape.length > 1 ? n / w.shape[w.shape.length - 1] : 1;
      for (let i = 0; i < n; i++) {
        if (kind === "kernel") v[i] = r.normal() * Math.sqrt(2 / fanIn);
        else if (kind === "bias") v[i] = (r.uniform() - 0.5) * 0.2;
        else if (kind === "gamma") v[i] = 0.5 + r.uniform();
        else if (kind === "beta") v[i] = r.normal() * 0.2;
        else if (kind === "moving_mean") v[i] = r.normal() * 0.3;
        else if (kind === "moving_variance") v[i] = 0.5 + 1.5 * r.uniform();
        else throw new Error(`unknown variable ${w.name}`);
      }
      return tf.tensor(v, w.shape);
    });
    if (values.length) layer.setWeights(values);
  }
}

// --- the executor ------------------------------------------------------------------------------

// The model as steps in execution order (nested models expanded): {name, layer, inputs,
// act} for a layer, {name, inputs} for a nested model's name (its output).
function stepsOf(model) {
  const steps = [];
  const expand = (m, entry, inName) => {
    const cfg = entry.config;
    if (entry.class_name === "Sequential") {
      let prev = inName;
      for (const sub of cfg.layers) {
        if (sub.class_name === "InputLayer") continue;
        prev = add(m.getLayer(sub.config.name), sub, [prev]);
      }
      return prev;
    }
    const names = new Map();
    for (const [n] of cfg.input_layers) names.set(n, inName);
    for (const sub of cfg.layers) {
      if (sub.class_name === "InputLayer") continue;
      if (sub.inbound_nodes.length !== 1) throw new Error(`${sub.name} is called ${sub.inbound_nodes.length} times`);
      const ins = sub.inbound_nodes[0].map((ref) => names.get(ref[0]));
      names.set(sub.name, add(m.getLayer(sub.name), sub, ins));
    }
    return names.get(cfg.output_layers[0][0]);
  };
  const add = (layer, entry, ins) => {
    const name = layer.name;
    if (entry.class_name === "Sequential" || entry.class_name === "Model") {
      const out = expand(layer, entry, ins[0]);
      steps.push({ name, inputs: [out] });
    } else {
      const act = layer.getConfig().activation ?? null;
      steps.push({ name, layer, inputs: ins, act });
    }
    return name;
  };
  const out = expand(model, model.toJSON(null, false), "input");
  if (new Set(steps.map((s) => s.name)).size !== steps.length) throw new Error("layer names are not unique");
  return { steps, out };
}

// The same layer with a linear activation (its pre-activation output), same weights.
function linearTwin(layer) {
  const twin = new layer.constructor({ ...layer.getConfig(), activation: "linear", name: `${layer.name}_linear` });
  return twin;
}
function applyTwin(s, ins) {
  if (!s.twin) {
    s.twin = linearTwin(s.layer);
    s.twin.build(ins[0].shape);
    s.twin.built = true;
    s.twin.setWeights(s.layer.getWeights());
  }
  return s.twin.apply(ins[0]);
}

const FINAL = new Set(["softmax", "sigmoid"]);
const ACT = { relu: (t) => tf.relu(t), relu6: (t) => tf.relu6(t) };

// A Conv2D / Dense with a fused (non-final) activation: two camscope nodes.
function fused(s) {
  return s.layer && s.act && s.act !== "linear" && !FINAL.has(s.act) && s.layer.getClassName() !== "Activation";
}

// Runs the steps on x; `from`/`value` replace one output ("NAME" or "NAME/preact") by a given
// tensor, and then only the steps that depend on it run (the others come from `known`). The
// last step gives the logits (its softmax / sigmoid left out). Returns name -> tensor.
// Under tf.grad (`from` set) fused layers run as themselves: TF.js then computes conv, bias
// and activation as separate ops, whereas its fused linear conv's gradient also computes the
// filter's gradient, which its CPU backend takes minutes for at VGG16's widths.
function forward(g, x, { from = null, value = null, known = null } = {}) {
  const v = new Map(known ?? []);
  v.set("input", x);
  const fromLayer = from && from.endsWith("/preact") ? from.slice(0, -"/preact".length) : from;
  const live = new Set(fromLayer ? [fromLayer] : []);
  for (const s of g.steps) {
    if (fromLayer) {
      if (s.name !== fromLayer && !s.inputs.some((n) => live.has(n))) continue;
      live.add(s.name);
    }
    if (s.name === fromLayer) {
      v.set(s.name, from === fromLayer ? value : ACT[s.act](value));
      continue;
    }
    const ins = s.inputs.map((n) => v.get(n));
    let y;
    if (!s.layer) y = ins[0];
    else if (s.name === g.out && s.layer.getClassName() === "Activation" && FINAL.has(s.act)) y = ins[0];
    else if (s.name === g.out && FINAL.has(s.act)) y = applyTwin(s, ins);
    else if (fused(s) && !from) {
      // The layer's own computation split in two, so that "NAME/preact" is kept: its
      // linear twin, then the activation (model.predict checks the composition).
      const pre = applyTwin(s, ins);
      v.set(`${s.name}/preact`, pre);
      y = ACT[s.act](pre);
    } else y = s.layer.apply(ins.length === 1 ? ins[0] : ins);
    v.set(s.name, y);
  }
  const last = g.steps[g.steps.length - 1];
  let logits = v.get(g.out);
  if (last.act === "sigmoid") logits = tf.concat([tf.mul(logits, -0.5), tf.mul(logits, 0.5)], 1);
  v.set("logits", logits);
  return v;
}

// --- one case ----------------------------------------------------------------------------------

function relErr(a, b) {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m > 0 ? d / m : d;
}

function runCase(out, name, spec) {
  const dir = join(out, name);
  mkdirSync(join(dir, "values"), { recursive: true });
  mkdirSync(join(dir, "w"), { recursive: true });
  const model = spec.build();
  randomise(model, spec.seed);
  const off = spec.switchedOff ?? {};
  for (const [lname, v] of Object.entries(off)) {
    const layer = leaves(model).find((l) => l.layer.name === lname).layer;
    layer.setWeights(layer.weights.map((w) => (varName(w) === v ? tf.fill(w.shape, v === "gamma" ? 1 : 0) : w.read())));
  }
  const config = model.toJSON(null, false);
  const switchOff = (entry) => {
    if (off[entry.config?.name]) entry.config[off[entry.config.name] === "beta" ? "center" : "scale"] = false;
    for (const sub of entry.config?.layers ?? []) switchOff(sub);
  };
  switchOff(config);
  writeFileSync(join(dir, "model.json"), JSON.stringify(config));
  // Variables, layer by layer.
  const manifest = [];
  let count = 0;
  for (const { layer, path } of leaves(model)) {
    const vars = layer.weights.filter((w) => off[layer.name] !== varName(w)).map((w) => {
      const file = `w/${count++}.npy`;
      writeNpy(join(dir, file), w.read().dataSync(), w.shape);
      return { name: varName(w), file, trainable: w.trainable, shape: w.shape };
    });
    manifest.push({ path, class_name: layer.getClassName(), vars });
  }
  writeFileSync(join(dir, "weights.json"), JSON.stringify(manifest));

  // The input: given (a Keras-preprocessed picture) or seeded normal values.
  const given = join(dir, "given_input.npy");
  let x;
  if (existsSync(given)) {
    const a = readNpy(given);
    x = tf.tensor(a.data, [1, ...a.shape]);
  } else {
    const r = rng(spec.seed + 100);
    const n = spec.size * spec.size * 3;
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = spec.graphInput ? Math.floor(256 * r.uniform()) : (spec.inputScale ?? 1) * r.normal();
    x = tf.tensor(d, [1, spec.size, spec.size, 3]);
  }
  writeNpy(join(dir, "input.npy"), x.dataSync(), x.shape.slice(1));

  const g = stepsOf(model);
  let t0 = Date.now();
  const vals = forward(g, x);
  const times = [`forward ${Date.now() - t0} ms`];
  t0 = Date.now();
  const logits = vals.get("logits");
  // The executor against TF.js's own graph execution (softmax / sigmoid applied).
  const last = g.steps[g.steps.length - 1];
  const probs = last.act === "sigmoid" ? tf.sigmoid(tf.mul(logits.slice([0, 1], [1, 1]), 2)) :
    last.act === "softmax" ? tf.softmax(logits) : logits;
  // (Not for the full-width VGG16: TF.js's CPU backend takes seconds for its forward pass,
  // and the nested cases run the same executor code.)
  const predicted = spec.noPredict ? probs : model.predict(x);
  const selfErr = relErr(probs.dataSync(), predicted.dataSync());
  times.push(`predict ${Date.now() - t0} ms`);
  t0 = Date.now();
  if (!(selfErr < 1e-5)) throw new Error(`${name}: the executor differs from model.predict (${selfErr})`);
  writeNpy(join(dir, "logits.npy"), logits.dataSync(), [logits.shape[1]]);

  // Every output, and the pre-activation outputs of fused layers.
  const names = {};
  let k = 0;
  const save = (n, t) => {
    const file = `values/${k++}.npy`;
    writeNpy(join(dir, file), t.dataSync(), t.shape.slice(1));
    names[n] = file;
  };
  for (const s of g.steps) {
    if (fused(s)) save(`${s.name}/preact`, vals.get(`${s.name}/preact`));
    if (s.name !== g.out) save(s.name, vals.get(s.name));
  }
  writeFileSync(join(dir, "names.json"), JSON.stringify(names));

  // Gradients of every logit at the compared layers (tf.grad), and the two maps.
  const classes = logits.shape[1];
  for (const layer of spec.layers) {
    const a = vals.get(layer);
    if (!a) throw new Error(`${name}: no layer ${layer}`);
    const tl = Date.now();
    const f = (t) => forward(g, x, { from: layer, value: t, known: vals }).get("logits");
    const grad = tf.grad(f);
    const grads = [];
    const gcam = [];
    const lcam = [];
    for (let c = 0; c < classes; c++) {
      const dy = tf.oneHot([c], classes).toFloat();
      const gc = grad(a, dy);
      grads.push(gc);
      const w = tf.mean(gc, [1, 2], true);
      gcam.push(tf.relu(tf.sum(tf.mul(w, a), 3)));
      lcam.push(tf.relu(tf.sum(tf.mul(tf.relu(gc), a), 3)));
    }
    times.push(`${layer} ${Date.now() - tl} ms`);
    const file = layer.replaceAll("/", "~");
    const gs = tf.concat(grads, 0);
    writeNpy(join(dir, `grad__${file}.npy`), gs.dataSync(), gs.shape);
    for (const [method, maps] of [["gradcam", gcam], ["layercam", lcam]]) {
      const m = tf.concat(maps, 0);
      writeNpy(join(dir, `${method}__${file}.npy`), m.dataSync(), m.shape);
    }
  }
  times.push(`gradients ${Date.now() - t0} ms`);
  writeFileSync(join(dir, "layers.json"), JSON.stringify(spec.layers));
  // The camscope graph's input: the picture, or what a Rescaling on it (folded into the
  // preprocessing by the exporter) makes of it.
  writeNpy(join(dir, "graph_input.npy"), (spec.graphInput ? vals.get(spec.graphInput) : x).dataSync(), x.shape.slice(1));
  console.log(`${name}: ${g.steps.length} steps, ${classes} classes, executor vs model.predict ` +
    `${spec.noPredict ? "not run" : selfErr.toExponential(1)}; ${times.join(", ")}`);
}

async function main() {
  const [out, ...only] = process.argv.slice(2);
  if (!out) {
    console.error("usage: node tests/keras/reference.mjs OUT [CASE...]");
    process.exit(2);
  }
  await tf.setBackend("cpu");
  for (const [name, spec] of Object.entries(CASES)) {
    if (only.length && !only.includes(name)) continue;
    const t0 = Date.now();
    tf.tidy(() => runCase(out, name, spec));
    console.log(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});

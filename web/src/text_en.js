// The page's words in English (text_zh.js: the same exports in Chinese; text.js hands out the
// current language's): what depends on what is shown (colour map, normalisation, the model's
// own class names, warnings about a picture, export labels, names for screen readers) and the
// views' fixed words. Plain functions of their inputs: nothing here reads the page state or
// touches the DOM.
import { fmt as number } from "./draw.js";
import { percent as percentText } from "./dom.js";
import { SANITY_STILL, rhoText, againstRandom } from "./text_common.js";

// How each colour map shows "no evidence" (low) and "strong evidence" (high), in words.
export const CMAP_WORDS = Object.freeze({
  viridis: { low: "dark purple", high: "yellow", name: "Viridis" },
  gray: { low: "black", high: "white", name: "Gray" },
  turbo: { low: "dark blue", high: "dark red", name: "Turbo" },
  jet: { low: "dark blue", high: "dark red", name: "Jet" },
});

export function cmapWords(cmap) {
  return CMAP_WORDS[cmap] || { low: "the low end of the colour scale", high: "its high end", name: cmap };
}

// "cat and dog", "cat, dog and bird"; a long list is cut after a few names.
export function classList(names) {
  if (names.length === 0) return "no classes";
  if (names.length > 6) return `${names.length} classes (${names.slice(0, 4).join(", ")}, …)`;
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

// Said beside every prediction: the network cannot answer "none of these".
export function knowsOnly(names) {
  const some = names.length === 2 ? "one of the two" : "one of them";
  return `This network knows only ${classList(names)}: it always picks ${some}, even for a picture that shows none of them.`;
}

// The sentence under the maps: what the colours mean, in the colours of the map in use.
export function evidenceSentence(cmap) {
  const w = cmapWords(cmap);
  return `${capital(w.high)} marks the parts of the picture that raised the class's score; ${w.low} marks none.`;
}

// What the normalisation does, for the note under the maps.
export function normNote(norm) {
  if (norm === "map") return "Each map is scaled to its own peak: compare where, not how strongly (a weak class's caption says how much it is scaled up).";
  if (norm === "shared") return "The classes of a method share one scale: the weaker class looks weaker.";
  return "Raw values, one scale per method (top: the stronger class's peak, or “Bar top” to compare pictures).";
}

// The normalisation in a few words, for labels and export subtitles.
export function normShort(norm) {
  return { map: "per map (each map to its own peak)", shared: "shared by the classes of a method", raw: "raw values" }[norm] || norm;
}

// A map's caption: its peak and, where the colours hide it, how it compares with the
// strongest class of the same method. peak/strongest: raw values; norm as in state.norm.
export function mapCaption({ empty, peak, strongest, strongestName, norm, isStrongest }) {
  if (empty) return "all zero: no positive evidence";
  let text = `peak ${number(peak)}`;
  if (norm === "raw" || !(strongest > 0) || isStrongest) return text;
  const share = Math.round((100 * peak) / strongest);
  if (norm === "shared") return `${text} · ${share} % of the stronger class`;
  const factor = strongest / peak;
  return `${text} · ${share} % of ${strongestName}'s · colours scaled up ×${factor >= 10 ? Math.round(factor) : factor.toFixed(1)}`;
}

// Legend labels: [low, high] for one method's colour scale.
export function legendEnds(norm, scale) {
  if (norm === "map") return ["0", "each map's peak"];
  return ["0", number(scale)];
}

// Warnings about a picture the network is likely to misread. input: the network's input
// size [c, h, w]; stats: {width, height, originalWidth, originalHeight, flat}.
export function pictureWarnings(p, input) {
  const out = [];
  const w = p.originalWidth || p.width;
  const h = p.originalHeight || p.height;
  const side = Math.min(input[1], input[2]);
  if (Math.max(w, h) < side / 2) {
    out.push(`Very small picture (${w} × ${h} px): the network sees it blown up ${Math.round(side / Math.max(w, h))}× to ${input[2]} × ${input[1]}, so there is little detail to go on.`);
  }
  const ratio = Math.max(w, h) / Math.min(w, h);
  if (ratio >= 2.5) {
    out.push(`Very ${w > h ? "wide" : "tall"} picture (${ratio.toFixed(1)} : 1): the network squeezes it into a ${input[2]} × ${input[1]} square, so shapes look distorted to it.`);
  }
  if (p.flat) out.push("The picture is almost one plain colour: there is nothing to recognise, yet the network still picks a class.");
  return out;
}

// Screen-reader text for a map drawn on a picture.
export function mapAlt({ method, className, picture, peak, empty }) {
  return `${method} map for ${className} on ${picture}: ${empty ? "all zero, no positive evidence" : `peak ${number(peak)}`}`;
}

// Screen-reader announcement of a new prediction.
export function predictionAnnouncement(picture, names, prediction) {
  const p = prediction.probabilities;
  const rest = names.map((n, c) => (c === prediction.predicted ? null : `${n} ${percentText(p[c])}`)).filter(Boolean);
  return `${picture}: ${names[prediction.predicted]}, ${percentText(p[prediction.predicted])}${rest.length <= 3 && rest.length ? ` (${rest.join(", ")})` : ""}.`;
}

// Name of an export button (distinct for every button; starts with its visible text).
export function saveName(what) {
  return `Save PNG: ${what}`;
}

function capital(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---- methods (issue 9): the pickers, long jobs, pictures

// The method groups of the pickers (state.js's methodGroup), in their order.
export const METHOD_GROUPS = Object.freeze([
  ["gradient", "Gradient methods"],
  ["nogradient", "Without gradients"],
  ["against", "Against the class (negative evidence)"],
  ["picture", "Pictures at the input's resolution"],
]);

// A short note beside a method in the picker (what it costs or how it differs), or "".
export function methodNote(name, { channels = 0, samples = 0 } = {}) {
  if (name === "scorecam") return `extra passes: one forward pass per channel of the layer${channels ? ` (${channels})` : ""}`;
  if (name === "smoothgrad") return `extra passes: a forward and a backward pass per noisy copy${samples ? ` (${samples})` : ""}`;
  if (name === "eigencam") return "no gradient: the same map for every class";
  if (name === "guidedgradcam") return "guided backpropagation × Grad-CAM at the layer";
  if (name === "gradcam_neg" || name === "layercam_neg") return "where the evidence argues against the class";
  return "";
}

// The methods picker's button ("Methods (2)") and its tooltip naming them.
export function methodsSummary(titles) {
  return `Methods (${titles.length})`;
}

export function methodsTooltip(titles) {
  return `Methods shown: ${titles.join(", ")}`;
}

export const METHOD_PICKER = Object.freeze({
  legend: "Methods shown in Explain and as Compare's columns",
  samples: "noisy copies",
  noise: "noise (share of the input's range)",
  close: "Done",
  keepOne: "At least one method stays chosen.",
});

// A long job's progress, in words: "Score-CAM: 48 of 256 masked forward passes".
export function progressText(name, title, done, total) {
  const what = name === "scorecam" ? "masked forward passes" : "noisy copies";
  return `${title}: ${done} of ${total} ${what}`;
}

// What a long method's cell says while it waits for its passes.
export function longWaitNote(name, { channels = 0, samples = 0 } = {}) {
  if (name === "scorecam") return ["Score-CAM is running", `${channels} forward passes, one per channel`];
  return ["SmoothGrad is running", `${samples} forward and backward passes`];
}

// A cell whose result has not arrived yet.
export const WAITING = Object.freeze(["computing…", ""]);

// Caption of a picture method's image: its largest absolute gradient.
export function gradientCaption(peak) {
  return peak > 0 ? `max |gradient| ${number(peak)}` : "all zero: no gradient reaches the picture";
}

// How the RGB gradient image reads (its legend, one line).
export function rgbLegend(title) {
  return `${Array.isArray(title) ? title.join(", ") : title}: grey is the average gradient; a colour brighter than grey: more of it there raises the class score, darker: lowers it`;
}

// Screen-reader text of a picture method's image.
export function gradientAlt({ method, className, picture, peak }) {
  return `${method} for ${className} on ${picture}, at the picture's size: the gradient as an RGB image, max |gradient| ${number(peak)}`;
}

// The fused view: title, caption words, controls.
export const FUSE_TEXT = Object.freeze({
  summary: "Fuse layers",
  legend: "Layers fused into one map (two or more)",
  rule: "Combine",
  method: "Method",
  rules: { max: "element-wise maximum", mean: "mean" },
  note: "Layer-CAM paper: each layer's map over its own peak, shallow layers scaled by tanh(2·M), then combined at the input's size.",
});

// The fused row's title: "Layer-CAM, fused (max)".
export function fusedTitle(methodTitle, rule) {
  return `${methodTitle}, fused (${rule})`;
}

// ---- layers (issue 8): the picker's groups and labels, and how to choose

export const LAYER_GROUPS = Object.freeze({
  suggested: "Suggested",
  blocks: "Blocks (module outputs)",
  convs: "Convolutions",
  pools: "Pools",
});

// An option of the layer picker: "layer4 = layer4.1 (layer4.1.relu#2) · default · 7×7 · 512 ch"
// (the name people know, its other module names, the node).
export function layerOption(choice) {
  const roles = { default: "default", lastConv: "last conv", lastPool: "last pool" };
  const what = choice.role.length
    ? choice.role.map((r) => roles[r]).join(", ")
    : { suggested: "", blocks: "block", convs: "conv", pools: "pool" }[choice.group];
  const node = choice.name !== choice.node ? ` (${choice.node})` : "";
  const also = (choice.aliases || []).map((a) => ` = ${a}`).join("");
  return `${choice.name}${also}${node} · ${what} · ${choice.shape[1]}×${choice.shape[2]} · ${choice.shape[0]} ch`;
}

// The note on how to choose a layer.
export function layerNote(name, shape, isDefault) {
  const start = isDefault ? `Layer ${name} (${shape[1]}×${shape[2]}) is where camscope starts: the last layer with a grid. ` : `Layer ${name} (${shape[1]}×${shape[2]}). `;
  return `${start}Deeper layers see whole objects on a coarse grid; earlier ones see edges and textures in finer detail, and their maps are noisier. [ ] step through the layers.`;
}

// The hint beside the layer's name in Explain (layerNote is its tooltip).
export function layerHint(isDefault) {
  return isDefault ? "the last layer with a grid; [ ] for others" : "deeper: whole objects, coarser; earlier: finer detail";
}

// ---- feature maps in pages

export function channelPage(first, last, total) {
  return `channels ${first}–${last} of ${total} in this order`;
}

export const PAGE_BUTTONS = Object.freeze({ previous: "◀ previous", next: "next ▶" });

// The order picker's option for a method's channel weights.
export function weightOrder(title, className) {
  return `${title} weight for “${className}”, largest first`;
}

// Said when a dropped weights file has loaded.
export function modelLoaded(file, info, layer, shape) {
  return `Now explaining “${file}”: ${info.name}, classes ${classList(info.classes)}, starting at layer ${layer} (${shape[1]}×${shape[2]}).`;
}

// ---- "How it works": the steps for the other methods (issue 9), with this picture's numbers

export const TEACH_STEPS = Object.freeze({
  gradcampp: "Grad-CAM++",
  eigencam: "Eigen-CAM",
  scorecam: "Score-CAM",
  guided: "Guided Grad-CAM",
  all: "Every method",
});

export const TEACH = Object.freeze({
  gradcamppIntro:
    "Grad-CAM++ does not give every position the same say: it weighs the positive gradient at each position by a factor α made of the second and third powers of the gradient (as pytorch-grad-cam computes it), so that several separate parts of the object all count.",
  gradcamppNumbers: ({ cname, layer, top, gcTop, positive, gcPositive, C, peak, gcPeak }) =>
    `For “${cname}” at ${layer}: the strongest channel is k = ${top.k} (w = ${number(top.w)}; its Grad-CAM weight is ${number(top.gc)}); Grad-CAM's strongest is k = ${gcTop}. ${positive} of ${C} channels have a positive Grad-CAM++ weight (Grad-CAM: ${gcPositive}). Peak of the map: ${number(peak)} (Grad-CAM: ${number(gcPeak)}).`,
  eigencamIntro: ({ positions, C }) =>
    `Eigen-CAM uses no gradient at all. It reads the layer's activations as a table of ${positions} positions × ${C} channels, finds the direction in which the positions differ most — the first principal component, by a singular value decomposition — and maps each position's projection on it.`,
  eigencamSign: "An SVD leaves the direction's sign open: camscope turns it so that the map goes with the layer's mean activation, i.e. it points to where the layer is most active.",
  eigencamNumbers: ({ names, peaks, layer }) =>
    `Without a gradient the map cannot depend on the class: at ${layer} its peak is ${names.map((n, c) => `${number(peaks[c])} for ${n}`).join(", ")} — the same map. It shows what the layer finds most distinctive in this picture, whichever class that serves.`,
  scorecamIntro:
    "Score-CAM asks the network itself. Each channel's map, stretched to the picture and scaled to [0, 1], masks the picture; the masked picture goes through the whole network again, and the class's probability on it is that channel's weight.",
  scorecamCost: ({ C }) => `That is one forward pass per channel: ${C} here, run in batches, with no gradient.`,
  scorecamNumbers: ({ cname, C, seconds, top }) =>
    `The ${C} masked pictures took ${seconds} s. The channels whose masked picture makes the network most sure of “${cname}”: ${top.map((t) => `k = ${t.k} (${(100 * t.w).toFixed(1)} %)`).join(", ")}.`,
  scorecamWait: "Running the masked forward passes…",
  scorecamRun: ({ C }) => `Run Score-CAM: ${C} forward passes`,
  scorecamNotRun: "Score-CAM has not run for this picture and layer yet: the picture alone",
  guidedIntro:
    "Grad-CAM is coarse: one value per cell of the layer's grid. Guided backpropagation follows the gradient back to the pixels, letting it through a ReLU only where both the ReLU's input and the gradient are positive: a picture as sharp as the input, but hardly different between classes.",
  guidedProduct: "Guided Grad-CAM multiplies the two: sharp like the guided gradient, and only where Grad-CAM finds the class.",
  guidedNumbers: ({ cname, guidedPeak, productPeak, gcPeak, grid, input }) =>
    `For “${cname}”: largest |gradient| ${number(guidedPeak)} (guided backpropagation) and ${number(productPeak)} (Guided Grad-CAM); Grad-CAM's ${grid} map (peak ${number(gcPeak)}) is stretched to the input's ${input} before the product. The pictures are drawn at your picture's own size.`,
  guidedWait: "Running the guided backward pass…",
  allIntro: ({ cname, layer }) => `Every method camscope has, on this picture, for “${cname}” at ${layer}. Choose which ones Explain shows with “Methods”.`,
  allHead: ["method", "formula", "peak"],
  notComputed: "in Explain",
});

// Captions of the new steps' pictures.
export const TEACH_CAPTIONS = Object.freeze({
  guided: "guided backpropagation",
  gradcamUp: "Grad-CAM, stretched to the input",
  product: "Guided Grad-CAM",
  masked: "the picture the channels' masks will cover",
});

// Labels of the new steps' pictures and charts (any method), and of other views' new parts.
export const LABELS = Object.freeze({
  emptyMap: ["empty map", "no positive evidence at this layer"],
  mapAlt: (title, cname, picture, peak) => `${title} map for ${cname} on ${picture}, peak ${number(peak)}`,
  rawAlt: (title, grid, peak) => `the raw ${grid} ${title} map, peak ${number(peak)}`,
  onPicture: (title) => `${title} on the picture`,
  raw: (grid) => `the raw ${grid} map`,
  everyClass: "every class",
  chartAlt: (title, C, cname) => `${title} weights of the ${C} channels for ${cname}, sorted`,
  chartCaption: (title, cname) => `${title} weights w_k for “${cname}”, largest first`,
  chartTitle: (cname, layer) => `w_k for ${cname} (${layer})`,
  weightFor: (title, cname) => `${title} weight for ${cname}`,
  sortedBy: (title, cname) => `sorted by the ${title} weight for ${cname}, largest first`,
  fusedLine: (title, layers) => `${title}: layers ${layers}, at the network input's size`,
  notYet: (titles) => `not yet computed: ${titles.join(", ")}`,
  waitingAlt: (title, picture) => `${title} for ${picture}: computing…`,
});
// ---- "Is it right?" (view_right.js): the metrics' names, definitions and verdicts. The
// definitions follow wasm/metrics/metrics.h, the one home of the rules; they are also
// written into the CSV/JSON exports.

// Each metric: its name, whether lower or higher is better, a short definition, the formula,
// the paper, and a note where tools disagree.
export const METRICS = Object.freeze({
  deletion: {
    name: "Deletion AUC",
    short: "Deletion AUC",
    better: "lower",
    text: "The map's pixels are ordered from most to least relevant (ties in reading order). In K steps, step t replaces the first round(t·HW/K) of them, in every colour channel, by the deletion baseline; after each step the network gives the class's probability. The area under this curve (fraction removed 0 → 1, trapezoids) is small when removing what the map points at destroys the evidence quickly.",
    formula: "AUC = Σₜ (pₜ₋₁ + pₜ) / 2K,  t = 1 … K,  pₜ = P(class | the first round(t·HW/K) pixels replaced)",
    reference: "Petsiuk, Das & Saenko, “RISE: Randomized Input Sampling for Explanation of Black-box Models”, BMVC 2018.",
    note: "Lower is better. RISE's defaults: zero baseline for deletion.",
  },
  insertion: {
    name: "Insertion AUC",
    short: "Insertion AUC",
    better: "higher",
    text: "The reverse: start from the insertion baseline and reveal the picture's own pixels in the map's order, K steps; the class's probability after each step. A large area means the pixels the map ranks first bring the evidence back quickly.",
    formula: "AUC = Σₜ (pₜ₋₁ + pₜ) / 2K,  pₜ = P(class | the first round(t·HW/K) pixels revealed on the baseline)",
    reference: "Petsiuk, Das & Saenko, “RISE”, BMVC 2018.",
    note: "Higher is better. RISE's default: the blurred picture as the insertion baseline.",
  },
  drop: {
    name: "Drop in confidence",
    short: "Drop",
    better: "lower",
    text: "Y is the class's probability on the picture, O on the picture multiplied by the map scaled to [0, 1] (each value divided by the map's maximum). The drop is max(0, Y − O) / Y: how much of the original score is lost when only what the map shows is kept. Average Drop is 100 × its mean over pictures.",
    formula: "drop = max(0, Y − O) / Y;  Average Drop = 100 · mean(drop) %",
    reference: "Chattopadhyay, Sarkar, Howlader & Balasubramanian, “Grad-CAM++”, WACV 2018.",
    note: "Lower is better. This is the paper's relative drop; some libraries report the absolute drop Y − O instead, so their numbers do not compare with these. A map that keeps most of the picture (a flat or random map keeps about half of every pixel) loses little and so scores a small drop: read it beside the deletion and insertion areas.",
  },
  increase: {
    name: "Increase in confidence",
    short: "Increase",
    better: "higher",
    text: "On the same masked picture: does the class's probability rise (O > Y)? Increase in Confidence is the share of pictures where it does, in %.",
    formula: "increase = [O > Y];  Increase in Confidence = 100 · mean(increase) %",
    reference: "Chattopadhyay et al., “Grad-CAM++”, WACV 2018.",
    note: "Higher is better.",
  },
  road: {
    name: "ROAD",
    short: "ROAD",
    better: "higher",
    text: "At r % (10, 30, 50, 70, 90) the most relevant (MoRF) or least relevant (LeRF) r % of the pixels are removed and filled by noisy linear imputation: each removed value is the weighted mean of its 8 neighbours (1/6 sideways, 1/12 diagonally), solved as one sparse linear system per channel, plus Gaussian noise (sd 0.01). The class's probability at each r; combined = the mean over r of (LeRF − MoRF) / 2.",
    formula: "combined = mean over r of (P_LeRF(r) − P_MoRF(r)) / 2",
    reference: "Rong, Leemann, Borisov, Kasneci & Kasneci, “A Consistent and Efficient Evaluation Strategy for Attribution Methods” (ROAD), ICML 2022.",
    note: "Higher is better. Command line only: the sparse solve takes about 0.1–0.8 s per percentage natively, too slow for this page.",
  },
  random: {
    name: "Random map",
    short: "random map",
    better: "",
    text: "A map of uniform noise (fixed seed), scored by every metric exactly like a method's map: the number a method has to beat. A method no better than the random map tells you nothing on that metric.",
    formula: "map(x, y) ~ U[0, 1), seed fixed",
    reference: "The baseline used in RISE and in the Grad-CAM++ and ROAD evaluations.",
    note: "",
  },
  sanity: {
    name: "Rank correlation ρ",
    short: "ρ",
    better: "lower",
    text: "Cascading model randomisation: the network's layers with weights (convolutions, linear layers, batch norms) are re-initialised from the logits down, one more at each step (convolution and linear weights N(0, 2 / fan-in), biases 0, batch norm γ = 1 and β = 0, fixed seed). At each step the method's map at the chosen layer is compared with the original map by Spearman's rank correlation ρ (average ranks for ties; 0 when a map is constant). A map that does not change while the model is destroyed does not explain what the model learned.",
    formula: "ρ = Pearson correlation of the ranks of the two maps' values",
    reference: "Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim, “Sanity Checks for Saliency Maps”, NeurIPS 2018.",
    note: `Lower is better (the maps should change). Rule of thumb used on this page: |ρ| ≥ ${SANITY_STILL} once every layer is re-initialised means the maps barely changed.`,
  },
});

// The baselines, as the page's selects and exports name them.
export const BASELINES = Object.freeze([
  ["zero", "zero (the training set's mean colour)"],
  ["mean", "this picture's mean colour"],
  ["blur", "blurred picture (11×11 Gaussian, σ 5)"],
]);

export function baselineWords(name) {
  const b = BASELINES.find(([n]) => n === name);
  return b ? b[1] : name;
}

// The steps offered: the papers' 50 and fewer, labelled as quicker and coarser.
export const STEP_CHOICES = Object.freeze([
  [50, "50 (as the papers)"],
  [20, "20 (quicker)"],
  [10, "10 (quick, coarse)"],
]);

// The view's three parts.
export const RIGHT_PARTS = Object.freeze([
  ["picture", "This picture"],
  ["sanity", "Sanity check"],
  ["set", "Over the pictures"],
]);

// Whether a method's value beats the random map's, in words (never by colour alone).
export function versusRandom(metric, value, random) {
  const kind = againstRandom(METRICS[metric].better, value, random);
  return { same: "same as the random map", better: "better than the random map", worse: "not better than the random map" }[kind] || "";
}

// The verdict of the sanity check for one method: rho at the last step (all re-initialised).
export function sanityVerdict(method, rho, layers) {
  if (rho === null || rho === undefined || !Number.isFinite(rho)) return `${method}: no map on the randomised model.`;
  const r = rhoText(rho);
  if (Math.abs(rho) >= SANITY_STILL)
    return `${method} FAILS: with all ${layers} layers re-initialised its map still has ρ = ${r} with the original — it barely changes when the learned weights are destroyed, so it shows the picture or the architecture, not what this model learned: it explains nothing about the model.`;
  return `${method} passes: with all ${layers} layers re-initialised ρ = ${r} — its maps change when the learned weights are destroyed, so they depend on what the model learned.`;
}

// What the sanity check does, above its maps.
export function sanityIntro(className) {
  return `The model's layers with weights are re-initialised from the top (the logits) down, one more at each step. Under each map: Spearman's rank correlation ρ of the ${className} map with the original (1: the same order). Maps that do not change while the model is destroyed do not explain the model. Each map is scaled to its own peak.`;
}

// The short note beside the command on the page (the definition has the reasons).
export function roadShort() {
  return "command line only (too slow for this page); for these pictures and settings:";
}

// The note in exports: ROAD is the CLI's.
export function roadNote() {
  return "ROAD is computed by the command line only (its imputation solves a sparse system per percentage: ~0.1–0.8 s each natively, too slow for this page). For these pictures and settings:";
}

// Progress of a long run, in words.
export function rightProgressText(kind, done, total, seconds) {
  const what = kind === "sanity" ? "randomisation steps" : kind === "set" ? "pictures" : "forward passes";
  return `${done} of ${total} ${what} · ${seconds.toFixed(1)} s`;
}


// ---- the views' and the page's fixed words (main.js, the views), moved here from them

// The views (state.js VIEWS' ids), normalisations (NORMS) and colour maps (CMAPS) by id.
export const VIEW_NAMES = Object.freeze({ explain: "Explain", features: "Feature maps", compare: "Compare", teach: "How it works", right: "Is it right?" });
export const NORM_NAMES = Object.freeze({ map: "per map", shared: "shared by classes", raw: "raw + colour bar" });
export const CMAP_GROUPS = Object.freeze({ "colour-blind safe": "colour-blind safe", "rainbow: hard for colour-blind eyes": "rainbow: hard for colour-blind eyes" });

// The shipped model's class names as shown (a user model's own names are shown as they are).
export const SHIPPED_CLASSES = Object.freeze({ cat: "cat", dog: "dog" });
// The demo pictures' titles (samples.js) by file name.
export const SAMPLE_TITLES = Object.freeze({ "both.png": "A cat and a dog", "cat.jpg": "A cat", "dog.jpg": "A dog" });

// The language switch: its text (the other language's name) and tooltip.
export const LANG_SWITCH = Object.freeze({ label: "中文", title: "切换到中文 (Switch to Chinese)", lang: "zh-CN" });

export const UI = Object.freeze({
  pastedPicture: "pasted picture",
  notRead: (name, why) => `“${name}” could not be read: ${why}`,
  notLoaded: (name, why, before) => `“${name}” was not loaded: ${why}. Still explaining the previous model (${before}).`,
  sampleTitle: (title) => `Explain the sample picture: ${title}`,
  againTitle: (name) => `Explain ${name} again`,
  predictedClass: "the predicted class",
  inWorker: "in a worker",
  inPage: "in the page (no worker)",
  simd: "WebAssembly SIMD",
  noSimd: "WebAssembly without SIMD (slower)",
  modelTitle: (file, classes) => `weights file: ${file}; classes: ${classes.join(", ")}`,
  timings: (forward, backward, maps) => [`forward ${forward}`, `backward ${backward}`, `maps ${maps}`],
  firstMap: (s, phases) => `first map ${s} s after opening (${phases})`,
  // the start-up's steps in the timings line (main.js startupText)
  phases: { page: "page", core: "core", weights: "weights", forward: "forward", backward: "backward", drawn: "drawn" },
  threads: (n) => `, ${n} threads`,
  working: "working…",
  saveTitle: "Save this view as a PNG picture (key: S)",
  thisView: "this view",
  savePng: "Save PNG",
  notExplained: (name, why) => `Could not explain “${name}”: ${why}`,
  dropFile: "Drop the picture file itself (from your files). Pictures dragged from another web page cannot be read — this page never fetches anything.",
  pasteText: "The clipboard holds text, not a picture. Copy a picture (e.g. “Copy image”) and paste again.",
  notStarted: "The network could not be started.",
  notStartedWhy: (why) => `The network could not be started: ${why}`,
  noWasm: "This browser has no WebAssembly, which camscope needs. Try a current Firefox, Chrome, Edge or Safari.",
  noSamples: "The sample pictures (samples.js) are missing: build the page with tools/build.sh; your own photos still work.",
  noWeights: "The network's weights (weights.js) are missing: build the page with tools/build.sh.",
  slowCore: "This browser has no WebAssembly SIMD, so camscope uses its slower build — everything works, a little less quickly.",
  enlarge: "Tap or click to enlarge",
  enlarged: (what) => `${what}, enlarged (tap, click or Esc to close)`,
  closeEnlarged: "Close",
});

// Explain's words.
export const EXPLAIN = Object.freeze({
  layerLabel: (layer, channels) => `${layer} (${channels} channels)`,
  logitsTitle: "The raw class scores y^c (logits); the probabilities are their softmax. The maps explain these scores.",
  scores: "scores y: ",
  predicted: "predicted",
  question: "Where is the evidence for each class?",
  layer: (l) => `layer ${l}`,
  thesemaps: "these maps",
  picture: (name) => `the picture ${name}`,
  mapFor: (title, name) => `${title} map for ${name}`,
  colourScale: (title, low, lowValue, high, highValue) => `${title} colour scale: ${low} = ${lowValue}, ${high} = ${highValue}`,
  size: (w, h) => `${w} × ${h} px`,
  from: (w, h) => ` (from ${w} × ${h})`,
  linePicture: (name, w, h, pred) => `picture: ${name} (${w} × ${h} px)${pred ? ` · predicted ${pred}` : ""}`,
  lineLayer: (layer, channels, methods) => `layer ${layer} (${channels} channels)${methods ? ` · ${methods.join(", ")}` : ""}`,
  lineNorm: (norm) => `normalised ${norm}`,
  lineColours: (name, low, high, opacity) => `colours ${name}: ${low} = 0, ${high} = the top of the scale · opacity ${opacity} %`,
  headPicture: "picture",
  model: (name) => `model ${name}`,
});

// Feature maps' words.
export const FEATURES = Object.freeze({
  orderLabel: "Order of the tiles",
  order: "Order",
  oneRange: "one colour range for all channels",
  howTo: "Click a tile to enlarge it; with the grid focused, ← → ↑ ↓ Home End PgUp PgDn move.",
  saveWhat: "all channels and the enlarged one",
  about: (high, low) =>
    `A channel is one feature detector: ${high} where the pattern it responds to appears, ${low} where it is weakest (each tile is scaled to its own range unless “one colour range” is ticked). ` +
    "Its Grad-CAM weight says how much more of it would raise the class score (positive) or lower it (negative).",
  title: (c, layer, hh, ww) => `All ${c} channels of ${layer} (${hh}×${ww} each)`,
  byNumber: "channel number",
  pageWords: (page, pages, range) => `page ${page} of ${pages} (${range}), `,
  gridLabel: (c, layer, pageWords, size, selected, rank) =>
    `${c} feature maps of ${layer}, ${pageWords}${size} tiles; channel ${selected} selected, ${rank} of ${c} in this order. Arrow keys, Home, End, Page Up and Page Down move.`,
  gridSize: (cols, rows) => `${cols} by ${rows}`,
  heading: (k) => `Channel ${k}`,
  range: (lo, hi, cname, w) => `activation range ${lo} to ${hi}, weight for ${cname} ${w}`,
  bigAlt: (k, layer, picture, range) => `channel ${k} of ${layer} over the picture ${picture}: ${range}`,
  plainAlt: (k, layer, grid, range) => `channel ${k} of ${layer} on its own, ${grid}: ${range}`,
  gcWeightFor: (n) => `Grad-CAM weight for ${n}`,
  activationRange: "activation range",
  place: "place in this order",
  rankOf: (r, c) => `${r} of ${c}`,
  byChannel: "in channel-number order",
  figTitle: (picture, c, layer) => `camscope — ${picture}: the ${c} channels of ${layer}`,
  figLine: (picture, w, h, layer, c, order) => `picture: ${picture} (${w} × ${h} px) · layer ${layer}, ${c} channels, ${order}`,
  figShared: "every tile shares one colour range (the whole layer's min to max); the number in a tile's corner is its channel",
  figOwn: "each tile is scaled on its own (its channel's min to max); the number in a tile's corner is its channel",
  figColours: (name, low, high, k, lo, hi, cname, w) => `colours ${name}: ${low} = low activation, ${high} = high · channel ${k}: range ${lo} to ${hi}, Grad-CAM weight for ${cname} ${w}`,
  headAll: "all channels (numbered)",
  headOver: (k) => `channel ${k} on the picture`,
  headPlain: (k, grid) => `channel ${k}, ${grid}`,
  activation: "activation (per tile)",
  tileMin: "tile's min",
  tileMax: "tile's max",
});

// Compare's words.
export const COMPARE = Object.freeze({
  picture: (name) => `the picture ${name}`,
  notDrawn: (name) => `map for ${name}, not drawn yet`,
  explain: (name) => `Explain ${name}`,
  explainSr: "Explain ",
  saveTitle: (what) => `Save the ${what} as a PNG picture`,
  saveName: (what) => `the ${what}`,
  headPicture: "picture",
  table: (title) => `${title} table`,
  vs: (titles) => titles.join(" vs "),
  vsTitle: (titles) => `${titles.join(" vs ")} — predicted class`,
  sideBySide: (n) => `${n} methods side by side`,
  vsNote: "Each row uses the class the network predicted for that picture.",
  allTables: (n) => `all ${n} tables`,
  title: (layer) => `Compare pictures — layer ${layer}`,
  rows: "Rows: the sample pictures and the ones you opened — click a row to explain that picture. Drop more pictures to add rows.",
  eachPeak: "each map's peak",
  strongerPeak: "stronger class's peak",
  predictedAlt: (name, verdict) => `the picture ${name}, predicted ${verdict}`,
  figTitle: (title, n) => `camscope — ${title}: ${n} pictures`,
  eachPredicted: "each picture's predicted class",
  classes: (names) => `classes: ${names.join(", ")}`,
  predicted: (v) => `predicted ${v}`,
  footer: (model, norm) => `model ${model} · normalised ${norm}`,
});

// "How it works"' fixed words. Rich text: an array of strings and [tag, text] pairs (a bold
// word, a superscript), which the view turns into elements.
export const TEACH_UI = Object.freeze({
  steps: ["The network’s guess", "Feature maps", "Channel weights", "The Grad-CAM map", "Layer-CAM"],
  numbersStep: "Reading the numbers",
  guess: (input) => ["The network looked at the whole picture (shrunk to ", input, " pixels) and gave each class a ", ["b", "score"], " y", ["sup", "c"], ":"],
  scoreY: "score y = ",
  probability: "probability ",
  softmaxLead: "The probabilities come from the scores by the softmax:",
  why: (win) => ["So it says ", ["b", win], ". But ", ["i", "why"], "? Which parts of the picture raised the score of each class? The maps answer that, and they explain the ", ["b", "score y"], ["sup", "c"], ", not the probability."],
  picture: (name) => `the picture ${name}`,
  inside: (layer, C, H, W) => ["Inside, each layer turns the picture into many ", ["b", "feature maps"], " A", ["sup", "k"], ". Layer ", ["code", layer], ` has ${C} of them, each ${H}×${W}: one number per region of the picture.`],
  detector: (high, low) => `Each channel k is a pattern detector: ${high} where its pattern (an edge, a texture, a part of an object…) appears, ${low} where it does not (each tile on its own scale). Deeper layers detect larger, more meaningful patterns, on a coarser grid.`,
  topChannels: (n, cname, C) => `Here are the ${n} channels that matter most for “${cname}” (see the next step). The “Feature maps” tab shows all ${C}.`,
  channelAlt: (k, layer, w) => `channel ${k} of ${layer}, weight ${w}`,
  channelCap: (k, w) => `channel ${k} · w = ${w}`,
  howMuch: (cname, grid) => ["How much does each channel matter for class ", ["b", cname], "? Backpropagation gives the gradient ∂y", ["sup", "c"], "/∂A", ["sup", "k"], ": how the score would change if that channel were brighter at that place. Grad-CAM averages it over the ", grid, " positions (Z):"],
  signs: (cname, layer, positive, C) => `For “${cname}” at ${layer}: ${positive} of ${C} channels have a positive weight (orange bars, up), ${C - positive} negative (blue bars, down). The strongest: `,
  barsAlt: (C, cname) => `Grad-CAM weights of the ${C} channels for ${cname}, sorted`,
  barsCap: (cname, C) => `Grad-CAM weights w_k for “${cname}”, all ${C} channels, largest first`,
  barsTitle: (cname, layer) => `w_k for ${cname} (${layer})`,
  barsExport: (cname) => `Grad-CAM weights for ${cname}, largest first`,
  gcAdds: ["The Grad-CAM map adds the feature maps up, each multiplied by its weight, and keeps only the positive part (ReLU): places that ", ["i", "raise"], " the score."],
  gcResult: (grid, peak) => `The result is ${grid}, like the layer; it is stretched (bilinear) onto the picture and coloured. Its largest value here is ${peak} — in units of the score's sensitivity; the colours are scaled to that peak.`,
  colourWords: (high, cname, low, name) => [`${high}: strong evidence for `, ["b", cname], `. ${low}: no evidence (zero). (Colours: ${name}.)`],
  gcOver: (cname) => `Grad-CAM for “${cname}” on the picture`,
  gcOverExport: (cname) => `Grad-CAM · ${cname} · on the picture`,
  rawMap: (grid) => `the raw ${grid} map`,
  rawGcAlt: (grid, cname, peak) => `the raw ${grid} Grad-CAM map for ${cname}, peak ${peak}`,
  layercamIntro: ["Layer-CAM does not average the gradient into one weight per channel: it keeps it ", ["b", "at every position"], ", and only where it is positive:"],
  layercamMore: "(⊙ multiplies position by position.) A channel then counts only where it actually helps the class, so the map keeps finer detail — most visible on earlier layers. Try changing the layer above.",
  peak: (p) => `peak ${p}`,
  rows: {
    probability: ["probability", (cname) => `how sure the network is that this is a ${cname} (softmax of the scores; all classes add up to 100 %)`],
    score: ["score y", "the raw output for the class before softmax; the maps explain this number"],
    weight: ["weight w", "Grad-CAM: how much one channel matters (the largest is shown)"],
    peak: ["peak", "the largest map value; “per map” colours scale each map to its own peak"],
    grid: ["grid", (layer, px) => `the map's resolution at ${layer}; each cell covers about ${px} input pixels`],
    time: ["time", "forward pass + backward pass on this computer, in WebAssembly"],
  },
  caution: "A heatmap shows where the network found evidence — not that it is right. A confident wrong answer has a map too.",
  stepSave: (n) => `step ${n} as a picture`,
  prev: "Previous step",
  next: "Next step",
  stepLabel: (n, s) => `Step ${n}: ${s}`,
  navLabel: (cname, layer) => `class “${cname}” · layer ${layer} · keys ← →`,
  mapPeak: "the map's peak",
  activation: "activation (per tile)",
  tileMin: "tile's min",
  tileMax: "tile's max",
  gcWeight: "Grad-CAM weight",
  positive: "positive",
  negative: "negative",
  noMap: "the picture as the network gets it: no map and no colour scale in this step",
  tilesLine: (n, cname) => `the ${n} channels with the largest Grad-CAM weight for ${cname}; each tile scaled on its own`,
  tilesColours: (name, low, high) => `colours ${name}: ${low} = a tile's min, ${high} = its max`,
  figTitle: (n, s) => `camscope — How it works, step ${n}: ${s}`,
  figClass: (cname, predicted) => `class ${cname}${predicted ? " (the predicted class)" : ""}`,
  firstColumn: ["the first column of", ""],
});

// Method titles that are words rather than names (the core's titles for the others).
export const METHOD_TITLES = Object.freeze({
  gradcam_ew: "Grad-CAM element-wise",
  gradcam_neg: "Grad-CAM, against the class",
  layercam_neg: "Layer-CAM, against the class",
  guidedbackprop: "Guided Backpropagation",
  saliency: "Saliency (input gradient)",
});

// "Is it right?"'s fixed words (view_right.js). The CSV / JSON exports keep their English
// field names and comments (files for scripts); their definitions come from METRICS.
export const RIGHT = Object.freeze({
  title: "Is it right?",
  baselineShort: { zero: "zero", mean: "mean", blur: "blur" },
  parts: "Is it right? parts",
  run: "Run",
  cancel: "Cancel",
  scoreSet: (n) => `Score ${n === 1 ? "the picture" : `the ${n} pictures`}`,
  stopTitle: "Stop this computation",
  computedTitle: "Computed for these settings",
  computeTitle: "Compute for these settings",
  progress: "progress of the computation",
  whatToCompute: "What to compute",
  partSave: (part) => `the “${part}” part`,
  layerTitle: (layer) => `layer ${layer}`,
  steps: "Steps",
  deletionBaseline: "Deletion baseline",
  insertionBaseline: "Insertion baseline",
  classes: "Classes",
  mostLikely: (n) => `the ${n} most likely classes`,
  everyClass: "every class",
  only: (cname) => `${cname} only`,
  eachPredicted: "each picture's predicted class",
  sanityClass: (cname) => `class ${cname} (the Class control) · `,
  whatIsRho: "what is ρ?",
  thisOne: (p) => ` (this one ${p} %)`,
  starting: (s) => `starting… ${s} s`,
  cancelled: "Cancelled. Run computes the rest.",
  failed: (why) => `Failed: ${why}`,
  doneIn: (s) => `Done in ${s} s.`,
  kept: "Done (kept from before).",
  setHint: (n) => `Scores every picture of Compare (${n}); a 50-step run takes several seconds per picture.`,
  computing: "Computing…",
  done: "Done.",
  cancelledShort: "Cancelled.",
  defTitle: (name) => `What is “${name}”? (definition, formula, paper)`,
  reference: "Reference: ",
  close: "Close",
  metric: "metric",
  random: "random",
  randomMap: "random map",
  better: (b) => `${b === "lower" ? "lower" : "higher"} is better`,
  yes: "yes",
  no: "no",
  notYetCurves: (method, name) => `${method}, ${name}: deletion and insertion curves, not computed yet`,
  curvesAlt: (method, name, d0, d1, dA, rdA, i0, i1, iA, riA) =>
    `${method}, ${name}: deletion curve from ${d0} to ${d1}, area ${dA}${rdA ? ` (random map ${rdA})` : ""}; insertion curve from ${i0} to ${i1}, area ${iA}${riA ? ` (random map ${riA})` : ""}`,
  axis: "pixels removed / revealed",
  chartComputing: "computing…",
  keyDeletion: "deletion (area shaded)",
  keyInsertion: "insertion (area shaded)",
  keyRandom: "random map (dashed)",
  keyMarks: "✓ / ✗ / =: better than / not better than / the same as the random map.",
  roadCommand: "camscope evaluate command that also computes ROAD",
  baselines: (del, ins, steps) => `Deletion baseline: ${del} · insertion baseline: ${ins} · ${steps} steps · each number beside the random map's.`,
  method: "method",
  original: "original",
  stepTitle: (i, node) => `step ${i}: ${node} and every layer above it re-initialised`,
  computingMaps: "Computing the maps of the randomised models…",
  rhoNotYet: "rank correlation chart, not computed yet",
  noMap: "no map",
  noMapAt: (method, step) => `${method}: no map at step ${step}`,
  trainedAlt: (method, cname, empty) => `${method} map for ${cname} on the trained model${empty ? ": all zero" : ""}`,
  randomisedAlt: (method, cname, node, rho, empty) => `${method} map for ${cname} with ${node} and the layers above it re-initialised: ρ = ${rho}${empty ? ", all zero" : ""}`,
  none: "none",
  rhoAlt: (list) => `rank correlation with the original map at each step: ${list}`,
  legendAlt: (low, high) => `colour scale: ${low} = 0, ${high} = each map's own peak`,
  ownPeak: "each map's own peak",
  rhoAxis: "ρ with the original map",
  stepsAxis: "layers re-initialised (steps)",
  saveCsvTitle: "Save the table as CSV (with the model, its hash, layer, settings and the metrics' definitions)",
  saveCsv: "Save CSV",
  saveJsonTitle: "Save the table as JSON (with the model, its hash, layer, settings, definitions and the curves)",
  saveJson: "Save JSON",
  setCommand: "camscope evaluate command for these pictures, with ROAD",
  setBaselines: (scored, del, ins, steps, classes) => `${scored ? "" : "Not scored yet. "}Deletion baseline ${del}; insertion baseline ${ins}; ${steps} steps; ${classes}. Mean ± sd over the pictures scored (sd over n, as the command line's summary).`,
  averageDrop: "Average Drop",
  increaseConf: "Increase in Confidence",
  meanCaption: (n, of) => `Mean ± sd per method over ${n} of ${of} pictures`,
  explain: (name) => `Explain ${name}`,
  notScored: " not scored yet",
  perPicture: "Per picture",
  pictureClass: "picture, class",
  drop: "drop",
  increase: "increase",
  // the exported figures
  figPicture: (name, w, h, pred) => `picture: ${name} (${w} × ${h} px) · predicted ${pred}`,
  figModel: (info, file) => `model ${info} (${file})`,
  figLayer: (layer, methods, classes) => `layer ${layer} · methods ${methods} · classes ${classes}`,
  figBaselines: (del, ins, steps) => `deletion baseline: ${del} · insertion baseline: ${ins} · ${steps} steps`,
  figTitle: (name) => `camscope — Is it right? ${name}: deletion and insertion`,
  figRandom: "Every number beside the random map's (uniform noise, fixed seed): the baseline a method must beat. ✓ better than, ✗ not better than, = the same as the random map.",
  figDeletionKey: "deletion curve (lower area is better)",
  figInsertionKey: "insertion curve (higher area is better)",
  figDeletion: (v, r, mark) => `Deletion AUC ${v} (random map ${r})${mark}`,
  figInsertion: (v, r, mark) => `Insertion AUC ${v} (random map ${r})${mark}`,
  figDrop: (v, r, mark) => `Drop in confidence ${v} (random map ${r})${mark}`,
  figIncrease: (v, r, mark) => `Confidence increased: ${v ? "yes" : "no"} (random map: ${r ? "yes" : "no"})${mark}`,
  figYO: (y, o) => `Y = ${y}, O (picture × map) = ${o}`,
  figNotYet: "not computed yet",
  figRefs: "Deletion / insertion: RISE (Petsiuk et al., BMVC 2018). Drop and increase in confidence: Grad-CAM++ (Chattopadhyay et al., WACV 2018), the relative drop max(0, Y − O) / Y — some libraries report the absolute drop Y − O.",
  figModelLine: (file) => `model ${file}`,
  figSanityTitle: (name) => `camscope — Is it right? Sanity check (cascading randomisation): ${name}`,
  figSanityPicture: (name, w, h, cname, p) => `picture: ${name} (${w} × ${h} px) · class ${cname} (${p})`,
  figSanityModel: (info, file, layer, methods) => `model ${info} (${file}) · layer ${layer} · methods ${methods}`,
  figSanityIntro: "The layers with weights are re-initialised from the logits down, one more per step; ρ = Spearman rank correlation of each map with the original. Each map is scaled to its own peak.",
  figMapColours: "map colours",
  figStep: (i) => `step ${i}`,
  figSanityRef: (still) => `Adebayo et al., “Sanity Checks for Saliency Maps”, NeurIPS 2018. Rule of thumb used here: |ρ| ≥ ${still} with every layer re-initialised means the maps barely changed.`,
  figSetTitle: (n) => `camscope — Is it right? ${n} pictures: mean ± sd per method`,
  figSetModel: (info, file, layer, methods) => `model ${info} (${file}) · layer ${layer} · methods ${methods} + random map`,
  figSetSettings: (del, ins, steps, classes) => `deletion baseline: ${del} · insertion baseline: ${ins} · ${steps} steps · classes: ${classes}`,
  figSetHead: ["method", "n", "Deletion AUC ↓", "Insertion AUC ↑", "Average Drop ↓", "Increase in Conf. ↑"],
  figRowsHead: ["picture · class", "method", "Deletion AUC", "Insertion AUC", "drop", "increase"],
  figSetRefs: "Deletion / insertion: RISE (Petsiuk et al., BMVC 2018). Average Drop / Increase in Confidence: Grad-CAM++ (Chattopadhyay et al., WACV 2018), relative drop max(0, Y − O) / Y — some libraries report the absolute drop. sd over n. ROAD: command line only (camscope evaluate).",
});

// Messages about a picture that cannot be read (named by images.js' PictureError: key, args).
export const PICTURE = Object.freeze({
  empty: (name) => `“${name}” is empty (0 bytes).`,
  tooBig: (name, size, max) => `“${name}” is ${size}; pictures up to ${max} are read.`,
  notPicture: (name, kind) => `“${name}”${kind ? ` (${kind})` : ""} is not a picture this page can read. Try a JPEG, PNG, GIF, WebP or BMP photo.`,
  tooLarge: (name, w, h, side, mp) =>
    `“${name}” is ${w} × ${h} pixels — too large to decode safely in a browser tab (at most ${side} px a side and ${mp} megapixels). Make it smaller and try again.`,
  truncated: (name, format) => `“${name}” is a ${format} file that ends early — it seems truncated (an incomplete download?).`,
  badPng: (name, problem) => `“${name}” looks like a PNG file but could not be decoded — it may be damaged (${problem}).`,
  damaged: (name, format) => `“${name}” looks like a ${format} file but could not be decoded — it may be damaged.`,
  noPixels: (name) => `“${name}” has no pixels.`,
  tooLargeShort: (name, w, h) => `“${name}” is ${w} × ${h} pixels — too large.`,
  // pngDataProblem's reasons (English in images.js, where the tests read them) as said here
  problems: {
    "its header is cut short": "its header is cut short",
    "its header is invalid": "its header is invalid",
    "it has no pixel data": "it has no pixel data",
    "its compressed pixel data is invalid": "its compressed pixel data is invalid",
    "its pixel data is incomplete": "its pixel data is incomplete",
  },
});

// The plain-text formulas of the core's catalogue (wasm/methods/layer.cpp) that carry words,
// said in this language in "How it works"' table of every method; the others are shown as
// the core gives them.
export const METHOD_FORMULAS = Object.freeze({
  eigencam: "M = ReLU(first principal component of A, projected)",
  eigengradcam: "M = ReLU(first principal component of G * A, projected)",
  guidedbackprop: "dy_c/dx through ReLUs that pass a gradient only where input and gradient are > 0",
  guidedgradcam: "guided backpropagation * Grad-CAM upsampled to the input",
  smoothgrad: "mean over N noisy copies x + e (e ~ N(0, (0.15 (max x - min x))^2)) of dy_c/dx",
});

// ---- The printable lab report (report.js, from the Compare view; issue 14)
export const REPORT = Object.freeze({
  button: "Print lab report",
  buttonTitle: "Lay out the Compare view's figures with the model, layer, method, normalisation and colour scale, and print them (or save them as PDF from the print dialog)",
  waiting: "Print lab report: the Compare view is still computing its rows",
  title: "camscope lab report",
  intro: "Class activation maps computed in the browser by camscope: no picture left this computer.",
  model: "Model",
  file: (bytes) => `${bytes.toLocaleString("en")} bytes`,
  crc: "CRC-32",
  sha: "SHA-256",
  noSha: "not available in this browser context (served over plain http)",
  builtIn: "the shipped model",
  layer: "Layer",
  methods: "Methods",
  norm: "Normalisation",
  colours: "Colour scale",
  opacity: "Opacity",
  pictures: "Pictures",
  classes: "Classes",
  printed: "Printed",
  figureAlt: (title, picture) => `${title}: ${picture}`,
  figureLine: (layer, norm) => `layer ${layer} · normalised ${norm}`,
  top: "top of the scale",
});

// The colour scale in words, for the report: "Viridis: dark purple = 0, yellow = the top".
export function reportColours(cmap) {
  const w = cmapWords(cmap);
  return `${w.name}: ${w.low} = 0, ${w.high} = the top of the scale`;
}

// ---- A whole folder at once (view_folder.js)
export const FOLDER = Object.freeze({
  open: "Folder…",
  openTitle: "Predict every picture of a folder (or drop a folder, or many pictures, anywhere)",
  heading: "Folder",
  cancel: "Cancel",
  close: "Close",
  closeTitle: "Close the folder's table (its thumbnails are forgotten)",
  csv: "Save CSV",
  json: "Save JSON",
  png: "Save figure (PNG)",
  columns: Object.freeze({ index: "#", path: "picture", label: "true class", predicted: "prediction", confidence: "confidence", right: "right?" }),
  sortBy: (column) => `Sort by ${column}`,
  right: "right",
  wrong: "wrong",
  unlabelled: "–",
  failed: "could not be read",
  explainRow: (path) => `Explain ${path}`,
  matrixTitle: "Confusion matrix",
  matrixCorner: "true ↓ · predicted →",
  noLabels: (classes) =>
    `No right/wrong: name the folders by class (${classes.map((c) => `${c}/`).join(", ")}) to score the predictions.`,
  nothing: "The folder holds no files.",
  cancelled: (done, total) => `Cancelled after ${done} of ${total} pictures.`,
});

// "12 of 1000 pictures · 41.5 pictures/s"
export function folderProgress(done, total, seconds) {
  const rate = seconds > 0 ? ` · ${(done / seconds).toFixed(1)} pictures/s` : "";
  return `${done} of ${total} pictures${rate}`;
}

// The folder's one-line summary: pictures, errors, accuracy over the labelled ones.
export function folderSummary({ total, errors, labelled, correct }) {
  const parts = [`${total} picture${total === 1 ? "" : "s"}`];
  if (errors) parts.push(`${errors} could not be read`);
  if (labelled) parts.push(`accuracy ${percentText(correct / labelled)} (${correct} of ${labelled} right)`);
  return parts.join(" · ");
}

// The lab figure's title and lines (PNG export of the confusion matrix).
export function folderFigureText({ model, total, labelled, correct, errors }) {
  return {
    title: `Confusion matrix — ${model}`,
    lines: [
      labelled ? `Accuracy ${percentText(correct / labelled)}: ${correct} of ${labelled} labelled pictures right` : "No labelled pictures",
      `${total} pictures${errors ? `, ${errors} could not be read` : ""}; rows: true class (folder name), columns: predicted class`,
    ],
  };
}

// ---- Live camera (camera.js)
export const CAMERA = Object.freeze({
  open: "Camera",
  openTitle: "Explain what your camera sees, live (the video never leaves this computer)",
  heading: "Live camera",
  stop: "Stop camera",
  freeze: "Freeze",
  freezeTitle: "Keep this frame as a picture, with every view",
  method: "Map",
  cls: "Class",
  predicted: "the predicted class",
  starting: "Starting the camera…",
  frozenName: (stamp) => `camera ${stamp}.png`,
  alt: "The camera's picture with the class's map over it",
});

// The live rate and the prediction, under the camera's picture.
export function cameraStatus({ fps, className, probability, ms }) {
  const rate = fps > 0 ? `${fps.toFixed(1)} frames/s` : "–";
  return `${className} ${percentText(probability)} · ${rate} · ${Math.round(ms)} ms a frame`;
}

// Why the camera cannot start, in words: `reason` is "insecure" (no mediaDevices: the page
// is not on https, localhost or, in some browsers, file://), a getUserMedia error's name, or
// "frame" (the worker could not explain a frame: `detail` says why).
export function cameraProblem(reason, detail = "") {
  if (reason === "insecure")
    return "This browser offers no camera to this page: cameras are allowed only on https, on localhost and, in some browsers, from a file opened from disk. Open the page from http://localhost (tools/demo.sh) or https.";
  if (reason === "NotAllowedError" || reason === "SecurityError")
    return "The camera was not allowed (permission refused, or blocked for this page). Allow the camera in the browser's site settings and try again.";
  if (reason === "NotFoundError" || reason === "OverconstrainedError") return "No camera was found on this computer.";
  if (reason === "NotReadableError" || reason === "AbortError") return "The camera is busy or could not be started (is another program using it?).";
  if (reason === "frame") return `The live map stopped: ${detail}`;
  return `The camera could not be started${detail ? `: ${detail}` : "."}`;
}

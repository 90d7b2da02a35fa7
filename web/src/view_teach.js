// The "How it works" view: Grad-CAM and Layer-CAM in five steps, then Grad-CAM++, Eigen-CAM,
// Score-CAM, Guided Grad-CAM and every other method, each with its formula and this picture's
// own numbers; large type, ← → to move (for a class on a projector).
import { state, update, touch, classNames, focusClassOf, layerName } from "./state.js";
import { h, clear, percent, ms, keepFocus } from "./dom.js";
import {
  makeCanvas, fitSize, renderMap, drawBars, heatCanvas, minMax, fmt, maxOf, composeTable, drawGradientImage, BAR_POSITIVE, BAR_NEGATIVE,
} from "./draw.js";
import { channelOrder } from "./view_features.js";
import { figureLines } from "./view_explain.js";
import { methodTitle, rowResult } from "./methods.js";
import { extraKey, cachedExtra } from "./engine.js";
import {
  cmapWords, knowsOnly, layerWithGrid, saveName, pictureStem, TEACH_STEPS, TEACH, TEACH_CAPTIONS, progressText, gradientAlt, rgbLegend, LABELS,
} from "./text.js";

export const STEPS = [
  "The network’s guess",
  "Feature maps",
  "Channel weights",
  "The Grad-CAM map",
  "Layer-CAM",
  TEACH_STEPS.gradcampp,
  TEACH_STEPS.eigencam,
  TEACH_STEPS.scorecam,
  TEACH_STEPS.guided,
  TEACH_STEPS.all,
  "Reading the numbers",
];
const STEP = { gradcampp: 5, eigencam: 6, scorecam: 7, guided: 8, all: 9, numbers: 10 };
// "model version|pictureId|layer" where the person started Score-CAM from its step (it runs
// hundreds of forward passes, so the step asks first; a result Explain already has is shown
// at once).
const scoreStarted = new Set();

// What a step needs from the worker beyond Grad-CAM and Layer-CAM at the layer:
// {layerMethods, extras} (see methods.js needsOf).
export function teachNeeds(step, layer) {
  if (step === STEP.gradcampp) return { layerMethods: ["gradcampp"], extras: [] };
  if (step === STEP.eigencam) return { layerMethods: ["eigencam"], extras: [] };
  if (step === STEP.scorecam) {
    const spec = { kind: "score", layer };
    const wanted = scoreStarted.has(`${state.model.version}|${state.pictureId}|${layer}`) || (state.pictureId && cachedExtra({ id: state.pictureId }, spec));
    return { layerMethods: [], extras: wanted ? [spec] : [] };
  }
  if (step === STEP.guided) return { layerMethods: [], extras: [{ kind: "picture", method: "guidedbackprop", layer: -1 }, { kind: "picture", method: "guidedgradcam", layer }] };
  if (step === STEP.all) {
    const names = (state.model.catalog || []).filter((m) => m.kind === "layer").map((m) => m.name);
    return { layerMethods: names, extras: [] };
  }
  return { layerMethods: [], extras: [] };
}

const F = {
  softmax:
    '<var>p</var><sup><var>c</var></sup> = <span class="frac"><span>e<sup><var>y</var><sup><var>c</var></sup></sup></span><span><span class="op">Σ</span><sub><var>j</var></sub> e<sup><var>y</var><sup><var>j</var></sup></sup></span></span>',
  weight:
    '<var>w</var><span class="ss"><sup><var>c</var></sup><sub><var>k</var></sub></span> = <span class="frac"><span>1</span><span><var>Z</var></span></span> <span class="op">Σ</span><sub><var>i</var>,<var>j</var></sub> <span class="frac"><span>∂<var>y</var><sup><var>c</var></sup></span><span>∂<var>A</var><span class="ss"><sup><var>k</var></sup><sub><var>ij</var></sub></span></span></span>',
  gradcam:
    '<var>L</var><span class="ss"><sup><var>c</var></sup><sub>Grad-CAM</sub></span> = <span class="fn">ReLU</span>( <span class="op">Σ</span><sub><var>k</var></sub> <var>w</var><span class="ss"><sup><var>c</var></sup><sub><var>k</var></sub></span> <var>A</var><sup><var>k</var></sup> )',
  layercam:
    '<var>L</var><span class="ss"><sup><var>c</var></sup><sub>Layer-CAM</sub></span> = <span class="fn">ReLU</span>( <span class="op">Σ</span><sub><var>k</var></sub> <span class="fn">ReLU</span>( <span class="frac"><span>∂<var>y</var><sup><var>c</var></sup></span><span>∂<var>A</var><sup><var>k</var></sup></span></span> ) ⊙ <var>A</var><sup><var>k</var></sup> )',
  // g = ∂y^c/∂A^k_ij; the alpha of the paper's Eq. 19 with pytorch-grad-cam's exponents.
  gradcamppAlpha:
    '<var>α</var><span class="ss"><sup><var>kc</var></sup><sub><var>ij</var></sub></span> = <span class="frac"><span><var>g</var><sup>2</sup></span><span>2<var>g</var><sup>2</sup> + <span class="op">Σ</span><sub><var>a</var>,<var>b</var></sub> <var>A</var><span class="ss"><sup><var>k</var></sup><sub><var>ab</var></sub></span> <var>g</var><sup>3</sup></span></span>,&ensp; <var>g</var> = <span class="frac"><span>∂<var>y</var><sup><var>c</var></sup></span><span>∂<var>A</var><span class="ss"><sup><var>k</var></sup><sub><var>ij</var></sub></span></span></span>',
  gradcamppWeight:
    '<var>w</var><span class="ss"><sup><var>c</var></sup><sub><var>k</var></sub></span> = <span class="op">Σ</span><sub><var>i</var>,<var>j</var></sub> <var>α</var><span class="ss"><sup><var>kc</var></sup><sub><var>ij</var></sub></span> <span class="fn">ReLU</span>(<var>g</var>),&ensp; <var>L</var><span class="ss"><sup><var>c</var></sup><sub>Grad-CAM++</sub></span> = <span class="fn">ReLU</span>( <span class="op">Σ</span><sub><var>k</var></sub> <var>w</var><span class="ss"><sup><var>c</var></sup><sub><var>k</var></sub></span> <var>A</var><sup><var>k</var></sup> )',
  eigencam:
    '<var>L</var><sub>Eigen-CAM</sub> = <span class="fn">ReLU</span>( (<var>A</var> − <span style="text-decoration: overline"><var>A</var></span>) <var>v</var><sub>1</sub> ),&ensp; <var>A</var> − <span style="text-decoration: overline"><var>A</var></span> = <var>U</var> <var>Σ</var> <var>V</var><sup>T</sup>,&ensp; <var>v</var><sub>1</sub> = the first column of <var>V</var>',
  scorecam:
    '<var>w</var><span class="ss"><sup><var>c</var></sup><sub><var>k</var></sub></span> = <span class="fn">softmax</span>( <var>f</var>( <var>X</var> ⊙ <span class="fn">norm</span>(<span class="fn">up</span>(<var>A</var><sup><var>k</var></sup>)) ) )<sub><var>c</var></sub>,&ensp; <var>L</var><span class="ss"><sup><var>c</var></sup><sub>Score-CAM</sub></span> = <span class="fn">ReLU</span>( <span class="op">Σ</span><sub><var>k</var></sub> <var>w</var><span class="ss"><sup><var>c</var></sup><sub><var>k</var></sub></span> <var>A</var><sup><var>k</var></sup> )',
  guided:
    '<var>G</var><sup><var>c</var></sup> = <span class="frac"><span>∂<sup>guided</sup><var>y</var><sup><var>c</var></sup></span><span>∂<var>X</var></span></span>,&ensp; Guided Grad-CAM = <var>G</var><sup><var>c</var></sup> ⊙ <span class="fn">up</span>(<var>L</var><span class="ss"><sup><var>c</var></sup><sub>Grad-CAM</sub></span>)',
};

const formula = (name) => h("div", { class: "formula", html: F[name], role: "math", "aria-label": name });

// A map of any method (raw at `shape`) over the picture, scaled to its own peak.
function anyMapCanvas(picture, map, shape, key, side = 420) {
  const canvas = makeCanvas(...fitSize(picture.width, picture.height, side));
  renderMap(canvas, picture.canvas, map, shape, { scale: maxOf(map), lut: state.model.luts[state.cmap], cmap: state.cmap, alpha: state.opacity, key });
  canvas.setAttribute("role", "img");
  return canvas;
}

// A progress line for a long job under way (main.js moves it in place).
function progressLine(tag, method) {
  const p = state.progress[tag];
  const title = methodTitle(method);
  return h(
    "p",
    { class: "teach-progress", "data-progress": tag, "data-method": method },
    h("progress", { max: String(p ? p.total : 1), value: String(p ? p.done : 0), "aria-label": title }),
    h("span", { class: "progress-text" }, p ? progressText(method, title, p.done, p.total) : `${title}: …`),
  );
}

let last = null; // what the step drew, for export: [{canvas, caption}]
let lastMethods = []; // the methods whose maps the step shows (for the export's labels)
let lastLines = []; // more lines for the export (what an RGB gradient picture shows…)

function mapCanvas(picture, maps, method, cls, side = 520, alpha = state.opacity) {
  const canvas = makeCanvas(...fitSize(picture.width, picture.height, side));
  const classMaps = maps.maps[method];
  renderMap(canvas, picture.canvas, classMaps[cls], maps.shape, {
    scale: maxOf(classMaps[cls]),
    lut: state.model.luts[state.cmap],
    cmap: state.cmap,
    alpha,
    key: `${picture.id}|${state.model.version}|${maps.layer}|${method}|${cls}`,
  });
  return canvas;
}

// A channel (or any h x w plane) drawn on its own, nearest-neighbour, min..max coloured.
function planeCanvas(plane, hh, ww, side) {
  const [lo, hi] = minMax(plane);
  const c = makeCanvas(side, Math.round((side * hh) / ww));
  const ctx = c.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(heatCanvas(plane.map((v) => v - lo), ww, hh, hi - lo, state.model.luts[state.cmap]), 0, 0, c.width, c.height);
  return c;
}

function figure(canvas, caption) {
  return h("figure", {}, canvas, h("figcaption", {}, caption));
}

export function renderTeach(root, { picture, prediction, maps, acts, extras }, exportButton) {
  const names = classNames();
  const cls = focusClassOf(prediction);
  const cname = names[cls];
  const step = Math.max(0, Math.min(STEPS.length - 1, state.teachStep));
  const layer = { ...state.model.info.layers[maps.layer], name: layerName(state.model.info, maps.layer) };
  const [C, H, W] = maps.shape;
  const Z = H * W;
  const weights = maps.weights[cls];
  const order = channelOrder(C, weights, "weight");
  const positive = weights.filter((v) => v > 0).length;
  const gcMap = maps.maps.gradcam ? maps.maps.gradcam[cls] : null;
  const lcMap = maps.maps.layercam ? maps.maps.layercam[cls] : null;
  const text = [];
  let visual = [];
  last = [];
  lastMethods = [];
  lastLines = [];
  const words = cmapWords(state.cmap);
  const y = (c) => h("span", { class: "num" }, prediction.logits[c].toFixed(2));

  if (step === 0) {
    text.push(
      h("p", {}, "The network looked at the whole picture (shrunk to ", `${state.model.info.input[2]}×${state.model.info.input[1]}`, " pixels) and gave each class a ", h("b", {}, "score"), " y", h("sup", {}, "c"), ":"),
      h("table", { class: "numbers" }, h("tbody", {}, names.map((n, c) =>
        h("tr", {}, h("td", {}, n), h("td", {}, "score y = ", y(c)), h("td", {}, "probability ", h("b", {}, percent(prediction.probabilities[c]))))))),
      h("p", { style: { marginTop: "0.8rem" } }, "The probabilities come from the scores by the softmax:"),
      formula("softmax"),
      h("p", {}, "So it says ", h("b", {}, names[prediction.predicted]), ". But ", h("i", {}, "why"), "? Which parts of the picture raised the score of each class? The maps answer that, and they explain the ", h("b", {}, "score y"), h("sup", {}, "c"), ", not the probability."),
      h("p", { class: "small muted" }, knowsOnly(names)),
    );
    const pic = makeCanvas(...fitSize(picture.width, picture.height, 520));
    pic.getContext("2d").drawImage(picture.canvas, 0, 0, pic.width, pic.height);
    pic.setAttribute("role", "img");
    pic.setAttribute("aria-label", `the picture ${picture.name}`);
    visual = [figure(pic, picture.name)];
    last.push({ canvas: pic, caption: picture.name });
  } else if (step === 1) {
    text.push(
      h("p", {}, "Inside, each layer turns the picture into many ", h("b", {}, "feature maps"), " A", h("sup", {}, "k"), ". Layer ", h("code", {}, layer.name), ` has ${C} of them, each ${H}×${W}: one number per region of the picture.`),
      h("p", {}, `Each channel k is a pattern detector: ${words.high} where its pattern (an edge, a texture, a part of an object…) appears, ${words.low} where it does not (each tile on its own scale). Deeper layers detect larger, more meaningful patterns, on a coarser grid.`),
      h("p", {}, `Here are the ${Math.min(8, C)} channels that matter most for “${cname}” (see the next step). The “Feature maps” tab shows all ${C}.`),
    );
    const tiles = order.slice(0, 8).map((k) => {
      const c = planeCanvas(acts.data.subarray(k * Z, (k + 1) * Z), H, W, 156);
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", `channel ${k} of ${layer.name}, weight ${fmt(weights[k])}`);
      last.push({ canvas: c, caption: `channel ${k} · w = ${fmt(weights[k])}` });
      return figure(c, `k = ${k} · w = ${fmt(weights[k])}`);
    });
    visual = [h("div", { class: `tiles${tiles.length > 8 ? " many" : ""}` }, tiles)];
  } else if (step === 2) {
    const top = order.slice(0, 3);
    text.push(
      h("p", {}, "How much does each channel matter for class ", h("b", {}, cname), "? Backpropagation gives the gradient ∂y", h("sup", {}, "c"), "/∂A", h("sup", {}, "k"), ": how the score would change if that channel were brighter at that place. Grad-CAM averages it over the ", `${H}×${W} = ${Z}`, " positions (Z):"),
      formula("weight"),
      h("p", {}, `For “${cname}” at ${layer.name}: ${positive} of ${C} channels have a positive weight (orange bars, up), ${C - positive} negative (blue bars, down). The strongest: `,
        top.map((k, i) => [i ? ", " : "", h("b", {}, `k = ${k}`), ` (${fmt(weights[k])})`])),
    );
    const bars = h("canvas", { class: "bars", role: "img", "aria-label": `Grad-CAM weights of the ${C} channels for ${cname}, sorted` });
    visual = [h("figure", {}, bars, h("figcaption", {}, `Grad-CAM weights w_k for “${cname}”, all ${C} channels, largest first`))];
    requestAnimationFrame(() => {
      const big = document.documentElement.classList.contains("large");
      drawBars(bars, weights, order, { title: `w_k for ${cname} (${layer.name})`, mark: top, font: Math.round((big ? 18 : 14) * teachScale(root)) });
    });
    last.push({ canvas: bars, caption: `Grad-CAM weights for ${cname}, largest first` });
  } else if (step === 3) {
    const [, peak] = gcMap ? minMax(gcMap) : [0, 0];
    text.push(
      h("p", {}, "The Grad-CAM map adds the feature maps up, each multiplied by its weight, and keeps only the positive part (ReLU): places that ", h("i", {}, "raise"), " the score."),
      formula("gradcam"),
      h("p", {}, `The result is ${H}×${W}, like the layer; it is stretched (bilinear) onto the picture and coloured. Its largest value here is ${fmt(peak)} — in units of the score's sensitivity; the colours are scaled to that peak.`),
      h("p", { "data-testid": "colour-words" }, `${words.high.charAt(0).toUpperCase()}${words.high.slice(1)}: strong evidence for `, h("b", {}, cname), `. ${words.low.charAt(0).toUpperCase()}${words.low.slice(1)}: no evidence (zero). (Colours: ${words.name}.)`),
    );
    if (gcMap) {
      const over = mapCanvas(picture, maps, "gradcam", cls);
      const plain = planeCanvas(gcMap, H, W, 250);
      over.setAttribute("role", "img");
      over.setAttribute("aria-label", `Grad-CAM map for ${cname} on ${picture.name}, peak ${fmt(peak)}`);
      plain.setAttribute("role", "img");
      plain.setAttribute("aria-label", `the raw ${H}×${W} Grad-CAM map for ${cname}, peak ${fmt(peak)}`);
      visual = [h("div", { class: "pair" }, figure(over, `Grad-CAM for “${cname}” on the picture`), figure(plain, `the raw ${H}×${W} map`))];
      last.push({ canvas: over, caption: `Grad-CAM · ${cname} · on the picture` }, { canvas: plain, caption: `Grad-CAM · ${cname} · the raw ${H}×${W} map` });
      lastMethods = ["gradcam"];
    }
  } else if (step === 4) {
    text.push(
      h("p", {}, "Layer-CAM does not average the gradient into one weight per channel: it keeps it ", h("b", {}, "at every position"), ", and only where it is positive:"),
      formula("layercam"),
      h("p", {}, "(⊙ multiplies position by position.) A channel then counts only where it actually helps the class, so the map keeps finer detail — most visible on earlier layers. Try changing the layer above."),
    );
    if (gcMap && lcMap) {
      const a = mapCanvas(picture, maps, "gradcam", cls, 420);
      const b = mapCanvas(picture, maps, "layercam", cls, 420);
      a.setAttribute("role", "img");
      a.setAttribute("aria-label", `Grad-CAM map for ${cname} on ${picture.name}, peak ${fmt(maxOf(gcMap))}`);
      b.setAttribute("role", "img");
      b.setAttribute("aria-label", `Layer-CAM map for ${cname} on ${picture.name}, peak ${fmt(maxOf(lcMap))}`);
      visual = [h("div", { class: "pair" }, figure(a, `Grad-CAM · ${cname}`), figure(b, `Layer-CAM · ${cname}`))];
      last.push({ canvas: a, caption: `Grad-CAM · ${cname} · peak ${fmt(maxOf(gcMap))}` }, { canvas: b, caption: `Layer-CAM · ${cname} · peak ${fmt(maxOf(lcMap))}` });
      lastMethods = ["gradcam", "layercam"];
    }
  } else if (step === STEP.gradcampp) {
    const pp = maps.methodWeights && maps.methodWeights.gradcampp ? maps.methodWeights.gradcampp[cls] : null;
    const ppMap = maps.maps.gradcampp ? maps.maps.gradcampp[cls] : null;
    text.push(h("p", {}, TEACH.gradcamppIntro), formula("gradcamppAlpha"), formula("gradcamppWeight"));
    if (pp && ppMap && gcMap) {
      const ppOrder = channelOrder(C, pp, "weight");
      text.push(
        h("p", { "data-testid": "teach-numbers" }, TEACH.gradcamppNumbers({
          cname, layer: layer.name, top: { k: ppOrder[0], w: pp[ppOrder[0]], gc: weights[ppOrder[0]] }, gcTop: order[0],
          positive: pp.filter((v) => v > 0).length, gcPositive: positive, C, peak: maxOf(ppMap), gcPeak: maxOf(gcMap),
        })),
      );
      const a = mapCanvas(picture, maps, "gradcam", cls, 420);
      const b = mapCanvas(picture, maps, "gradcampp", cls, 420);
      a.setAttribute("role", "img");
      a.setAttribute("aria-label", LABELS.mapAlt(methodTitle("gradcam"), cname, picture.name, maxOf(gcMap)));
      b.setAttribute("role", "img");
      b.setAttribute("aria-label", LABELS.mapAlt(methodTitle("gradcampp"), cname, picture.name, maxOf(ppMap)));
      visual = [h("div", { class: "pair" }, figure(a, `${methodTitle("gradcam")} · ${cname}`), figure(b, `${methodTitle("gradcampp")} · ${cname}`))];
      last.push({ canvas: a, caption: `${methodTitle("gradcam")} · ${cname} · peak ${fmt(maxOf(gcMap))}` }, { canvas: b, caption: `${methodTitle("gradcampp")} · ${cname} · peak ${fmt(maxOf(ppMap))}` });
      lastMethods = ["gradcam", "gradcampp"];
    }
  } else if (step === STEP.eigencam) {
    const eig = maps.maps.eigencam;
    text.push(h("p", {}, TEACH.eigencamIntro({ positions: `${H}×${W} = ${Z}`, C })), formula("eigencam"), h("p", {}, TEACH.eigencamSign));
    if (eig) {
      text.push(h("p", { "data-testid": "teach-numbers" }, TEACH.eigencamNumbers({ names, peaks: eig.map(maxOf), layer: layer.name })));
      const over = mapCanvas(picture, maps, "eigencam", cls, 420);
      const plain = planeCanvas(eig[cls], H, W, 250);
      over.setAttribute("role", "img");
      over.setAttribute("aria-label", LABELS.mapAlt(methodTitle("eigencam"), LABELS.everyClass, picture.name, maxOf(eig[cls])));
      plain.setAttribute("role", "img");
      plain.setAttribute("aria-label", LABELS.rawAlt(methodTitle("eigencam"), `${H}×${W}`, maxOf(eig[cls])));
      visual = [h("div", { class: "pair" }, figure(over, LABELS.onPicture(methodTitle("eigencam"))), figure(plain, LABELS.raw(`${H}×${W}`)))];
      last.push({ canvas: over, caption: `${methodTitle("eigencam")} · ${LABELS.everyClass} · peak ${fmt(maxOf(eig[cls]))}` }, { canvas: plain, caption: `${methodTitle("eigencam")} · ${LABELS.raw(`${H}×${W}`)}` });
      lastMethods = ["eigencam"];
    }
  } else if (step === STEP.scorecam) {
    const spec = { kind: "score", layer: maps.layer };
    const key = extraKey(spec);
    const score = extras && extras.get(key);
    text.push(h("p", {}, TEACH.scorecamIntro), formula("scorecam"), h("p", {}, TEACH.scorecamCost({ C })));
    if (!score) {
      // Until the passes have run: the picture the masks will cover.
      const pic = makeCanvas(...fitSize(picture.width, picture.height, 420));
      pic.getContext("2d").drawImage(picture.canvas, 0, 0, pic.width, pic.height);
      pic.setAttribute("role", "img");
      pic.setAttribute("aria-label", `the picture ${picture.name}`);
      visual = [figure(pic, TEACH_CAPTIONS.masked)];
      last.push({ canvas: pic, caption: TEACH_CAPTIONS.masked });
      lastLines.push(TEACH.scorecamNotRun);
    }
    if (!score && !scoreStarted.has(`${state.model.version}|${picture.id}|${maps.layer}`)) {
      text.push(h("p", {}, h("button", {
        type: "button",
        class: "primary",
        "data-focus": "run-scorecam",
        onclick: () => {
          scoreStarted.add(`${state.model.version}|${picture.id}|${maps.layer}`);
          touch("results"); // the view asks again, now for the passes
        },
      }, TEACH.scorecamRun({ C }))));
    } else if (!score) {
      text.push(h("p", {}, TEACH.scorecamWait), progressLine(`${picture.id}|${key}`, "scorecam"));
    } else {
      const w = score.weights[cls];
      const top = channelOrder(C, w, "weight").slice(0, 3).map((k) => ({ k, w: w[k] }));
      text.push(h("p", { "data-testid": "teach-numbers" }, TEACH.scorecamNumbers({ cname, C, seconds: (score.ms / 1000).toFixed(2), top })));
      const map = score.maps[cls];
      const over = anyMapCanvas(picture, map, score.shape, `${picture.id}|${state.model.version}|${key}|${cls}`);
      const title = methodTitle("scorecam");
      over.setAttribute("aria-label", LABELS.mapAlt(title, cname, picture.name, maxOf(map)));
      const bars = h("canvas", { class: "bars", role: "img", "aria-label": LABELS.chartAlt(title, C, cname) });
      visual = [figure(over, `${title} · ${cname}`), h("figure", {}, bars, h("figcaption", {}, LABELS.chartCaption(title, cname)))];
      requestAnimationFrame(() => drawBars(bars, w, channelOrder(C, w, "weight"), { title: LABELS.chartTitle(cname, layer.name), mark: top.map((t) => t.k), font: Math.round(14 * teachScale(root)) }));
      last.push({ canvas: over, caption: `${title} · ${cname} · peak ${fmt(maxOf(map))}` });
      lastMethods = ["scorecam"];
    }
  } else if (step === STEP.guided) {
    const guided = rowResult({ id: "guidedbackprop", method: "guidedbackprop" }, picture.id, maps, extras);
    const product = rowResult({ id: "guidedgradcam", method: "guidedgradcam" }, picture.id, maps, extras);
    text.push(h("p", {}, TEACH.guidedIntro), formula("guided"), h("p", {}, TEACH.guidedProduct));
    if (guided.type !== "rgb" || product.type !== "rgb" || !gcMap) {
      text.push(h("p", {}, TEACH.guidedWait));
    } else {
      const [ih, iw] = guided.size;
      text.push(h("p", { "data-testid": "teach-numbers" }, TEACH.guidedNumbers({
        cname, guidedPeak: guided.peaks[cls], productPeak: product.peaks[cls], gcPeak: maxOf(gcMap), grid: `${H}×${W}`, input: `${iw}×${ih}`,
      })));
      const side = 300;
      const g = makeCanvas(...fitSize(picture.width, picture.height, side));
      drawGradientImage(g, guided.rgba[cls], ih, iw, `${guided.key}|${cls}`);
      g.setAttribute("role", "img");
      g.setAttribute("aria-label", gradientAlt({ method: methodTitle("guidedbackprop"), className: cname, picture: picture.name, peak: guided.peaks[cls] }));
      const m = mapCanvas(picture, maps, "gradcam", cls, side);
      m.setAttribute("role", "img");
      m.setAttribute("aria-label", LABELS.mapAlt(methodTitle("gradcam"), cname, picture.name, maxOf(gcMap)));
      const p = makeCanvas(...fitSize(picture.width, picture.height, side));
      drawGradientImage(p, product.rgba[cls], ih, iw, `${product.key}|${cls}`);
      p.setAttribute("role", "img");
      p.setAttribute("aria-label", gradientAlt({ method: methodTitle("guidedgradcam"), className: cname, picture: picture.name, peak: product.peaks[cls] }));
      visual = [h("div", { class: "tiles three" }, figure(g, TEACH_CAPTIONS.guided), figure(m, TEACH_CAPTIONS.gradcamUp), figure(p, TEACH_CAPTIONS.product))];
      last.push(
        { canvas: g, caption: `${TEACH_CAPTIONS.guided} · ${cname}` },
        { canvas: m, caption: `${methodTitle("gradcam")} · ${cname} · peak ${fmt(maxOf(gcMap))}` },
        { canvas: p, caption: `${TEACH_CAPTIONS.product} · ${cname}` },
      );
      lastMethods = ["gradcam"];
      lastLines.push(rgbLegend([TEACH_CAPTIONS.guided, TEACH_CAPTIONS.product]));
    }
  } else if (step === STEP.all) {
    const catalog = state.model.catalog || [];
    text.push(h("p", {}, TEACH.allIntro({ cname, layer: layerWithGrid(layer.name, maps.shape) })));
    const peakOf = (m) => {
      if (maps.maps[m.name]) return fmt(maxOf(maps.maps[m.name][cls]));
      const score = m.kind === "score" && extras && extras.get(extraKey({ kind: "score", layer: maps.layer }));
      return score ? fmt(maxOf(score.maps[cls])) : TEACH.notComputed;
    };
    text.push(
      h("table", { class: "numbers methods-table", "data-testid": "all-methods" },
        h("thead", {}, h("tr", {}, TEACH.allHead.map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, catalog.map((m) => h("tr", { "data-method": m.name }, h("td", {}, m.title), h("td", { class: "plain-formula" }, m.formula), h("td", { class: "num" }, m.kind === "picture" ? TEACH.notComputed : peakOf(m)))))),
    );
    const tiles = catalog.filter((m) => maps.maps[m.name]).map((m) => {
      const c = mapCanvas(picture, maps, m.name, cls, 200);
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", LABELS.mapAlt(m.title, cname, picture.name, maxOf(maps.maps[m.name][cls])));
      last.push({ canvas: c, caption: `${m.title} · ${cname} · peak ${fmt(maxOf(maps.maps[m.name][cls]))}` });
      lastMethods.push(m.name);
      return figure(c, m.title);
    });
    visual = [h("div", { class: `tiles${tiles.length > 8 ? " many" : ""}` }, tiles)];
  } else {
    const t = state.timings;
    const row = (what, value, meaning) => h("tr", {}, h("td", {}, what), h("td", { class: "num" }, value), h("td", {}, meaning));
    text.push(
      h("table", { class: "numbers" }, h("tbody", {},
        row("probability", percent(prediction.probabilities[cls]), `how sure the network is that this is a ${cname} (softmax of the scores; all classes add up to 100 %)`),
        row("score y", prediction.logits[cls].toFixed(3), "the raw output for the class before softmax; the maps explain this number"),
        row("weight w", order.length ? fmt(weights[order[0]]) : "–", "Grad-CAM: how much one channel matters (the largest is shown)"),
        row("peak", gcMap ? fmt(maxOf(gcMap)) : "–", "the largest map value; “per map” colours scale each map to its own peak"),
        row("grid", `${H}×${W}`, `the map's resolution at ${layer.name}; each cell covers about ${Math.round(state.model.info.input[2] / W)} input pixels`),
        row("time", `${ms(t.forwardMs)} + ${ms(t.backwardMs)}`, "forward pass + backward pass on this computer, in WebAssembly"),
      )),
      h("p", { style: { marginTop: "0.8rem" } }, "A heatmap shows where the network found evidence — not that it is right. A confident wrong answer has a map too."),
    );
    if (gcMap) {
      const a = mapCanvas(picture, maps, "gradcam", cls, 420);
      a.setAttribute("role", "img");
      a.setAttribute("aria-label", `Grad-CAM map for ${cname} on ${picture.name}, peak ${fmt(maxOf(gcMap))}`);
      visual = [figure(a, `Grad-CAM · ${cname} · ${layer.name}`)];
      last.push({ canvas: a, caption: `Grad-CAM · ${cname} · peak ${fmt(maxOf(gcMap))}` });
      lastMethods = ["gradcam"];
    }
  }

  // The step buttons stay focusable at the ends (aria-disabled, not disabled), and the
  // element that had the focus gets it back after the step is redrawn.
  const go = (i) => update({ teachStep: Math.max(0, Math.min(STEPS.length - 1, i)) });
  exportButton.setAttribute("aria-label", saveName(`step ${step + 1} as a picture`));
  const nav = h(
    "div",
    { class: "teach-nav" },
    h("button", { type: "button", "data-focus": "prev", onclick: () => go(step - 1), "aria-disabled": step === 0 ? "true" : null, "aria-label": "Previous step" }, "←"),
    h("div", { class: "dots" }, STEPS.map((s, i) =>
      h("button", { type: "button", "data-focus": `step-${i}`, title: s, "aria-label": `Step ${i + 1}: ${s}`, "aria-current": i === step ? "step" : false, onclick: () => go(i) }, String(i + 1)))),
    h("button", { type: "button", "data-focus": "next", onclick: () => go(step + 1), "aria-disabled": step === STEPS.length - 1 ? "true" : null, "aria-label": "Next step" }, "→"),
    h("span", { class: "label" }, `class “${cname}” · layer ${layerWithGrid(layer.name, maps.shape)} · keys ← →`),
    h("span", { style: { flex: 1 } }),
    exportButton,
  );
  keepFocus(root, () => {
    clear(root).append(
      nav,
      h("div", { class: "teach" }, h("div", { class: "teach-text" }, h("h2", {}, `${step + 1} · ${STEPS[step]}`), text), h("div", { class: "visual" }, visual)),
    );
  });
  root.dataset.step = String(step);
  fitTeach(root);
}

function teachScale(root) {
  return Number(root.style.getPropertyValue("--teach-scale")) || 1;
}

// The step fits the window without scrolling: the pictures get at most the height left, and
// the text shrinks (to 60 % at the least) while the page would still scroll.
function fitTeach(root) {
  root.style.setProperty("--teach-scale", "1");
  const visual = root.querySelector(".visual");
  const below = parseFloat(getComputedStyle(document.querySelector("main")).paddingBottom) + document.querySelector("footer").offsetHeight;
  const room = () => Math.max(120, window.innerHeight - visual.getBoundingClientRect().top - window.scrollY - below - 2.5 * parseFloat(getComputedStyle(visual).fontSize));
  root.style.setProperty("--visual-max", `${Math.floor(room())}px`);
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const over = document.documentElement.scrollHeight - window.innerHeight;
    if (over <= 0 || scale <= 0.6) break;
    scale = Math.max(0.6, scale * Math.min(0.95, 1 - over / (2 * window.innerHeight)));
    root.style.setProperty("--teach-scale", scale.toFixed(3));
    root.style.setProperty("--visual-max", `${Math.floor(room())}px`);
  }
}

export function exportTeach({ picture, prediction, maps }) {
  const step = Math.max(0, Math.min(STEPS.length - 1, state.teachStep));
  if (!last || !last.length) return null;
  const names = classNames();
  const cls = focusClassOf(prediction);
  const layer = { name: layerName(state.model.info, maps.layer) };
  const lines = figureLines({ picture, prediction, layer: maps.layer, shape: maps.shape, norm: "map", methods: lastMethods.length ? lastMethods : null });
  const legends = lastMethods.map((m) => ({ lut: state.model.luts[state.cmap], label: methodTitle(m), low: "0", high: "the map's peak" }));
  if (step === 1) legends.push({ lut: state.model.luts[state.cmap], label: "activation (per tile)", low: "tile's min", high: "tile's max" });
  if (step === 2) legends.push({ label: "Grad-CAM weight", swatches: [{ colour: BAR_POSITIVE, text: "positive" }, { colour: BAR_NEGATIVE, text: "negative" }] });
  if (step === 0) lines.push("the picture as the network gets it: no map and no colour scale in this step");
  lines.push(...lastLines);
  if (step === 1) {
    const w = cmapWords(state.cmap);
    lines.splice(-2, 2, `the ${last.length} channels with the largest Grad-CAM weight for ${names[cls]}; each tile scaled on its own`, `colours ${w.name}: ${w.low} = a tile's min, ${w.high} = its max`);
  }
  const canvas = composeTable({
    title: `camscope — How it works, step ${step + 1}: ${STEPS[step]}`,
    lines: [`class ${names[cls]}${state.focusClass < 0 ? " (the predicted class)" : ""}`, ...lines],
    rows: [last],
    cell: Math.min(720, Math.max(...last.map((c) => Math.max(c.canvas.width, c.canvas.height)))),
    legends,
    footer: [`model ${state.model.name}`],
  });
  const parts = ["how-it-works", `step-${step + 1}-${STEPS[step]}`, pictureStem(picture.name), layerWithGrid(layer.name, maps.shape), names[cls], { text: lastMethods.join("+"), max: 200 }];
  return { canvas, parts };
}

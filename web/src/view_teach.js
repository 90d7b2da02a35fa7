// The "How it works" view: Grad-CAM and Layer-CAM in five steps, then Grad-CAM++, Eigen-CAM,
// Score-CAM, Guided Grad-CAM and every other method, each with its formula and this picture's
// own numbers; large type, ← → to move (for a class on a projector).
import { state, update, touch, classNames, focusClassOf, layerName } from "./state.js";
import { h, clear, percent, ms, keepFocus } from "./dom.js";
import {
  makeCanvas, fitSize, renderMap, drawBars, heatCanvas, minMax, fmt, maxOf, composeTable, drawGradientImage, BAR_POSITIVE, BAR_NEGATIVE,
} from "./draw.js";
import { channelOrder } from "./view_features.js";
import { figureLines, TABLET_WIDTH } from "./view_explain.js";
import { methodTitle, rowResult } from "./methods.js";
import { extraKey, cachedExtra } from "./engine.js";
import {
  cmapWords, knowsOnly, layerWithGrid, saveName, pictureStem, TEACH_STEPS, TEACH, TEACH_CAPTIONS, progressText, gradientAlt, rgbLegend, LABELS, TEACH_UI, EXPLAIN, METHOD_FORMULAS,
} from "./text.js";

// Rich text (text_en.js TEACH_UI) as nodes: strings as they are, [tag, text] as elements.
function rich(parts) {
  return parts.map((p) => (Array.isArray(p) ? h(p[0], {}, p[1]) : p));
}

// The steps' titles in the current language (a Proxy would do, but a function is plain).
export const STEP_COUNT = 11;
export function stepTitles() {
  return [...TEACH_UI.steps, TEACH_STEPS.gradcampp, TEACH_STEPS.eigencam, TEACH_STEPS.scorecam, TEACH_STEPS.guided, TEACH_STEPS.all, TEACH_UI.numbersStep];
}
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
    '<var>L</var><sub>Eigen-CAM</sub> = <span class="fn">ReLU</span>( (<var>A</var> − <span style="text-decoration: overline"><var>A</var></span>) <var>v</var><sub>1</sub> ),&ensp; <var>A</var> − <span style="text-decoration: overline"><var>A</var></span> = <var>U</var> <var>Σ</var> <var>V</var><sup>T</sup>,&ensp; <var>v</var><sub>1</sub> = {firstColumn} <var>V</var>',
  scorecam:
    '<var>w</var><span class="ss"><sup><var>c</var></sup><sub><var>k</var></sub></span> = <span class="fn">softmax</span>( <var>f</var>( <var>X</var> ⊙ <span class="fn">norm</span>(<span class="fn">up</span>(<var>A</var><sup><var>k</var></sup>)) ) )<sub><var>c</var></sub>,&ensp; <var>L</var><span class="ss"><sup><var>c</var></sup><sub>Score-CAM</sub></span> = <span class="fn">ReLU</span>( <span class="op">Σ</span><sub><var>k</var></sub> <var>w</var><span class="ss"><sup><var>c</var></sup><sub><var>k</var></sub></span> <var>A</var><sup><var>k</var></sup> )',
  guided:
    '<var>G</var><sup><var>c</var></sup> = <span class="frac"><span>∂<sup>guided</sup><var>y</var><sup><var>c</var></sup></span><span>∂<var>X</var></span></span>,&ensp; Guided Grad-CAM = <var>G</var><sup><var>c</var></sup> ⊙ <span class="fn">up</span>(<var>L</var><span class="ss"><sup><var>c</var></sup><sub>Grad-CAM</sub></span>)',
};

// Formulas stay as they are in every language (translate="no"); one phrase is a word.
const formula = (name) => h("div", { class: "formula", html: F[name].replace("{firstColumn} <var>V</var>", `${TEACH_UI.firstColumn[0]} <var>V</var> ${TEACH_UI.firstColumn[1]}`), role: "math", "aria-label": name, translate: "no" });

// A map of any method (raw at `shape`) over the picture, scaled to its own peak.
function anyMapCanvas(picture, map, shape, key, side = 420) {
  const canvas = makeCanvas(...fitSize(picture.width, picture.height, side));
  renderMap(canvas, picture.canvas, map, shape, { scale: maxOf(map), lut: state.model.luts[state.cmap], cmap: state.cmap, alpha: state.opacity, key, empty: LABELS.emptyMap });
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
    empty: LABELS.emptyMap,
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
  canvas.dataset.enlarge = "";
  return h("figure", {}, canvas, h("figcaption", {}, caption));
}

export function renderTeach(root, { picture, prediction, maps, acts, extras }, exportButton) {
  const STEPS = stepTitles();
  const names = classNames();
  const cls = focusClassOf(prediction);
  const cname = names[cls];
  const step = Math.max(0, Math.min(STEP_COUNT - 1, state.teachStep));
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
      h("p", {}, rich(TEACH_UI.guess(`${state.model.info.input[2]}×${state.model.info.input[1]}`))),
      h("table", { class: "numbers" }, h("tbody", {}, names.map((n, c) =>
        h("tr", {}, h("td", {}, n), h("td", {}, TEACH_UI.scoreY, y(c)), h("td", {}, TEACH_UI.probability, h("b", {}, percent(prediction.probabilities[c]))))))),
      h("p", { style: { marginTop: "0.8rem" } }, TEACH_UI.softmaxLead),
      formula("softmax"),
      h("p", {}, rich(TEACH_UI.why(names[prediction.predicted]))),
      h("p", { class: "small muted" }, knowsOnly(names)),
    );
    const pic = makeCanvas(...fitSize(picture.width, picture.height, 520));
    pic.getContext("2d").drawImage(picture.canvas, 0, 0, pic.width, pic.height);
    pic.setAttribute("role", "img");
    pic.setAttribute("aria-label", TEACH_UI.picture(picture.name));
    visual = [figure(pic, picture.name)];
    last.push({ canvas: pic, caption: picture.name });
  } else if (step === 1) {
    text.push(
      h("p", {}, rich(TEACH_UI.inside(layer.name, C, H, W))),
      h("p", {}, TEACH_UI.detector(words.high, words.low)),
      h("p", {}, TEACH_UI.topChannels(Math.min(8, C), cname, C)),
    );
    const tiles = order.slice(0, 8).map((k) => {
      const c = planeCanvas(acts.data.subarray(k * Z, (k + 1) * Z), H, W, 156);
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", TEACH_UI.channelAlt(k, layer.name, fmt(weights[k])));
      last.push({ canvas: c, caption: TEACH_UI.channelCap(k, fmt(weights[k])) });
      return figure(c, `k = ${k} · w = ${fmt(weights[k])}`);
    });
    visual = [h("div", { class: `tiles${tiles.length > 8 ? " many" : ""}` }, tiles)];
  } else if (step === 2) {
    const top = order.slice(0, 3);
    text.push(
      h("p", {}, rich(TEACH_UI.howMuch(cname, `${H}×${W} = ${Z}`))),
      formula("weight"),
      h("p", {}, TEACH_UI.signs(cname, layer.name, positive, C),
        top.map((k, i) => [i ? ", " : "", h("b", {}, `k = ${k}`), ` (${fmt(weights[k])})`])),
    );
    const bars = h("canvas", { class: "bars", role: "img", "aria-label": TEACH_UI.barsAlt(C, cname) });
    visual = [h("figure", {}, bars, h("figcaption", {}, TEACH_UI.barsCap(cname, C)))];
    requestAnimationFrame(() => {
      const big = document.documentElement.classList.contains("large");
      drawBars(bars, weights, order, { title: TEACH_UI.barsTitle(cname, layer.name), mark: top, font: Math.round((big ? 18 : 14) * teachScale(root)) });
    });
    last.push({ canvas: bars, caption: TEACH_UI.barsExport(cname) });
  } else if (step === 3) {
    const [, peak] = gcMap ? minMax(gcMap) : [0, 0];
    text.push(
      h("p", {}, rich(TEACH_UI.gcAdds)),
      formula("gradcam"),
      h("p", {}, TEACH_UI.gcResult(`${H}×${W}`, fmt(peak))),
      h("p", { "data-testid": "colour-words" }, rich(TEACH_UI.colourWords(`${words.high.charAt(0).toUpperCase()}${words.high.slice(1)}`, cname, `${words.low.charAt(0).toUpperCase()}${words.low.slice(1)}`, words.name))),
    );
    if (gcMap) {
      const over = mapCanvas(picture, maps, "gradcam", cls);
      const plain = planeCanvas(gcMap, H, W, 250);
      over.setAttribute("role", "img");
      over.setAttribute("aria-label", LABELS.mapAlt("Grad-CAM", cname, picture.name, peak));
      plain.setAttribute("role", "img");
      plain.setAttribute("aria-label", TEACH_UI.rawGcAlt(`${H}×${W}`, cname, fmt(peak)));
      visual = [h("div", { class: "pair" }, figure(over, TEACH_UI.gcOver(cname)), figure(plain, TEACH_UI.rawMap(`${H}×${W}`)))];
      last.push({ canvas: over, caption: TEACH_UI.gcOverExport(cname) }, { canvas: plain, caption: `Grad-CAM · ${cname} · ${TEACH_UI.rawMap(`${H}×${W}`)}` });
      lastMethods = ["gradcam"];
    }
  } else if (step === 4) {
    text.push(
      h("p", {}, rich(TEACH_UI.layercamIntro)),
      formula("layercam"),
      h("p", {}, TEACH_UI.layercamMore),
    );
    if (gcMap && lcMap) {
      const a = mapCanvas(picture, maps, "gradcam", cls, 420);
      const b = mapCanvas(picture, maps, "layercam", cls, 420);
      a.setAttribute("role", "img");
      a.setAttribute("aria-label", LABELS.mapAlt("Grad-CAM", cname, picture.name, maxOf(gcMap)));
      b.setAttribute("role", "img");
      b.setAttribute("aria-label", LABELS.mapAlt("Layer-CAM", cname, picture.name, maxOf(lcMap)));
      visual = [h("div", { class: "pair" }, figure(a, `Grad-CAM · ${cname}`), figure(b, `Layer-CAM · ${cname}`))];
      last.push({ canvas: a, caption: `Grad-CAM · ${cname} · ${TEACH_UI.peak(fmt(maxOf(gcMap)))}` }, { canvas: b, caption: `Layer-CAM · ${cname} · ${TEACH_UI.peak(fmt(maxOf(lcMap)))}` });
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
      last.push({ canvas: a, caption: `${methodTitle("gradcam")} · ${cname} · ${TEACH_UI.peak(fmt(maxOf(gcMap)))}` }, { canvas: b, caption: `${methodTitle("gradcampp")} · ${cname} · ${TEACH_UI.peak(fmt(maxOf(ppMap)))}` });
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
      last.push({ canvas: over, caption: `${methodTitle("eigencam")} · ${LABELS.everyClass} · ${TEACH_UI.peak(fmt(maxOf(eig[cls])))}` }, { canvas: plain, caption: `${methodTitle("eigencam")} · ${LABELS.raw(`${H}×${W}`)}` });
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
      pic.setAttribute("aria-label", TEACH_UI.picture(picture.name));
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
      last.push({ canvas: over, caption: `${title} · ${cname} · ${TEACH_UI.peak(fmt(maxOf(map)))}` });
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
        { canvas: m, caption: `${methodTitle("gradcam")} · ${cname} · ${TEACH_UI.peak(fmt(maxOf(gcMap)))}` },
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
        h("tbody", {}, catalog.map((m) => h("tr", { "data-method": m.name }, h("td", {}, methodTitle(m.name)), h("td", { class: "plain-formula", translate: "no" }, METHOD_FORMULAS[m.name] || m.formula), h("td", { class: "num" }, m.kind === "picture" ? TEACH.notComputed : peakOf(m)))))),
    );
    const tiles = catalog.filter((m) => maps.maps[m.name]).map((m) => {
      const c = mapCanvas(picture, maps, m.name, cls, 200);
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", LABELS.mapAlt(methodTitle(m.name), cname, picture.name, maxOf(maps.maps[m.name][cls])));
      last.push({ canvas: c, caption: `${methodTitle(m.name)} · ${cname} · ${TEACH_UI.peak(fmt(maxOf(maps.maps[m.name][cls])))}` });
      lastMethods.push(m.name);
      return figure(c, methodTitle(m.name));
    });
    visual = [h("div", { class: `tiles${tiles.length > 8 ? " many" : ""}` }, tiles)];
  } else {
    const t = state.timings;
    const R = TEACH_UI.rows;
    const row = (what, value, meaning) => h("tr", {}, h("td", {}, what), h("td", { class: "num" }, value), h("td", {}, meaning));
    text.push(
      h("table", { class: "numbers" }, h("tbody", {},
        row(R.probability[0], percent(prediction.probabilities[cls]), R.probability[1](cname)),
        row(R.score[0], prediction.logits[cls].toFixed(3), R.score[1]),
        row(R.weight[0], order.length ? fmt(weights[order[0]]) : "–", R.weight[1]),
        row(R.peak[0], gcMap ? fmt(maxOf(gcMap)) : "–", R.peak[1]),
        row(R.grid[0], `${H}×${W}`, R.grid[1](layer.name, Math.round(state.model.info.input[2] / W))),
        row(R.time[0], `${ms(t.forwardMs)} + ${ms(t.backwardMs)}`, R.time[1]),
      )),
      h("p", { style: { marginTop: "0.8rem" } }, TEACH_UI.caution),
    );
    if (gcMap) {
      const a = mapCanvas(picture, maps, "gradcam", cls, 420);
      a.setAttribute("role", "img");
      a.setAttribute("aria-label", LABELS.mapAlt("Grad-CAM", cname, picture.name, maxOf(gcMap)));
      visual = [figure(a, `Grad-CAM · ${cname} · ${layer.name}`)];
      last.push({ canvas: a, caption: `Grad-CAM · ${cname} · ${TEACH_UI.peak(fmt(maxOf(gcMap)))}` });
      lastMethods = ["gradcam"];
    }
  }

  // The step buttons stay focusable at the ends (aria-disabled, not disabled), and the
  // element that had the focus gets it back after the step is redrawn.
  const go = (i) => update({ teachStep: Math.max(0, Math.min(STEP_COUNT - 1, i)) });
  exportButton.setAttribute("aria-label", saveName(TEACH_UI.stepSave(step + 1)));
  const nav = h(
    "div",
    { class: "teach-nav" },
    h("button", { type: "button", "data-focus": "prev", onclick: () => go(step - 1), "aria-disabled": step === 0 ? "true" : null, "aria-label": TEACH_UI.prev }, "←"),
    h("div", { class: "dots" }, STEPS.map((s, i) =>
      h("button", { type: "button", "data-focus": `step-${i}`, title: s, "aria-label": TEACH_UI.stepLabel(i + 1, s), "aria-current": i === step ? "step" : false, onclick: () => go(i) }, String(i + 1)))),
    h("button", { type: "button", "data-focus": "next", onclick: () => go(step + 1), "aria-disabled": step === STEP_COUNT - 1 ? "true" : null, "aria-label": TEACH_UI.next }, "→"),
    h("span", { class: "label" }, TEACH_UI.navLabel(cname, layerWithGrid(layer.name, maps.shape))),
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
  // A phone or a tablet upright (one column: style.css) scrolls down instead: its text stays
  // readable.
  if (window.innerWidth <= TABLET_WIDTH) {
    root.style.removeProperty("--visual-max");
    return;
  }
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
  const STEPS = stepTitles();
  const step = Math.max(0, Math.min(STEP_COUNT - 1, state.teachStep));
  if (!last || !last.length) return null;
  const names = classNames();
  const cls = focusClassOf(prediction);
  const layer = { name: layerName(state.model.info, maps.layer) };
  const lines = figureLines({ picture, prediction, layer: maps.layer, shape: maps.shape, norm: "map", methods: lastMethods.length ? lastMethods : null });
  const legends = lastMethods.map((m) => ({ lut: state.model.luts[state.cmap], label: methodTitle(m), low: "0", high: TEACH_UI.mapPeak }));
  if (step === 1) legends.push({ lut: state.model.luts[state.cmap], label: TEACH_UI.activation, low: TEACH_UI.tileMin, high: TEACH_UI.tileMax });
  if (step === 2) legends.push({ label: TEACH_UI.gcWeight, swatches: [{ colour: BAR_POSITIVE, text: TEACH_UI.positive }, { colour: BAR_NEGATIVE, text: TEACH_UI.negative }] });
  if (step === 0) lines.push(TEACH_UI.noMap);
  lines.push(...lastLines);
  if (step === 1) {
    const w = cmapWords(state.cmap);
    lines.splice(-2, 2, TEACH_UI.tilesLine(last.length, names[cls]), TEACH_UI.tilesColours(w.name, w.low, w.high));
  }
  const canvas = composeTable({
    title: TEACH_UI.figTitle(step + 1, STEPS[step]),
    lines: [TEACH_UI.figClass(names[cls], state.focusClass < 0), ...lines],
    rows: [last],
    cell: Math.min(720, Math.max(...last.map((c) => Math.max(c.canvas.width, c.canvas.height)))),
    legends,
    footer: [EXPLAIN.model(state.model.name)],
  });
  const parts = ["how-it-works", `step-${step + 1}-${STEPS[step]}`, pictureStem(picture.name), layerWithGrid(layer.name, maps.shape), names[cls], { text: lastMethods.join("+"), max: 200 }];
  return { canvas, parts };
}

// The page's words that depend on what is shown (colour map, normalisation, the model's own
// class names, warnings about a picture, export labels, names for screen readers), in one
// place so that a translation finds them together. Plain functions of their inputs: nothing
// here reads the page state or touches the DOM.
import { fmt as number } from "./draw.js";
import { percent as percentText } from "./dom.js";

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

// The layer with its grid size, as exports and headings name it: "avgpool 6×6".
export function layerWithGrid(name, shape) {
  return `${name} ${shape[1]}×${shape[2]}`;
}

// Name of an export button (distinct for every button; starts with its visible text).
export function saveName(what) {
  return `Save PNG: ${what}`;
}

function capital(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// An export's file name from what it shows (view, picture, layer, method, class, step…):
// "camscope_explain_cat_features.14-13x13_gradcam+layercam_shared.png". Each part is made
// safe for a file name; a long part (a picture's name) is shortened with an ellipsis.
export function exportFileName(parts) {
  const safe = parts
    .filter((p) => p !== null && p !== undefined && p !== "")
    .map((p) => {
      const s = String(p).replace(/×/g, "x").replace(/[^\w.+-]+/g, "-").replace(/^-+|-+$/g, "");
      return s.length > 32 ? `${s.slice(0, 31)}…` : s;
    });
  return `camscope_${safe.join("_")}.png`;
}

// A picture's name without its extension, for file names.
export function pictureStem(name) {
  return String(name).replace(/\.[a-z0-9]{2,5}$/i, "");
}

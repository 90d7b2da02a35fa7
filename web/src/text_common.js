// The page's words that need no translation: numbers as text, file names, the CLI command.
// text_en.js and text_zh.js (the words) use them; text.js hands them out too.

// The layer with its grid size, as exports and headings name it: "avgpool 6×6".
export function layerWithGrid(name, shape) {
  return `${name} ${shape[1]}×${shape[2]}`;
}

// An export's file name from what it shows (view, picture, layer, method, class, step…):
// "camscope_explain_cat_features.14-13x13_gradcam+layercam_shared.png". Each part is made
// safe for a file name; a long part (a picture's name) is shortened with an ellipsis. A part
// given as {text, max} may be longer (a list of methods: up to max characters).
export function exportFileName(parts) {
  const safe = parts
    .filter((p) => p !== null && p !== undefined && p !== "" && !(typeof p === "object" && !p.text))
    .map((p) => {
      const max = typeof p === "object" ? p.max : 32;
      const s = String(typeof p === "object" ? p.text : p).replace(/×/g, "x").replace(/[^\w.+\u4e00-\u9fff-]+/g, "-").replace(/^-+|-+$/g, "");
      return s.length > max ? `${s.slice(0, max - 1)}…` : s;
    });
  return `camscope_${safe.join("_")}.png`;
}

// A picture's name without its extension, for file names.
export function pictureStem(name) {
  return String(name).replace(/\.[a-z0-9]{2,5}$/i, "");
}

// The fused layers, for captions and exports: "layer2 + layer3 + layer4".
export function fusedLayers(names) {
  return names.join(" + ");
}

// |ρ| at or above this once the whole network is re-initialised: "barely changes" (a rule of
// thumb, stated as such on the page).
export const SANITY_STILL = 0.5;

// A probability or an AUC with 3 decimals; "–" for nothing.
export function score(v) {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3);
}

// A share in per cent (0.123 -> "12.3 %").
export function share(v) {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(100 * v).toFixed(1)} %`;
}

// "0.123 ± 0.045"
export function meanSd(m, sd, digits = 3) {
  if (!Number.isFinite(m)) return "–";
  return `${m.toFixed(digits)} ± ${Number.isFinite(sd) ? sd.toFixed(digits) : "–"}`;
}

// ρ under a map: "0.84", "−0.24" (a real minus sign), "–" for none.
export function rhoText(rho) {
  if (rho === null || rho === undefined || !Number.isFinite(rho)) return "–";
  return rho < 0 ? `−${(-rho).toFixed(2)}` : rho.toFixed(2);
}

// A file name or path quoted for a shell when it needs it.
function shellWord(s) {
  return /^[\w./+,:=@-]+$/.test(s) ? s : `'${String(s).replace(/'/g, "'\\''")}'`;
}

// The exact `camscope evaluate` command for the same settings (ROAD included by default).
export function evaluateCommand({ pictures, weights, layer, methods, classes, steps, deletion, insertion }) {
  return [
    "camscope evaluate",
    ...pictures.map(shellWord),
    "--weights", shellWord(weights),
    "--layer", shellWord(layer),
    "--method", methods.join(","),
    "--class", classes,
    "--steps", String(steps),
    "--deletion-baseline", deletion,
    "--insertion-baseline", insertion,
    "--out", "camscope_out",
  ].join(" ");
}

// A file name for a data export (CSV, JSON) from the same parts as exportFileName.
export function dataFileName(parts, ext) {
  return exportFileName(parts).replace(/\.png$/, `.${ext}`);
}

// A value against the random map's: "same", "better" or "worse" ("" when either is missing);
// better: "lower" or "higher" (METRICS[metric].better). The one rule behind the page's words
// and its ✓ ✗ = marks.
export function againstRandom(better, value, random) {
  if (!Number.isFinite(value) || !Number.isFinite(random)) return "";
  if (value === random) return "same";
  return (better === "lower" ? value < random : value > random) ? "better" : "worse";
}

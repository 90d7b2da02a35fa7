// The printable lab report (issue 14): the Compare view's figures — one per table and
// picture, with its title and colour scale — under a header naming the model (name, size,
// CRC-32, SHA-256), layer, methods, normalisation and colour scale. It is a section of the
// page that only paper shows (style.css's print rules); the browser's own print dialog
// prints it or saves it as PDF, so no PDF library is needed.
import { state, classNames, chosenMethods, layerName } from "./state.js";
import { h, clear, append } from "./dom.js";
import { makeCanvas, drawLegend } from "./draw.js";
import { weightsInfo } from "./engine.js";
import { methodTitle } from "./methods.js";
import { reportFigures } from "./view_compare.js";
import { REPORT, reportColours, layerWithGrid, normShort } from "./text.js";

// Builds (or rebuilds) the report section from the Compare view; false when that view has
// not computed every row yet.
export async function buildReport() {
  const tables = reportFigures();
  if (!tables) return false;
  const hashes = await weightsInfo();
  const info = state.model.info;
  const l = info.layers[state.layer];
  const colourBar = makeCanvas(360, 46);
  drawLegend(colourBar, state.model.luts[state.cmap], { low: "0", high: REPORT.top, font: 13 });
  const rows = [
    [REPORT.model, state.model.name + (hashes.bytes ? ` · ${REPORT.file(hashes.bytes)}` : ` · ${REPORT.builtIn}`)],
    [REPORT.crc, hashes.crc32 || "–"],
    [REPORT.sha, hashes.sha256 || (hashes.bytes ? REPORT.noSha : "–")],
    [REPORT.layer, `${layerWithGrid(layerName(info, state.layer), l.shape)} (${l.shape[0]} channels)`],
    [REPORT.methods, chosenMethods().map(methodTitle).join(", ")],
    [REPORT.norm, normShort(state.norm)],
    [REPORT.colours, [reportColours(state.cmap), h("img", { src: colourBar.toDataURL("image/png"), alt: reportColours(state.cmap), class: "report-bar" })]],
    [REPORT.opacity, `${Math.round(state.opacity * 100)} %`],
    [REPORT.classes, classNames().join(", ")],
    [REPORT.pictures, state.pictures.map((p) => p.name).join(", ")],
    [REPORT.printed, new Date().toISOString().slice(0, 16).replace("T", " ")],
  ];
  let section = document.getElementById("report");
  if (!section) {
    section = h("section", { id: "report", "aria-hidden": "true" });
    document.body.append(section);
  }
  append(clear(section), [
    h("h1", {}, REPORT.title),
    h("p", {}, REPORT.intro),
    h("table", { class: "report-facts" }, h("tbody", {}, rows.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))))),
    tables.map((t) =>
      h(
        "section",
        { class: "report-table" },
        h("h2", {}, t.title),
        t.figures.map((f) =>
          h(
            "figure",
            { class: "report-figure" },
            h("img", { src: f.canvas.toDataURL("image/png"), alt: REPORT.figureAlt(t.title, f.picture) }),
            h("figcaption", {}, REPORT.figureAlt(t.title, f.picture)),
          ),
        ),
      ),
    ),
  ]);
  // Wait for the figures' pictures to decode, so that print lays out their final sizes.
  await Promise.all(Array.from(section.querySelectorAll("img"), (img) => (img.decode ? img.decode().catch(() => {}) : null)));
  document.body.classList.add("has-report");
  return true;
}

// "Print lab report": builds the report and opens the browser's print dialog.
export async function printReport(say) {
  if (!(await buildReport())) {
    if (say) say("info", REPORT.waiting);
    return false;
  }
  // After the dialog the page prints as itself again (Ctrl+P is not the report).
  window.addEventListener("afterprint", () => document.body.classList.remove("has-report"), { once: true });
  window.print();
  return true;
}

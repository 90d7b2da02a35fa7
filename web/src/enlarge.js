// Tap (or click) a map to see it large: on a phone the maps are a column of screen-wide
// pictures, and a tap shows one as large as the screen allows, with its label. Any canvas
// with a data-enlarge attribute takes part (Explain's maps, How it works' pictures); the
// enlarged copy is drawn from the canvas as it is, so it needs nothing from the worker.
import { h } from "./dom.js";
import { UI } from "./text.js";

let dialog = null;

function open(canvas) {
  const label = canvas.getAttribute("aria-label") || "";
  const big = document.createElement("canvas");
  // As large as the window allows at the canvas's own shape (the copy is scaled by the
  // browser; at most twice the drawn size in device pixels, so it stays sharp enough).
  const room = Math.min(window.innerWidth - 24, (window.innerHeight - 120) * (canvas.width / canvas.height));
  const w = Math.max(1, Math.round(room));
  const ratio = Math.min(2, window.devicePixelRatio || 1);
  big.width = Math.round(w * ratio);
  big.height = Math.round((w * ratio * canvas.height) / canvas.width);
  big.style.width = `${w}px`;
  const ctx = big.getContext("2d");
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(canvas, 0, 0, big.width, big.height);
  big.setAttribute("role", "img");
  big.setAttribute("aria-label", UI.enlarged(label));
  const caption = canvas.closest(".map-cell, figure");
  const capText = caption ? (caption.querySelector(".cap, figcaption") || {}).textContent || "" : "";
  dialog.replaceChildren(
    big,
    h("p", { class: "enlarge-caption" }, capText && !label.includes(capText) ? `${label} · ${capText}` : label),
    h("button", { type: "button", class: "primary", onclick: () => dialog.close() }, UI.closeEnlarged),
  );
  dialog.showModal();
}

// Installs the one dialog and the page-wide tap handler (once, at start).
export function setupEnlarge() {
  dialog = h("dialog", { id: "enlarge", class: "enlarge" });
  document.body.append(dialog);
  // A tap on the dimmed backdrop or the picture closes it.
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog || e.target.tagName === "CANVAS") dialog.close();
  });
  document.addEventListener("click", (e) => {
    const canvas = e.target && e.target.closest ? e.target.closest("canvas[data-enlarge]") : null;
    if (canvas && !dialog.open) open(canvas);
  });
}

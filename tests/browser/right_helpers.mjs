// Shared pieces of the "Is it right?" tests (right_*.test.mjs): opening the view with a
// number of steps, running `camscope evaluate` on the same pictures, reading its CSV/JSON,
// and what the page computed (window.camscopeDebug.right).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { idle, CLI, SHIPPED_WEIGHTS, WEB } from "./helpers.mjs";

export const SAMPLES = ["both.png", "cat.jpg", "dog.jpg"].map((n) => join(WEB, "samples", n));

// Opens "Is it right?" (key 5) in `part` with `steps` steps and waits until it is done. The
// view starts a 50-step run at once; choosing fewer steps cancels it (a settings change).
export async function openRight(page, { steps = 10, part = "picture" } = {}) {
  await page.keyboard.press("5");
  await page.waitForSelector("#view-right .right");
  if (part !== "picture") await page.click(`#view-right .right-parts button[data-part="${part}"]`);
  if (part !== "sanity") {
    await page.waitForSelector("#right-steps");
    await page.selectOption("#right-steps", String(steps));
  }
  await idle(page);
}

// Runs `camscope evaluate` (ROAD off) and returns {json, csv: [{column: value}]}.
export function cliEvaluate(pictures, out, { steps = 10, classes = "all", deletion = "zero", insertion = "blur", methods = "gradcam,layercam", layer = null } = {}) {
  const args = ["evaluate", ...pictures, "--weights", SHIPPED_WEIGHTS, "--method", methods, "--steps", String(steps), "--road", "none", "--class", classes,
    "--deletion-baseline", deletion, "--insertion-baseline", insertion, "--out", out];
  if (layer) args.push("--layer", layer);
  execFileSync(CLI, args, { stdio: "pipe" });
  const json = JSON.parse(readFileSync(join(out, "evaluate.json"), "utf8"));
  return { json, csv: parseCsv(readFileSync(join(out, "evaluate.csv"), "utf8")) };
}

// A small CSV reader (quoted fields, "" escapes; lines starting with # skipped).
export function parseCsv(text) {
  const records = [];
  let field = "";
  let record = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") record.push(field), (field = "");
    else if (ch === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field || record.length) record.push(field), records.push(record);
  const rows = records.filter((r) => !(r.length === 1 && r[0] === "") && !r[0].startsWith("#"));
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((k, i) => [k, r[i]])));
}

// What the page shows in "This picture": its rows with plain arrays.
export async function pageRows(page) {
  return page.evaluate(() => {
    const d = window.camscopeDebug.right.picture;
    const names = window.camscopeDebug.state.model.info.classes;
    return {
      picture: d.pictureName,
      settings: d.settings,
      classes: d.classes,
      rows: d.rows.map((r) => ({
        method: r.method,
        cls: names[r.cls],
        deletion: Array.from(r.deletion),
        insertion: Array.from(r.insertion),
        deletionAuc: r.deletionAuc,
        insertionAuc: r.insertionAuc,
        confidence: { ...r.confidence },
      })),
    };
  });
}

// The largest |a - b| over two equally long arrays.
export function worstDiff(a, b) {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

export { CLI };

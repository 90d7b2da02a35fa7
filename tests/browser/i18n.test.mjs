// English and Simplified Chinese (issue 12): both dictionaries have every word, the language
// follows the browser's and the switch (remembered across reloads, from file:// too), and in
// Chinese no view shows an English word (allow-list below: method names, units, file and
// layer names, formulas and references marked translate="no").
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { launch, openPage, startServer, idle, encodePng, FILE_URL, WEB } from "./helpers.mjs";

const en = await import(pathToFileURL(join(WEB, "src", "text_en.js")).href);
const zh = await import(pathToFileURL(join(WEB, "src", "text_zh.js")).href);
const { STATIC } = await import(pathToFileURL(join(WEB, "src", "i18n.js")).href);
const text = await import(pathToFileURL(join(WEB, "src", "text.js")).href);

let browser;
let server;
before(async () => {
  browser = await launch();
  server = await startServer();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

// Every key path of a dictionary entry, with the kind of its value ("fn/2", "string"…).
function shape(v, path, out) {
  if (typeof v === "function") out.push(`${path}:fn/${v.length}`);
  else if (Array.isArray(v)) {
    out.push(`${path}:array/${v.length}`);
    v.forEach((x, i) => shape(x, `${path}[${i}]`, out));
  } else if (v && typeof v === "object") for (const k of Object.keys(v).sort()) shape(v[k], `${path}.${k}`, out);
  else out.push(`${path}:${typeof v}`);
  return out;
}

// Where the language legitimately keeps a value (numbers, a rule's name): compared as is.
const SAME_ALLOWED = /^(METRICS\.\w+\.better|TEACH_CAPTIONS\.product|TEACH_UI\.steps\[4\]|UI\.simd|METRICS\.\w+\.(formula|reference|short)|CMAP_WORDS\.\w+\.name|TEACH_STEPS\.\w+|BASELINES\[\d\]\[0\]|STEP_CHOICES\[\d\]\[0\]|RIGHT_PARTS\[\d\]\[0\]|METHOD_GROUPS\[\d\]\[0\])$/;

test("every word is in both dictionaries, with the same shape", () => {
  const names = Object.keys(en).sort();
  assert.deepEqual(Object.keys(zh).sort(), names, "the same exports");
  assert.deepEqual(names.filter((n) => !(n in text)), [], "text.js hands out every word");
  const a = names.flatMap((n) => shape(en[n], n, []));
  const b = names.flatMap((n) => shape(zh[n], n, []));
  const missing = a.filter((x) => !b.includes(x));
  const extra = b.filter((x) => !a.includes(x));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  // No Chinese string is the English one left in place (beyond the allowed).
  const leaves = (v, path, out) => {
    if (typeof v === "string") out[path] = v;
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) leaves(x, Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`, out);
    return out;
  };
  const el = {};
  const zl = {};
  for (const n of names) {
    leaves(en[n], n, el);
    leaves(zh[n], n, zl);
  }
  const same = Object.keys(el).filter((k) => el[k] === zl[k] && /[a-z]{3}/.test(el[k]) && !SAME_ALLOWED.test(k));
  assert.deepEqual(same, [], "strings left in English in text_zh.js");
  for (const [sel, what, e, z] of STATIC) assert.ok(e && z && e !== z, `${sel} ${what} translated`);
  console.log(`dictionary: ${a.length} entries (${Object.keys(el).length} strings, ${a.filter((x) => x.includes(":fn/")).length} functions) + ${STATIC.length} in index.html`);
});

// Words that stay as they are in Chinese: method names, units, formats, keys, names.
const ALLOWED = new Set(
  `camscope Grad-CAM Layer-CAM Grad-CAM++ XGrad-CAM HiResCAM Eigen-CAM Eigen-Grad-CAM Score-CAM Guided SmoothGrad WebAssembly SIMD Worker
  PNG PDF CSV JSON ReLU softmax SVD logits logit AUC ROAD MoRF LeRF Average Drop Increase in Confidence Viridis Gray Turbo Jet px ms
  Spearman Pearson RISE Esc Home End PgUp PgDn Page Up Down tanh Firefox Chrome Edge Safari JavaScript pytorch-grad-cam fan-in
  English Switch to AA csw CRC SHA RGB max min mean
  round HW JPEG WebP BMP GIF Petsiuk Chattopadhyay Adebayo BMVC WACV NeurIPS ICML et al`.split(/\s+/),
);

// Visible text and labelling attributes of the page, outside translate="no" (formulas,
// references, commands), with the model's layer names, the pictures' and files' names taken out.
async function pageWords(page) {
  return page.evaluate(() => {
    const d = window.camscopeDebug;
    const names = [];
    const info = d.state.model.info;
    for (const l of info.layers) names.push(l.name, ...(l.aliases || []));
    for (const p of d.state.pictures) names.push(p.name);
    names.push(d.state.model.name, info.name);
    names.sort((a, b) => b.length - a.length);
    const texts = [];
    const skip = (el) => el.closest('[translate="no"], code, script, style, noscript, [hidden]');
    const visible = (el) => {
      if (skip(el)) return false;
      const s = getComputedStyle(el);
      return s.display !== "none" && s.visibility !== "hidden";
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (el && n.textContent.trim() && visible(el) && !el.closest("dialog:not([open])")) texts.push(n.textContent);
    }
    for (const el of document.querySelectorAll("[title], [aria-label], [alt], [placeholder], optgroup[label]")) {
      if (el.closest('[translate="no"]') || el.closest("dialog:not([open])")) continue;
      for (const a of ["title", "aria-label", "alt", "placeholder", "label"]) if (el.getAttribute(a)) texts.push(el.getAttribute(a));
    }
    texts.push(document.title);
    return texts.map((t) => {
      let s = t;
      for (const n of names) s = s.split(n).join(" ");
      return [t, s];
    });
  });
}

function englishIn(list) {
  const bad = new Map();
  for (const [orig, text] of list) {
    // file names and MIME types ("image/jpeg") are names, not words
    const words = text.replace(/[\w.-]+\.(jpe?g|png|webp|gif|bmp|csw|csv|json)\b/gi, " ").replace(/\b(image|application|text)\/[\w.+-]+/g, " ");
    for (const w of words.match(/[A-Za-z][A-Za-z+'’-]*[A-Za-z+]/g) || []) {
      const word = w.replace(/[’']s$/, "");
      if (ALLOWED.has(word) || /^[A-Z]$/.test(word)) continue;
      if (!bad.has(word)) bad.set(word, orig.slice(0, 120));
    }
  }
  return [...bad.entries()];
}

async function views(page, visit) {
  const found = [];
  views.found = found;
  const said = new Set();
  const look = async (where) => {
    await idle(page);
    for (const [word, inText] of englishIn(await pageWords(page))) {
      if (said.has(inText)) continue; // one line per untranslated text, where first seen
      said.add(inText);
      found.push(`${where}: "${word}" in “${inText}”`);
    }
  };
  await visit(look);
  return found;
}

test("in Chinese no view shows an English word", { timeout: 600000 }, async () => {
  const { page, context, seen } = await openPage(browser, server.url, { locale: "zh-CN" });
  const t0 = Date.now();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
  const found = await views(page, async (look) => {
    await look("explain");
    await page.click("#methods-summary");
    await look("methods picker");
    await page.click("#methods-summary");
    await page.click("#fuse-summary");
    await look("fuse picker");
    await page.click("#fuse-summary");
    for (const v of ["features", "compare", "teach", "right"]) {
      await page.click(`#tab-${v}`);
      // "Is it right?" scores at once: 10 steps instead of the papers' 50 keep it short.
      if (v === "right") await page.selectOption("#right-steps", "10");
      await look(v);
      if (v === "right") {
        for (const metric of ["deletion", "drop", "random"]) {
          await page.click(`#view-right button.def[data-def="${metric}"]`);
          await look(`definition of ${metric}`);
          await page.keyboard.press("Escape");
        }
      }
      if (v === "right")
        for (const part of ["sanity", "set"]) {
          await page.click(`.right-parts [data-part="${part}"]`);
          if (part === "set") await page.click("#view-right button.run");
          await look(`right ${part}`);
        }
      if (v === "teach")
        for (let s = 1; s < 11; s++) {
          await page.evaluate((i) => window.camscopeDebug.state && document.querySelector(`.teach-nav [data-focus="step-${i}"]`).click(), s);
          await look(`teach step ${s + 1}`);
        }
    }
    await page.click("#tab-explain");
    await page.keyboard.press("?");
    await look("keys dialog");
    await page.keyboard.press("Escape");
    // a message: text pasted where a picture was expected
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.setData("text/plain", "x");
      document.body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true }));
    });
    await look("message");
    // a file that is not a picture
    await page.setInputFiles("#file", { name: "notes.jpg", mimeType: "", buffer: Buffer.from("not a picture at all") });
    await look("bad picture");
    // the exported figures of every view (their texts, as drawn on the PNG)
    for (const v of ["explain", "features", "compare", "teach", "right"]) {
      await page.click(`#tab-${v}`);
      await idle(page);
      await page.keyboard.press("s");
      const texts = await page.evaluate(() => window.camscopeDebug.lastExport.figure.texts.map((t) => t.text));
      const fig = await page.evaluate(() => window.camscopeDebug.lastExport.name);
      for (const [word, inText] of englishIn(texts.map((t) => [t, t.replace(/camscope_\S+\.csw|\S+\.(png|jpg)|features\.\d+|avgpool|classifier\.\d+|camscope evaluate.*$/g, " ")])))
        views.found.push(`${v} export ${fig}: "${word}" in “${inText}”`);
    }
  });
  console.log(`zh-CN views checked in ${Date.now() - t0} ms`);
  assert.deepEqual(found, []);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test("the language follows the browser and the switch, remembered from file://", { timeout: 120000 }, async () => {
  for (const url of [FILE_URL, server.url]) {
    const { page, context } = await openPage(browser, url, { locale: "zh-CN" });
    const tab = () => page.evaluate(() => [document.documentElement.lang, document.querySelector("#tab-explain .tab-name").textContent]);
    assert.deepEqual(await tab(), ["zh-CN", "解释"], url);
    assert.match(await page.textContent("[data-testid=verdict]"), /^(猫|狗)/, "the shipped model's class in Chinese");
    await page.click("#lang");
    await idle(page);
    assert.deepEqual(await tab(), ["en", "Explain"]);
    assert.match(await page.textContent("[data-testid=verdict]"), /^(cat|dog)/);
    await page.reload();
    await page.waitForFunction(() => window.camscopeDebug && window.camscopeDebug.ready);
    await idle(page);
    assert.deepEqual(await tab(), ["en", "Explain"], "the choice is remembered over the browser's language");
    await page.click("#lang");
    await idle(page);
    await page.reload();
    await page.waitForFunction(() => window.camscopeDebug && window.camscopeDebug.ready);
    assert.deepEqual(await tab(), ["zh-CN", "解释"]);
    await context.close();
  }
  const { page, context } = await openPage(browser, server.url, { locale: "en-GB" });
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  assert.equal(await page.textContent("#lang-name"), "中文");
  await context.close();
});

// The modules a module imports, itself included, following web/src's relative imports.
function importGraph(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(join(WEB, "src", file), "utf8");
  for (const m of source.matchAll(/^import\s[^;]*?from\s*["']\.\/([\w.]+)["']/gm)) importGraph(m[1], seen);
  return seen;
}

// The worker decodes a folder's pictures but never speaks: a picture's fault leaves it as a
// key and arguments (images.js' PictureError), worded by the page in its language. Its words
// would be both languages' dictionaries (~37 KB gzip) in the page's script for nothing, and
// always English (the worker's i18n.js is never the page's).
test("the worker carries no words: neither dictionary is in its bundle", () => {
  const graph = [...importGraph("worker.js")];
  assert.ok(graph.includes("images.js"), `the worker's modules: ${graph.join(", ")}`);
  assert.deepEqual(graph.filter((f) => /^(text|i18n)/.test(f)), [], "the worker imports no words");
  // The built page script holds the worker's code as a string, up to its sourceURL line.
  const page = readFileSync(join(WEB, "camscope_page.js"), "utf8");
  const end = page.indexOf("sourceURL=camscope_worker.js");
  assert.ok(end > 5000, "web/camscope_page.js holds the worker's code (built by tools/build.sh)");
  const worker = page.slice(0, end);
  assert.ok(worker.includes("classify"), "the worker's part of the page script");
  assert.deepEqual(worker.match(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+/g) || [], [], "Chinese in the worker's code");
  // English: every run of five or more words in text_en.js' strings and templates.
  const runs = new Set();
  const collect = (v) => {
    if (typeof v === "string" || typeof v === "function") for (const r of String(v).match(/[A-Za-z]+(?:,? [A-Za-z]+){4,}/g) || []) runs.add(r);
    else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  Object.values(en).forEach(collect);
  // pngDataProblem's reasons are the keys PICTURE.problems words (images.js gives them).
  for (const key of Object.keys(en.PICTURE.problems)) runs.delete(key);
  assert.ok(runs.size > 200, `${runs.size} runs of words in text_en.js`);
  assert.deepEqual([...runs].filter((r) => worker.includes(r)), [], "text_en.js' words in the worker's code");
});

// A folder's unreadable pictures are said in the page's language (the worker only names the
// fault), PNG data problems included.
test("in Chinese a folder's bad pictures get Chinese messages", { timeout: 120000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "camscope-i18n-"));
  const { page, context, seen } = await openPage(browser, server.url, { locale: "zh-CN" });
  try {
    const folder = join(dir, "相册");
    mkdirSync(folder);
    const cat = readFileSync(join(WEB, "samples", "cat.jpg"));
    writeFileSync(join(folder, "cat.jpg"), cat);
    writeFileSync(join(folder, "cut.jpg"), cat.subarray(0, cat.length >> 1));
    writeFileSync(join(folder, "bad.png"), encodePng(8, 8, new Uint8Array(192), { idat: Buffer.from("not zlib data at all") }));
    writeFileSync(join(folder, "empty.jpg"), Buffer.alloc(0));
    await page.setInputFiles("#folder-input", folder);
    await page.waitForFunction(() => window.camscopeDebug.folder.state && !window.camscopeDebug.folder.running, null, { timeout: 60000 });
    await idle(page);
    const rows = Object.fromEntries((await page.evaluate(() => window.camscopeDebug.folder.rows)).map((r) => [r.path, r.error]));
    assert.deepEqual(rows, {
      "相册/bad.png": zh.PICTURE.badPng("相册/bad.png", zh.PICTURE.problems["its compressed pixel data is invalid"]),
      "相册/cat.jpg": null,
      "相册/cut.jpg": zh.PICTURE.truncated("相册/cut.jpg", "JPEG"),
      "相册/empty.jpg": zh.PICTURE.empty("相册/empty.jpg"),
    });
    const failed = await page.$$eval("#folder tr.failed", (trs) => trs.map((tr) => tr.textContent));
    assert.equal(failed.length, 3);
    assert.ok(failed.every((s) => /[\u4e00-\u9fff]{4}/.test(s.replace("相册", ""))), failed.join(" | "));
    assert.deepEqual(seen.errors, []);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Issue 8 on the page: any exported .csw explains. ResNet18 and VGG16 with random weights
// (made here by tools/export.py, int8; VGG16's file is ~135 MB) are dropped / picked into the
// page opened from file://: the layer picker lists the model's own names (`layer4` for
// ResNet's last block, `features` for VGG's last pool), the default layer is the core's, class
// names come from the file, the feature grid pages through 512 channels, the maps are drawn
// and equal the CLI's raw maps (1e-4 of the max) at several named layers; and a model too
// large for the tab is refused with a message, the previous model kept.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { crc32 } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  launch, openPage, idle, lastMaps, message, mapCanvases, readNpy, relError, existsSync, CLI, ROOT, WEB, FILE_URL, MAP_TOLERANCE,
} from "./helpers.mjs";

const PYTHON = "/usr/bin/python3";
const PICTURE = join(WEB, "samples", "both.png");

function torchMissing() {
  try {
    execFileSync(PYTHON, ["-c", "import torch, torchvision"], { stdio: "pipe" });
    return false;
  } catch (e) {
    return `PyTorch/torchvision are not importable by ${PYTHON}`;
  }
}
const missing = (!existsSync(CLI) && `the CLI is not built (${CLI})`) || torchMissing();

let browser;
let dir;
const files = {};
before(async () => {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), "camscope-models-"));
  for (const arch of ["resnet18", "vgg16"]) {
    // CAMSCOPE_MODELS=DIR reuses DIR/<arch>.csw made by the same command (to rerun quickly).
    const kept = process.env.CAMSCOPE_MODELS && join(process.env.CAMSCOPE_MODELS, `${arch}.csw`);
    if (kept && existsSync(kept)) {
      files[arch] = kept;
      continue;
    }
    files[arch] = join(dir, `${arch}.csw`);
    execFileSync(PYTHON, [join(ROOT, "tools", "export.py"), "--random-weights", "0", "--arch", arch, "--num-classes", "2", "--classes", "cat,dog", "--dtype", "int8", "--out", files[arch]], {
      stdio: "pipe",
      timeout: 900000,
    });
  }
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The CLI's raw maps of both.png at `layer` (a node name or alias): {method: [per class]}.
function cliMaps(weights, layer, classes) {
  const out = join(dir, `cli_${layer.replace(/[^\w.]+/g, "_")}_${Math.random().toString(36).slice(2)}`);
  execFileSync(CLI, ["explain", PICTURE, "--weights", weights, "--layer", layer, "--method", "gradcam,layercam", "--class", "all", "--out", out], { stdio: "pipe" });
  const names = readdirSync(out);
  const maps = {};
  for (const method of ["gradcam", "layercam"])
    maps[method] = classes.map((c) => {
      const f = names.find((n) => n.startsWith(`both__${method}__`) && n.endsWith(`__${c}.npy`));
      assert.ok(f, `the CLI wrote ${method} for ${c} at ${layer}: ${names.join(" ")}`);
      return readNpy(join(out, f));
    });
  return maps;
}

// The index of the node a name or alias addresses.
function nodeIndex(info, name) {
  return info.layers.findIndex((l) => l.name === name || (l.aliases || []).includes(name));
}

// Selects `layer` (name or alias) in the page's picker and checks the page's raw maps
// against the CLI's. Returns the worst relative difference.
async function compareLayer(page, weights, layer) {
  const info = await page.evaluate(() => window.camscopeDebug.state.model.info);
  const index = nodeIndex(info, layer);
  assert.ok(index >= 0, `${layer} is a layer of ${info.name}`);
  await page.selectOption("#layer", String(index));
  await idle(page);
  const m = await lastMaps(page);
  assert.equal(m.layer, index);
  const ref = cliMaps(weights, layer, info.classes);
  let worst = 0;
  for (const method of ["gradcam", "layercam"])
    m.maps[method].forEach((map, c) => {
      assert.deepEqual(ref[method][c].shape, m.shape.slice(1), `${layer} ${method}: shape`);
      const e = relError(map, ref[method][c].data);
      worst = Math.max(worst, e);
      assert.ok(e < MAP_TOLERANCE, `${info.name} ${layer} ${method} ${info.classes[c]}: ${e} from the CLI's`);
    });
  return worst;
}

// The layer picker: groups and option texts; the selected option.
async function picker(page) {
  return page.evaluate(() => ({
    groups: [...document.querySelectorAll("#layer optgroup")].map((g) => ({ label: g.label, options: [...g.children].map((o) => o.textContent) })),
    selected: document.querySelector("#layer").selectedOptions[0].textContent,
    value: Number(document.querySelector("#layer").value),
  }));
}

test("ResNet18 dropped on the page from file://: its layer names, classes and default layer; maps equal the CLI's", { skip: missing }, async (t) => {
  const { page, context, seen } = await openPage(browser, FILE_URL, { viewport: { width: 1280, height: 800 } });
  const t0 = Date.now();
  await page.evaluate(
    ([b64, name]) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: "application/octet-stream" }));
      document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [readFileSync(files.resnet18).toString("base64"), "resnet18.csw"],
  );
  await page.waitForFunction(() => window.camscopeDebug.state.model.info.name === "resnet18", null, { timeout: 120000 });
  await idle(page);
  const loadMs = Date.now() - t0;
  const m = await message(page);
  assert.equal(m.kind, "info");
  assert.match(m.text, /^Now explaining “resnet18\.csw”: resnet18, classes cat and dog, starting at layer layer4 \(7×7\)\./);
  const info = await page.evaluate(() => window.camscopeDebug.state.model.info);
  assert.deepEqual(info.classes, ["cat", "dog"]);
  const maps = await lastMaps(page);
  assert.equal(maps.layer, info.defaultLayer, "the core's default layer");
  assert.equal(maps.shownName, "layer4", "named as pytorch-grad-cam's target_layers are");
  assert.equal(maps.layerName, "layer4.1.relu#2");
  assert.deepEqual(maps.shape, [512, 7, 7]);
  // The picker: the model's own names, in groups; no layer without a grid (avgpool is 1×1).
  const p = await picker(page);
  assert.equal(p.value, info.defaultLayer);
  assert.equal(p.selected, "layer4 = layer4.1 (layer4.1.relu#2) · default · 7×7 · 512 ch");
  const offered = (name) => p.groups.some((g) => g.options.some((o) => new RegExp(`(^|= )${name.replace(/\./g, "\\.")}[ ]`).test(o)));
  assert.deepEqual(p.groups.map((g) => g.label), ["Suggested", "Blocks (module outputs)", "Convolutions"]);
  assert.deepEqual(p.groups[0].options, [
    "layer4 = layer4.1 (layer4.1.relu#2) · default · 7×7 · 512 ch",
    "layer4.1.conv2 · last conv · 7×7 · 512 ch",
    "maxpool · last pool · 56×56 · 64 ch",
  ]);
  for (const name of ["layer3", "layer3.1", "layer2", "layer1", "layer4.0", "layer4.0.downsample", "conv1", "layer4.1.conv2", "layer1.0.conv1"]) assert.ok(offered(name), `${name} is offered`);
  assert.ok(!p.groups.some((g) => g.options.some((o) => /^(avgpool|fc|flatten) /.test(o))), "no layer without a grid");
  assert.match(await page.textContent("#view-explain .view-head h2"), /layer layer4 7×7/);
  assert.match(await page.textContent("[data-testid=knows-only]"), /knows only cat and dog/);
  // Drawn maps: not blank.
  const { stats } = await mapCanvases(page);
  assert.deepEqual(Object.keys(stats).sort(), ["gradcam|0", "gradcam|1", "layercam|0", "layercam|1"]);
  for (const [k, s] of Object.entries(stats)) assert.ok(s.std > 3, `${k} is drawn (std ${s.std.toFixed(1)})`);
  // The raw maps equal the CLI's at the last block, a middle block and a conv inside a block.
  let worst = 0;
  for (const layer of ["layer4", "layer2", "layer3.0.conv2"]) worst = Math.max(worst, await compareLayer(page, files.resnet18, layer));
  t.diagnostic(`ResNet18: dropped and explained in ${loadMs} ms (first forward ${maps.prediction.forwardMs.toFixed(0)} ms); worst difference to the CLI ${worst.toExponential(2)} over layer4, layer2, layer3.0.conv2`);
  // The feature grid pages through the 512 channels of layer4.
  await page.selectOption("#layer", String(info.defaultLayer));
  await page.keyboard.press("2");
  await idle(page);
  const grid = () => page.getAttribute("#view-features .feature-grid canvas", "aria-label");
  assert.match(await grid(), /^512 feature maps of layer4, page 1 of 2 \(channels 1–256 of 512 in this order\), 16 by 16 tiles; channel \d+ selected, 1 of 512/);
  await page.click("#view-features [data-focus=page-next]");
  await idle(page);
  assert.match(await grid(), /page 2 of 2 \(channels 257–512 of 512 in this order\), 16 by 16 tiles; channel \d+ selected, 257 of 512/);
  // How it works speaks of this model's input and layer.
  await page.keyboard.press("4");
  await idle(page);
  await page.keyboard.press("ArrowRight");
  await idle(page);
  assert.match(await page.textContent("#view-teach"), /Layer layer4 has 512 of them, each 7×7/);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.requests.filter((u) => !u.startsWith("file:") && !u.startsWith("worker:") && !u.startsWith("blob:") && !u.startsWith("data:")), []);
  await context.close();
});

test("VGG16 (int8, ~135 MB) picked from file:// loads and explains in Chromium; maps equal the CLI's", { skip: missing }, async (t) => {
  const { page, context, seen } = await openPage(browser, FILE_URL, { viewport: { width: 1280, height: 800 } });
  const t0 = Date.now();
  await page.setInputFiles("#file", files.vgg16);
  await page.waitForFunction(() => window.camscopeDebug.state.model.info.name === "vgg16", null, { timeout: 300000 });
  await idle(page);
  const loadMs = Date.now() - t0;
  assert.match((await message(page)).text, /^Now explaining “vgg16\.csw”: vgg16, classes cat and dog, starting at layer features\.28 \(14×14\)\./);
  const info = await page.evaluate(() => window.camscopeDebug.state.model.info);
  const maps = await lastMaps(page);
  assert.equal(maps.layer, info.defaultLayer);
  assert.equal(maps.layerName, "features.28", "the last conv of a chain");
  assert.deepEqual(maps.shape, [512, 14, 14]);
  const p = await picker(page);
  assert.match(p.selected, /^features\.28 · default, last conv · 14×14 · 512 ch$/);
  assert.ok(p.groups.some((g) => g.options.includes("features (features.30) · block · 7×7 · 512 ch")), "VGG's last pool by its module name");
  const { stats } = await mapCanvases(page);
  for (const [k, s] of Object.entries(stats)) assert.ok(s.std > 3, `${k} is drawn (std ${s.std.toFixed(1)})`);
  let worst = 0;
  for (const layer of ["features.28", "features"]) worst = Math.max(worst, await compareLayer(page, files.vgg16, layer));
  t.diagnostic(`VGG16: picked and explained in ${loadMs} ms (first forward ${maps.prediction.forwardMs.toFixed(0)} ms); worst difference to the CLI ${worst.toExponential(2)} over features.28, features`);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

// A version-2 file whose description asks for a 4096×4096 input: its activations alone would
// need gigabytes, so the core refuses it before reading a weight (weights/README.md).
function hugeModel() {
  const desc = Buffer.from(
    [
      "camscope 2", "name huge", "input 3 4096 4096", "mean 0.5 0.5 0.5", "std 0.5 0.5 0.5", "class cat", "class dog",
      "node conv1 conv input cin=3 cout=64 k=3,3 p=1 bias=0", "node pool adaptiveavgpool conv1 out=1,1", "node flatten flatten pool",
      "node fc linear flatten in=64 out=2 bias=0", "tensor conv1.weight f32 0 4 64 3 3 3", "tensor fc.weight f32 6912 2 2 64", "",
    ].join("\n"),
    "utf8",
  );
  const data = Buffer.alloc(6912 + 512);
  for (let i = 0; i < data.length / 4; i++) data.writeFloatLE((((i * 37) % 19) - 9) / 100, 4 * i);
  const body = Buffer.concat([desc, Buffer.alloc((16 - ((32 + desc.length) % 16)) % 16), data]);
  const head = Buffer.alloc(32);
  head.write("CAMSCOPE", 0, "latin1");
  head.writeUInt32LE(2, 8);
  head.writeUInt32LE(desc.length, 12);
  head.writeBigUInt64LE(BigInt(data.length), 16);
  head.writeUInt32LE(crc32(body) >>> 0, 24);
  return Buffer.concat([head, body]);
}

test("a model too large for the tab gets a message naming the memory it needs; the previous model stays", { skip: !existsSync(CLI) && "no build" }, async () => {
  const browserHere = browser || (await launch());
  const { page, context, seen } = await openPage(browserHere, FILE_URL);
  const before = await page.evaluate(() => window.camscopeDebug.state.model.info.name);
  await page.setInputFiles("#file", { name: "huge.csw", mimeType: "application/octet-stream", buffer: hugeModel() });
  await idle(page);
  const m = await message(page);
  assert.equal(m.kind, "error");
  assert.match(m.text, /^“huge\.csw” was not loaded: this model needs about \d+ MiB of memory, more than the 1536 MiB this build can give it .*Still explaining the previous model/);
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.model.info.name), before);
  await page.click('button[data-sample="cat.jpg"]');
  await idle(page);
  assert.equal((await lastMaps(page)).pictureName, "cat.jpg", "the page still explains");
  assert.deepEqual(seen.errors, []);
  await context.close();
  if (!browser) await browserHere.close();
});

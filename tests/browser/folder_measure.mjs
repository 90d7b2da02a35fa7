// Measures the folder table on N photos of ../shared/data/catsdogs/val (default 1000: half
// cats, half dogs, in cat/ and dog/): pictures/s, and memory as the run goes (the renderer's
// resident memory, page and worker together, from /proc; the page's JS heap after a garbage
// collection, from CDP) — what stays bounded when only thumbnails are kept. A measurement, not
// a test (tools/test.sh does not run it):
//   node tests/browser/folder_measure.mjs [N]
import { mkdtempSync, mkdirSync, copyFileSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, startServer, openPage, idle, ROOT } from "./helpers.mjs";

const N = Number(process.argv[2] || 1000);
const VAL = join(ROOT, "..", "shared", "data", "catsdogs", "val");
const dir = mkdtempSync(join(tmpdir(), "camscope-measure-"));
for (const cls of ["cat", "dog"]) {
  mkdirSync(join(dir, "val", cls), { recursive: true });
  for (const f of readdirSync(join(VAL, cls)).sort().slice(0, N / 2)) copyFileSync(join(VAL, cls, f), join(dir, "val", cls, f));
}

// Resident memory (MB) of the browser's processes: {renderers, all}.
function rss(rootPid) {
  const procs = [];
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8");
      const kb = Number((readFileSync(`/proc/${p}/status`, "utf8").match(/VmRSS:\s+(\d+)/) || [0, 0])[1]);
      procs.push({ pid: Number(p), ppid, cmd, kb });
    } catch {
      // gone
    }
  }
  const mine = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!mine.has(p.pid) && mine.has(p.ppid)) (mine.add(p.pid), (grew = true));
  }
  const sel = procs.filter((p) => mine.has(p.pid));
  const mb = (list) => Math.round(list.reduce((a, p) => a + p.kb, 0) / 1024);
  return { renderers: mb(sel.filter((p) => p.cmd.includes("--type=renderer"))), all: mb(sel) };
}

const browser = await launch();
const server = await startServer();
try {
  const { page, context } = await openPage(browser, server.url);
  const cdp = await context.newCDPSession(page);
  const heap = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    const { usedSize } = await cdp.send("Runtime.getHeapUsage");
    return Math.round(usedSize / 1024 / 1024);
  };
  // The worker's heap: through the browser's CDP (Playwright's sessions are page-only), its
  // garbage collected first, so what remains is what is held.
  const bcdp = await browser.newBrowserCDPSession();
  const { targetInfos } = await bcdp.send("Target.getTargets");
  const worker = targetInfos.find((t) => t.type === "worker");
  const { sessionId } = await bcdp.send("Target.attachToTarget", { targetId: worker.targetId, flatten: false });
  let nextId = 1;
  const waiting = new Map();
  bcdp.on("Target.receivedMessageFromTarget", (e) => {
    const m = JSON.parse(e.message);
    if (waiting.has(m.id)) (waiting.get(m.id)(m.result), waiting.delete(m.id));
  });
  const inWorker = (method, params = {}) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      bcdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) });
    });
  const workerHeap = async () => {
    await inWorker("HeapProfiler.collectGarbage");
    const { usedSize } = await inWorker("Runtime.getHeapUsage");
    return Math.round(usedSize / 1024 / 1024);
  };
  const pid = process.pid; // the browser is this process's child
  const samples = [{ pictures: 0, heapMB: await heap(), workerHeapMB: await workerHeap(), ...rss(pid) }];
  await page.setInputFiles("#folder-input", join(dir, "val"));
  let next = N / 4;
  let peak = 0;
  for (;;) {
    const s = await page.evaluate(() => ({ rows: window.camscopeDebug.folder.rows.length, running: window.camscopeDebug.folder.running }));
    peak = Math.max(peak, rss(pid).renderers);
    if (s.rows >= next || !s.running) {
      samples.push({ pictures: s.rows, heapMB: await heap(), workerHeapMB: await workerHeap(), ...rss(pid) });
      next += N / 4;
    }
    if (!s.running) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await idle(page);
  const f = await page.evaluate(() => ({ state: window.camscopeDebug.folder.state, summary: window.camscopeDebug.folder.summary, rate: window.camscopeDebug.folder.debug.rate }));
  console.log(JSON.stringify({ pictures: N, seconds: f.state.seconds, picturesPerSecond: f.rate, accuracy: f.summary.accuracy, errors: f.summary.errors, peakRendererMB: peak, samples }, null, 1));
} finally {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

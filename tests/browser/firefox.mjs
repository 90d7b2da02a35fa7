// Debian's firefox-esr for the browser tests, driven over WebDriver BiDi with npm's `ws`.
// playwright-core's own Firefox support needs a patched Firefox (and its BiDi path asks ESR
// for commands it lacks), so this is a small client of our own: start Firefox headless with a
// fresh profile and --remote-debugging-port=0, read the port it prints, speak JSON over
// ws://127.0.0.1:PORT/session. Every command and every wait has a timeout, and close() (also
// run when Node exits or is interrupted) kills Firefox's process group and removes the
// profile, so a failing test can neither hang nor leave a browser behind.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";

export const FIREFOX = process.env.CAMSCOPE_FIREFOX || "/usr/bin/firefox-esr";

const START_MS = 60000; // Firefox's first start with a new profile takes a few seconds
const COMMAND_MS = 30000;
const CLOSE_MS = 5000;

let WebSocket = null;
try {
  ({ WebSocket } = await import("ws"));
} catch {
  // reported by firefoxMissing below
}

// Why the Firefox tests cannot run here (a string for node:test's `skip`), or false.
export const firefoxMissing =
  (!existsSync(FIREFOX) && `no Firefox at ${FIREFOX} (apt-get install firefox-esr, or tools/setup.sh --test)`) ||
  (!WebSocket && "npm's ws is not installed in tests/browser (tools/setup.sh --test)") ||
  false;

// A quiet profile: no first-run pages, updates, telemetry, safe browsing or remote settings,
// so that the only requests are the page's own (and a machine without a network is not slowed
// down). Firefox's remote agent applies its own "recommended" automation prefs on top.
const PREFS = {
  "app.normandy.enabled": false,
  "app.update.disabledForTesting": true,
  "browser.aboutwelcome.enabled": false,
  "browser.newtabpage.enabled": false,
  "browser.ping-centre.telemetry": false,
  "browser.safebrowsing.blockedURIs.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.provider.mozilla.updateURL": "",
  "browser.search.update": false,
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.homepage": "about:blank",
  "browser.startup.homepage_override.mstone": "ignore",
  "browser.startup.page": 0,
  "browser.tabs.warnOnClose": false,
  "captivedetect.canonicalURL": "",
  "datareporting.healthreport.uploadEnabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "extensions.blocklist.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "extensions.update.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.http.speculative-parallel-limit": 0,
  "network.prefetch-next": false,
  "services.settings.server": "data:,",
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.server": "",
  "toolkit.startup.max_resumed_crashes": -1,
};

// Rejects after `ms` with a message naming what was awaited.
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Firefox: ${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// Every Firefox still running when Node exits (a test threw before its after() ran).
const running = new Set();
process.on("exit", () => {
  for (const ff of running) ff.kill();
});
// Firefox runs in its own process group (so that kill() reaches its content processes), which
// a Ctrl-C on the terminal no longer reaches: pass it on.
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
  process.once(signal, () => {
    for (const ff of running) ff.kill();
    process.exit(code);
  });
}

// One Firefox process and its BiDi session.
class Firefox {
  constructor(proc, profile) {
    this.proc = proc;
    this.profile = profile;
    this.socket = null;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Set();
    this.stderr = "";
    this.exited = new Promise((ok) => proc.once("exit", ok));
  }

  // Sends one command; resolves with its result, rejects with BiDi's error or on timeout.
  send(method, params = {}, timeoutMs = COMMAND_MS) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`Firefox: ${method}: not connected`));
    const id = this.nextId++;
    const reply = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
    this.socket.send(JSON.stringify({ id, method, params }));
    return withTimeout(reply, timeoutMs, method).finally(() => this.pending.delete(id));
  }

  // Calls fn(method, params) for every event; returns a function that stops it.
  onEvent(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  receive(text) {
    const msg = JSON.parse(text);
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      if (msg.type === "error") p.reject(new Error(`Firefox: ${p.method}: ${msg.error}: ${msg.message}`));
      else p.resolve(msg.result);
    } else if (msg.type === "event") {
      for (const fn of this.listeners) fn(msg.method, msg.params);
    }
  }

  // A new tab with its own recorder of console errors and requests.
  async newPage({ viewport = { width: 1600, height: 1000 } } = {}) {
    const { context } = await this.send("browsingContext.create", { type: "tab" });
    const page = new FirefoxPage(this, context);
    await this.send("browsingContext.setViewport", { context, viewport });
    return page;
  }

  // Kills Firefox's process group at once (content processes included), stops reading its
  // output and removes the profile.
  kill() {
    running.delete(this);
    try {
      process.kill(-this.proc.pid, "SIGKILL");
    } catch {
      // already gone
    }
    this.proc.stderr.destroy();
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 3 });
  }

  // Asks Firefox to quit, waits a little, then kills whatever is left and removes the profile.
  async close() {
    if (!running.has(this)) return;
    try {
      await this.send("browser.close", {}, CLOSE_MS);
    } catch {
      // killed below
    }
    await withTimeout(this.exited, CLOSE_MS, "exit").catch(() => {});
    if (this.socket) this.socket.terminate();
    this.kill();
  }
}

// Starts Firefox headless with a fresh profile and opens a BiDi session subscribed to console
// messages and requests.
export async function launchFirefox() {
  if (firefoxMissing) throw new Error(firefoxMissing);
  const profile = mkdtempSync(join(tmpdir(), "camscope-firefox-"));
  writeFileSync(join(profile, "user.js"), Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(""));
  const proc = spawn(FIREFOX, ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0", "about:blank"], {
    detached: true, // its own process group: see kill()
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1", MOZ_DISABLE_AUTO_SAFE_MODE: "1" },
  });
  const ff = new Firefox(proc, profile);
  running.add(ff);
  try {
    const url = await withTimeout(
      new Promise((resolve, reject) => {
        proc.stderr.setEncoding("utf8");
        proc.stderr.on("data", (chunk) => {
          ff.stderr = (ff.stderr + chunk).slice(-4000);
          const m = ff.stderr.match(/WebDriver BiDi listening on (ws:\/\/\S+)/);
          if (m) resolve(m[1]);
        });
        proc.once("error", reject);
        proc.once("exit", (code) => reject(new Error(`Firefox exited (${code}) before listening:\n${ff.stderr}`)));
      }),
      START_MS,
      "start",
    );
    const socket = new WebSocket(`${url}/session`, { perMessageDeflate: false });
    await withTimeout(
      new Promise((resolve, reject) => {
        socket.once("open", resolve);
        socket.once("error", reject);
      }),
      COMMAND_MS,
      "connect",
    );
    ff.socket = socket;
    socket.on("message", (data) => ff.receive(data.toString()));
    socket.on("close", () => {
      for (const p of ff.pending.values()) p.reject(new Error(`Firefox: ${p.method}: the connection closed`));
    });
    const session = await ff.send("session.new", { capabilities: {} });
    ff.version = `${session.capabilities.browserName} ${session.capabilities.browserVersion}`;
    await ff.send("session.subscribe", { events: ["log.entryAdded", "network.beforeRequestSent"] });
    return ff;
  } catch (err) {
    ff.kill();
    throw err;
  }
}

// One tab. evaluate() and waitForTimeout() behave like Playwright's, so helpers.mjs's idle(),
// lastMaps(), message() and mapCanvases() work on it unchanged.
class FirefoxPage {
  constructor(ff, context) {
    this.ff = ff;
    this.context = context;
    this.seen = { errors: [], requests: [] };
    // Events of this tab; Firefox reports a worker's console and requests without a context,
    // and the quiet profile leaves no other source of those, so they are counted as the page's.
    this.stop = ff.onEvent((method, p) => {
      const ctx = method === "log.entryAdded" ? p.source && p.source.context : p.context;
      if (ctx && ctx !== context) return;
      if (method === "log.entryAdded" && p.level === "error") this.seen.errors.push(`${p.type}: ${p.text}`);
      if (method === "network.beforeRequestSent") this.seen.requests.push(p.request.url);
    });
  }

  // Navigates and waits for the load event.
  async goto(url, timeoutMs = 60000) {
    await this.ff.send("browsingContext.navigate", { context: this.context, url, wait: "complete" }, timeoutMs);
  }

  // Runs fn(arg) in the page (awaiting a promise); arg and result travel as JSON.
  async evaluate(fn, arg = null, timeoutMs = COMMAND_MS) {
    const functionDeclaration =
      `async function (json) { const r = await (${fn.toString()})(JSON.parse(json)); ` +
      "return r === undefined ? 'null' : JSON.stringify(r); }";
    const out = await this.ff.send(
      "script.callFunction",
      {
        functionDeclaration,
        arguments: [{ type: "string", value: JSON.stringify(arg) }],
        target: { context: this.context },
        awaitPromise: true,
        resultOwnership: "none",
      },
      timeoutMs,
    );
    if (out.type === "exception") throw new Error(`in Firefox's page: ${out.exceptionDetails.text}`);
    return JSON.parse(out.result.value);
  }

  // Polls fn(arg) until it returns something truthy; fails after timeoutMs.
  async waitFor(fn, arg = null, { timeoutMs = 60000, everyMs = 50, what = "condition" } = {}) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate(fn, arg);
      if (v) return v;
      if (Date.now() > end) throw new Error(`Firefox: ${what} still false after ${timeoutMs} ms`);
      await sleep(everyMs);
    }
  }

  waitForTimeout(ms) {
    return sleep(ms);
  }

  // A BiDi reference to the first element matching selector (for input and screenshots).
  async element(selector) {
    const out = await this.ff.send("script.evaluate", {
      expression: `document.querySelector(${JSON.stringify(selector)})`,
      target: { context: this.context },
      awaitPromise: false,
      resultOwnership: "none",
    });
    if (out.type !== "success" || out.result.type !== "node") throw new Error(`Firefox: no element ${selector}`);
    return { sharedId: out.result.sharedId };
  }

  // A real mouse click (pointer move onto the element's centre, press, release).
  async click(selector) {
    const origin = { type: "element", element: await this.element(selector) };
    await this.ff.send("input.performActions", {
      context: this.context,
      actions: [{
        type: "pointer",
        id: "mouse",
        parameters: { pointerType: "mouse" },
        actions: [
          { type: "pointerMove", x: 0, y: 0, origin },
          { type: "pointerDown", button: 0 },
          { type: "pointerUp", button: 0 },
        ],
      }],
    });
  }

  // Real key presses, one per key value ("2", "\uE014" for ArrowRight).
  async press(...keys) {
    const actions = keys.flatMap((value) => [{ type: "keyDown", value }, { type: "keyUp", value }]);
    await this.ff.send("input.performActions", { context: this.context, actions: [{ type: "key", id: "keyboard", actions }] });
  }

  // Puts files (paths on disk) into an <input type=file>, as the picker would; Firefox fires
  // input and change.
  async setFiles(selector, paths) {
    await this.ff.send("input.setFiles", { context: this.context, element: await this.element(selector), files: paths });
  }

  // A PNG screenshot of one element, decoded: {width, height, rgba}.
  async screenshot(selector) {
    const { data } = await this.ff.send("browsingContext.captureScreenshot", {
      context: this.context,
      clip: { type: "element", element: await this.element(selector) },
    });
    return decodePng(Buffer.from(data, "base64"));
  }

  async close() {
    this.stop();
    await this.ff.send("browsingContext.close", { context: this.context }).catch(() => {});
  }
}

// Opens the page in a new tab and waits until it has drawn its first maps (or failed to
// start), like helpers.mjs's openPage. Returns {page, seen}.
export async function openFirefoxPage(ff, url) {
  const page = await ff.newPage();
  const t0 = Date.now();
  await page.goto(url);
  await page.waitFor(() => window.camscopeDebug && (window.camscopeDebug.ready || window.camscopeDebug.error), null, {
    what: "camscopeDebug.ready",
  });
  await page.evaluate(() => window.camscopeDebug.idle(), null, 60000);
  page.seen.loadMs = Date.now() - t0;
  return { page, seen: page.seen };
}

// Decodes the PNGs Firefox's screenshots are (8-bit RGBA or RGB, not interlaced).
export function decodePng(png) {
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString("latin1", pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0 || (body[9] !== 6 && body[9] !== 2)) throw new Error("decodePng: only 8-bit RGB(A), not interlaced");
      channels = body[9] === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(body);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? px[y * stride + i - channels] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? px[(y - 1) * stride + i - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[y * stride + i] = (line[i] + pred) & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < channels; k++) rgba[4 * i + k] = px[channels * i + k];
    if (channels === 3) rgba[4 * i + 3] = 255;
  }
  return { width, height, rgba };
}

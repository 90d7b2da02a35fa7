// The worker protocol, both ends. The page talks to the core through CoreClient; the worker
// (src/worker.js) answers through serve(). Every message is one request and one reply:
//
//   page -> worker  { id, type, payload }                 (ArrayBuffers in payload transferred)
//   worker -> page  { id, ok: true, result }              (typed arrays in result transferred)
//                   { id, ok: false, error: "message" }
//                   { id, progress: { done, total } }     (long requests, before the reply)
//
// Requests (see web/README.md for the payloads and results):
//   init, loadWeights, setPicture, maps, activations, explainOther, scoreCam, picture,
//   smoothgrad, fuse, metrics, sanity, classify, frame, cancel, provide
// `cancel {id}` is answered at once, out of turn: the long request it names (scoreCam,
// smoothgrad, metrics, sanity) stops at its next step and fails with "cancelled"; classify
// answers the pictures it finished, with `cancelled: true`.
// `provide {key, value}` is taken at once, out of turn, too: a part a request under way waits
// for (job.provided(key)), e.g. the built-in weights, whose script is still being parsed
// when init starts compiling the core (the cold start: neither waits for the other).
//
// The worker is started from a Blob URL built from strings the page already has (the core's
// text from camscope_core_*.js and the worker bundle), so it also starts from file://. If a
// worker cannot be started at all, the same code runs in the page ("inline" mode).

export const REQUESTS = Object.freeze([
  "init",
  "loadWeights",
  "setPicture",
  "maps",
  "activations",
  "explainOther",
  "scoreCam",
  "picture",
  "smoothgrad",
  "fuse",
  "metrics",
  "sanity",
  "classify",
  "frame",
  "cancel",
  "provide",
]);

// The message a cancelled request fails with.
export const CANCELLED = "cancelled";

// Every ArrayBuffer held (directly or through a typed array) in a message, for transfer.
export function transferables(value, out = new Set()) {
  if (!value || typeof value !== "object") return [...out];
  if (value instanceof ArrayBuffer) out.add(value);
  else if (ArrayBuffer.isView(value)) out.add(value.buffer);
  else if (Array.isArray(value)) for (const v of value) transferables(v, out);
  else for (const v of Object.values(value)) transferables(v, out);
  return [...out];
}

// The bytes of a payload embedded in a script as base64 ({base64, encoding}: "gzip" when
// tools/embed_weights.py or tools/bundle_web.mjs compressed it, else the bytes themselves;
// `rows`, the weights' row order, see restoreRows): decoded natively where the browser can
// (Uint8Array.fromBase64, DecompressionStream). The payload may come already out of base64
// (`bytes` instead of `base64`: decodedForTransfer).
export async function unpackEmbedded({ base64, bytes: raw, encoding, rows }) {
  const bytes = await decodeEmbedded(raw instanceof Uint8Array ? raw : base64, encoding);
  return rows ? restoreRows(bytes, rows) : bytes;
}

// An embedded payload with its base64 decoded, for postMessage with its buffer transferred:
// a 4.6 MB string is copied into the message, a transferred buffer is not (at the cold start
// the weights' hand-over step went from 12 to 5 ms, median of 7 loads). Only where the browser decodes base64
// natively (Uint8Array.fromBase64, a few ms); elsewhere the payload itself (the worker
// decodes it). Returns [message value, transfer list].
export function decodedForTransfer(payload) {
  if (!payload || typeof payload.base64 !== "string" || typeof Uint8Array.fromBase64 !== "function") return [payload, []];
  const { base64, ...rest } = payload;
  let bytes;
  try {
    bytes = Uint8Array.fromBase64(base64);
  } catch (e) {
    return [payload, []]; // not base64: the worker's decoding says so, as for any payload
  }
  return [{ ...rest, bytes }, [bytes.buffer]];
}

// Base64 -> bytes with atob (the embedded payloads' small parts, and their fallback where the
// browser lacks Uint8Array.fromBase64).
export function base64Bytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// base64 text (or its bytes, already decoded), then gunzip when `encoding` says so.
async function decodeEmbedded(data, encoding) {
  let bytes;
  if (data instanceof Uint8Array) bytes = data;
  else if (typeof Uint8Array.fromBase64 === "function") bytes = Uint8Array.fromBase64(data);
  else bytes = base64Bytes(data);
  if (!encoding) return bytes;
  if (encoding !== "gzip") throw new Error(`unknown encoding "${encoding}"`);
  if (typeof DecompressionStream === "undefined")
    throw new Error("this browser cannot decompress the built-in parts (no DecompressionStream): try a current Firefox, Chrome, Edge or Safari");
  // Written straight into the stream: a Blob's stream() would read the bytes back through the
  // browser's blob store, 4-5x slower for the weights.
  const gunzip = new DecompressionStream("gzip");
  const writer = gunzip.writable.getWriter();
  writer.write(bytes).catch(() => {}); // a failure shows on the readable side
  writer.close().catch(() => {});
  return new Uint8Array(await new Response(gunzip.readable).arrayBuffer());
}

// Puts back the rows tools/embed_weights.py put in order of their spread (it compresses
// better): `rows` holds [offset, bytes per row, order] per tensor (see rowOrder), stored row k
// being the file's row order[k]. Only moves bytes; the loader's CRC-32 checks the file afterwards.
export function restoreRows(bytes, rows) {
  const out = new Uint8Array(bytes);
  for (const entry of rows) {
    const [at, perRow] = entry;
    const order = rowOrder(entry);
    const n = order.length;
    const seen = new Uint8Array(n);
    if (!(Number.isSafeInteger(at) && Number.isSafeInteger(perRow) && at >= 0 && perRow > 0 && at + n * perRow <= bytes.length))
      throw new Error(`the built-in weights' row order names bytes ${at}.. outside the file`);
    for (let k = 0; k < n; k++) {
      const row = order[k];
      if (!(Number.isInteger(row) && row >= 0 && row < n) || seen[row]++)
        throw new Error(`the built-in weights' row order at ${at} is not a permutation`);
      out.set(bytes.subarray(at + k * perRow, at + (k + 1) * perRow), at + row * perRow);
    }
  }
  return out;
}

// A tensor's row order from its `rows` entry: [offset, bytes per row, order] with the order as
// numbers, or [offset, bytes per row, width, base64] with it as 1- or 2-byte little-endian
// integers (tools/embed_weights.py writes these: ~340 bytes smaller after gzip than decimals).
export function rowOrder(entry) {
  if (!Array.isArray(entry) || (entry.length !== 3 && entry.length !== 4))
    throw new Error("the built-in weights' row order is not [offset, bytes per row, order]");
  if (entry.length === 3) {
    if (!Array.isArray(entry[2])) throw new Error(`the built-in weights' row order at ${entry[0]} is not a list`);
    return entry[2];
  }
  const [at, , width, text] = entry;
  let raw;
  try {
    raw = base64Bytes(text);
  } catch (e) {
    raw = null;
  }
  if ((width !== 1 && width !== 2) || raw === null || raw.length % width)
    throw new Error(`the built-in weights' row order at ${at} is not ${width}-byte integers in base64`);
  const order = new Array(raw.length / width);
  for (let k = 0; k < order.length; k++) order[k] = width === 1 ? raw[k] : raw[2 * k] | (raw[2 * k + 1] << 8);
  return order;
}

// The core's text wrapped so that, inside it, `fetch` is undefined: Emscripten then decodes
// its inlined wasm itself instead of fetching a data: URL (which a strict CSP would refuse).
export function wrapCore(coreSource) {
  return `var createCamscope = (function (fetch) {\n${coreSource}\nreturn createCamscope;\n})(undefined);\n`;
}

// The core's factory (createCamscope) made from its text, in this scope (the page's CSP
// allows eval): for the in-page fallback and for a worker started before the core's script.
export function coreFactory(coreSource) {
  return new Function(`${wrapCore(coreSource)}\nreturn createCamscope;`)();
}

// Worker side: answers requests one at a time with `handlers[type](payload, job)`, where
// job = { progress(done, total), cancelled(), provided(key) } lets a long handler report and
// stop, or wait for a part sent with `provide`; a handler that awaits between its steps lets
// `cancel` (handled at once) reach it.
export function serve(scope, handlers) {
  let queue = Promise.resolve();
  const cancelled = new Set();
  const parts = new Map(); // provide's key -> {promise, resolve}
  const part = (key) => {
    if (!parts.has(key)) {
      let resolve;
      const promise = new Promise((r) => (resolve = r));
      parts.set(key, { promise, resolve });
    }
    return parts.get(key);
  };
  scope.onmessage = (event) => {
    const { id, type, payload } = event.data || {};
    if (type === "cancel") {
      cancelled.add(payload && payload.id);
      scope.postMessage({ id, ok: true, result: null });
      return;
    }
    if (type === "provide") {
      part(String(payload && payload.key)).resolve(payload && payload.value);
      scope.postMessage({ id, ok: true, result: null });
      return;
    }
    const job = {
      progress: (done, total) => scope.postMessage({ id, progress: { done, total } }),
      cancelled: () => cancelled.has(id),
      provided: (key) => part(key).promise,
    };
    queue = queue.then(async () => {
      try {
        if (!REQUESTS.includes(type) || !handlers[type]) throw new Error(`unknown request "${type}"`);
        if (cancelled.has(id)) throw new Error(CANCELLED);
        const result = await handlers[type](payload || {}, job);
        scope.postMessage({ id, ok: true, result }, transferables(result));
      } catch (err) {
        scope.postMessage({ id, ok: false, error: String((err && err.message) || err) });
      } finally {
        cancelled.delete(id);
      }
    });
  };
}

// Page side: starts the worker (or the inline fallback) and sends requests.
export class CoreClient {
  constructor() {
    this.nextId = 1;
    this.pending = new Map();
    this.mode = "";
    this.worker = null;
    this.inlinePort = null;
  }

  // Starts the core from its source text; `inline` forces the in-page fallback. A worker may
  // start without it (`coreSource` null: init then carries it, so that the worker starts
  // while the core's script still loads); returns "" when it cannot, and the caller starts
  // again with the core's text, inline.
  start(coreSource, workerSource, { inline = false } = {}) {
    if (!inline) {
      try {
        const parts = coreSource === null ? [workerSource] : [wrapCore(coreSource), workerSource];
        const url = URL.createObjectURL(new Blob(parts, { type: "text/javascript" }));
        this.worker = new Worker(url, { name: "camscope core" });
        this.worker.onmessage = (e) => this.receive(e.data);
        this.worker.onerror = (e) => {
          e.preventDefault();
          this.failAll(`the worker stopped: ${e.message || "unknown error"}`);
        };
        this.mode = "worker";
        return this.mode;
      } catch (err) {
        this.worker = null; // e.g. a browser that refuses workers for this page: run inline
      }
    }
    if (coreSource === null) return "";
    // Inline: the worker's code runs in the page with a local message port.
    const createCamscope = coreFactory(coreSource);
    const page = this;
    const port = {
      onmessage: null,
      postMessage(data) {
        setTimeout(() => page.receive(data), 0);
      },
    };
    this.inlinePort = port;
    new Function("createCamscope", "camscopeInlineScope", workerSource)(createCamscope, port);
    this.mode = "inline";
    return this.mode;
  }

  receive(message) {
    const entry = this.pending.get(message && message.id);
    if (!entry) return;
    if (message.progress) {
      if (entry.onProgress) entry.onProgress(message.progress);
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) entry.resolve(message.result);
    else entry.reject(new Error(message.error));
  }

  failAll(reason) {
    for (const entry of this.pending.values()) entry.reject(new Error(reason));
    this.pending.clear();
  }

  // Sends one request; resolves with its result, rejects with the worker's message.
  // `options.onProgress({done, total})` hears a long request's progress; `options.onId(id)`
  // gets the request's id, for cancel().
  request(type, payload = {}, transfer = [], options = {}) {
    if (!REQUESTS.includes(type)) return Promise.reject(new Error(`unknown request "${type}"`));
    const id = this.nextId++;
    if (options.onId) options.onId(id);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress: options.onProgress });
      const message = { id, type, payload };
      if (this.worker) this.worker.postMessage(message, transfer);
      else setTimeout(() => this.inlinePort.onmessage({ data: message }), 0);
    });
  }

  // Asks the worker to stop the long request `id` (it then fails with CANCELLED).
  cancel(id) {
    return this.request("cancel", { id });
  }
}

// The live camera: getUserMedia's video explained continuously — each frame's every pixel
// to the worker's second Session (engine.frameFor: a forward pass, the backward pass and one
// layer method's map for the chosen class), drawn over that same frame as soon as it comes
// back. One frame in flight: the next frame is grabbed only when the answer is in, so frames
// the core has no time for are dropped, never queued. Freeze turns the frame shown into an
// ordinary picture (a lossless PNG of those pixels) with every view.
import { h, $, clear } from "./dom.js";
import { upsample, heatCanvas, drawOverlay, drawNote, maxOf, makeCanvas } from "./draw.js";
import { state } from "./state.js";
import { frameFor } from "./engine.js";
import { CAMERA, cameraStatus, cameraProblem } from "./text.js";

// Set by main.js: freeze(blob, name) opens a picture; say(kind, text) shows a message.
let actions = { freeze: null };

// Wires the camera to the page (main.js).
export function setCameraActions(a) {
  actions = { ...actions, ...a };
}

const SIDE = 640; // CSS px, long side of the live picture
const METHODS = ["gradcam", "layercam"]; // the live methods (titles from the core's catalogue)

let cam = null; // the camera shown: see startCamera
let lastStream = null; // the last stream opened (the tests check its tracks end)

// The test hook: frames explained, their rate, the last frame's pixels and answer, the
// frozen picture, the tracks' states, the problem said.
export const cameraDebug = {
  get running() {
    return !!(cam && cam.running);
  },
  get frames() {
    return cam ? cam.frames : 0;
  },
  get fps() {
    return cam ? rate(cam, Infinity) : 0;
  },
  get frameMs() {
    return cam ? cam.workerMs.slice() : [];
  },
  get last() {
    return cam && cam.shown ? { width: cam.shown.width, height: cam.shown.height, result: cam.shown.result } : null;
  },
  tracks: () => (lastStream ? lastStream.getTracks().map((t) => t.readyState) : []),
  frozen: null, // {name, width, height, rgba}
  problem: null,
};

// Frames per second over the frames of the last `seconds` (Infinity: since the first).
function rate(c, seconds) {
  const now = c.times[c.times.length - 1];
  const from = c.times.findIndex((t) => now - t <= seconds * 1000);
  const n = c.times.length - 1 - from;
  return n > 0 ? (1000 * n) / (now - c.times[from]) : 0;
}

// Opens the camera panel and starts the camera (or says why it cannot).
export async function startCamera() {
  if (cam) return;
  const c = {
    running: false,
    stream: null,
    video: null,
    frames: 0,
    times: [], // when each answer arrived (ms)
    workerMs: [], // the worker's time per frame (the last 300)
    shown: null, // {rgba, width, height, result}: the frame drawn
    method: "gradcam",
    cls: -1,
    els: null,
  };
  cam = c;
  cameraDebug.problem = null;
  build(c);
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return problem(c, "insecure");
  setStatus(c, CAMERA.starting);
  try {
    c.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (err) {
    return problem(c, err && err.name, err && err.message);
  }
  lastStream = c.stream;
  if (cam !== c) return stopTracks(c.stream);
  c.video = h("video", { muted: true, playsInline: true, autoplay: true });
  c.video.srcObject = c.stream;
  try {
    await c.video.play();
  } catch (err) {
    stopCamera();
    return;
  }
  c.running = true;
  c.els.freeze.disabled = false;
  loop(c);
}

function problem(c, reason, detail) {
  const text = cameraProblem(reason, detail);
  cameraDebug.problem = { reason, text };
  if (cam !== c) return;
  c.els.note.hidden = false;
  c.els.note.textContent = text;
  setStatus(c, "");
}

function stopTracks(stream) {
  if (stream) for (const t of stream.getTracks()) t.stop();
}

// Stops the camera (its tracks end: the camera light goes off) and closes the panel.
export function stopCamera() {
  if (!cam) return;
  const c = cam;
  cam = null;
  c.running = false;
  stopTracks(c.stream);
  if (c.video) c.video.srcObject = null;
  const root = $("#camera");
  clear(root);
  root.hidden = true;
}

// The frame's pixels as the core gets them (every pixel; a video frame is opaque).
function grab(c) {
  const v = c.video;
  const w = v.videoWidth;
  const hgt = v.videoHeight;
  if (c.grab.width !== w || c.grab.height !== hgt) {
    c.grab.width = w;
    c.grab.height = hgt;
  }
  const ctx = c.grab.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(v, 0, 0, w, hgt);
  return { rgba: ctx.getImageData(0, 0, w, hgt).data, width: w, height: hgt };
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

// Sends one frame to the worker: resolves with {frame, result} (the pixels kept for drawing
// and Freeze; the worker gets its own copy) or {error}.
function send(c) {
  const frame = grab(c);
  const kept = new Uint8ClampedArray(frame.rgba);
  return frameFor({ rgba: frame.rgba.buffer, width: frame.width, height: frame.height }, state.layer, c.method, c.cls).then(
    (result) => ({ frame: { ...frame, rgba: kept }, result }),
    (error) => ({ error }),
  );
}

// One frame at the worker at any time; as soon as its answer is in, the next frame goes and
// the answer is drawn while the worker computes (so drawing costs no frames).
async function loop(c) {
  while (cam === c && (c.video.readyState < 2 || !c.video.videoWidth || state.layer < 0)) await nextFrame();
  let pending = cam === c ? send(c) : null;
  while (pending) {
    const { frame, result, error } = await pending;
    if (cam !== c || !c.running) break;
    if (error) {
      problem(c, "frame", error.message);
      break;
    }
    pending = send(c);
    c.frames++;
    c.times.push(performance.now());
    if (c.times.length > 300) c.times.shift();
    c.workerMs.push(result.ms);
    if (c.workerMs.length > 300) c.workerMs.shift();
    c.shown = { ...frame, result };
    draw(c);
  }
}

// The frame shown with its map over it (normalised by its own max, the page's colours and opacity).
function draw(c) {
  const { rgba, width, height, result } = c.shown;
  const s = Math.min(1, SIDE / Math.max(width, height));
  const ow = Math.max(1, Math.round(width * s));
  const oh = Math.max(1, Math.round(height * s));
  const canvas = c.els.canvas;
  if (canvas.width !== ow || canvas.height !== oh) {
    canvas.width = ow;
    canvas.height = oh;
  }
  if (c.picture.width !== width || c.picture.height !== height) {
    c.picture.width = width;
    c.picture.height = height;
  }
  c.picture.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  const [, mh, mw] = result.shape;
  const max = maxOf(result.map);
  if (max > 0) {
    const heat = heatCanvas(upsample(result.map, mh, mw, oh, ow), ow, oh, max, state.model.luts[state.cmap]);
    drawOverlay(canvas, c.picture, heat, state.opacity, { fresh: true });
  } else drawNote(canvas, c.picture, ["empty map"]);
  const names = state.model.info.classes;
  setStatus(c, cameraStatus({ fps: rate(c, 2), className: names[result.cls], probability: result.probabilities[result.cls], ms: result.ms }));
}

// Freeze: the frame shown becomes a picture (PNG: lossless, so the core gets these pixels).
async function freeze(c) {
  if (!c.shown || !actions.freeze) return;
  const { rgba, width, height } = c.shown;
  const canvas = makeCanvas(width, height);
  canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const stamp = new Date().toTimeString().slice(0, 8).replace(/:/g, "-");
  const name = CAMERA.frozenName(stamp);
  cameraDebug.frozen = { name, width, height, rgba };
  stopCamera();
  await actions.freeze(blob, name);
}

function setStatus(c, text) {
  if (c.els) c.els.status.textContent = text;
}

function build(c) {
  const root = $("#camera");
  clear(root);
  root.hidden = false;
  root.setAttribute("aria-labelledby", "camera-title");
  const names = state.model.info.classes;
  const els = {
    canvas: h("canvas", { class: "camera-live", role: "img", "aria-label": CAMERA.alt, width: "640", height: "480" }),
    status: h("span", { class: "camera-status", "aria-live": "off" }),
    note: h("p", { class: "camera-note message error", role: "alert", hidden: true }),
    freeze: h("button", { type: "button", class: "primary", "data-camera": "freeze", title: CAMERA.freezeTitle, disabled: true, onclick: () => freeze(c) }, CAMERA.freeze),
  };
  c.els = els;
  c.grab = document.createElement("canvas");
  c.picture = document.createElement("canvas");
  root.append(
    h(
      "div",
      { class: "view-head camera-head" },
      h("h2", { id: "camera-title" }, CAMERA.heading),
      h(
        "label",
        { class: "control" },
        h("span", {}, CAMERA.method),
        h("select", { "data-camera": "method", onchange: (e) => (c.method = e.target.value) }, METHODS.map((v) => h("option", { value: v }, (state.model.catalog.find((m) => m.name === v) || { title: v }).title))),
      ),
      h(
        "label",
        { class: "control" },
        h("span", {}, CAMERA.cls),
        h(
          "select",
          { "data-camera": "class", onchange: (e) => (c.cls = Number(e.target.value)) },
          h("option", { value: "-1" }, CAMERA.predicted),
          names.map((n, i) => h("option", { value: String(i) }, n)),
        ),
      ),
      els.freeze,
      h("button", { type: "button", "data-camera": "stop", onclick: () => stopCamera() }, CAMERA.stop),
    ),
    els.note,
    els.canvas,
    h("p", {}, els.status),
  );
}

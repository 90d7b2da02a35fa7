// Tiny DOM helpers.

export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

// h("div", {class: "x", onclick: fn}, "text", child, [more children])
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "html") el.innerHTML = value;
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

// Appends children (nested arrays flattened; null/false skipped; strings as text).
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function percent(p) {
  if (p >= 0.9995 && p < 1) return "99.9 %";
  if (p > 0 && p < 0.001) return "< 0.1 %";
  return `${(100 * p).toFixed(1)} %`;
}

export function ms(v) {
  if (v === null || v === undefined) return "–";
  return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;
}

// Runs rebuild() (which may replace root's children) and gives the focus back: to the same
// element if it is still there, else to the new element with the same data-focus key, else to
// root itself, so that the keyboard never drops to the page.
export function keepFocus(root, rebuild) {
  const had = document.activeElement;
  const inside = had && had !== root && root.contains(had);
  const key = inside && had.dataset ? had.dataset.focus : null;
  rebuild();
  if (!inside) return;
  const again = root.contains(had) ? had : key ? root.querySelector(`[data-focus="${key}"]`) : null;
  (again || root).focus({ preventScroll: true });
}

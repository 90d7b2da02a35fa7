// The page's language: English or Simplified Chinese, chosen from the browser's languages or
// by the person (the switch in the header), remembered in localStorage (which also works from
// file://). The words themselves live in text_en.js and text_zh.js (the same exports in both;
// text.js hands the current language's out); index.html's own words are in STATIC below.
// Nothing here reads the page state: main.js redraws on a change (onLangChange).

// [code, name of the language in that language]
export const LANGS = Object.freeze([
  ["en", "English"],
  ["zh-CN", "中文"],
]);
const STORE_KEY = "camscope.lang";
let current = "en";
const listeners = new Set();

// The language of a BCP 47 tag as the page has it ("zh", "zh-Hans-CN", "zh-TW" → "zh-CN";
// "en-GB" → "en"), or "" for a language the page does not have.
export function langOf(tag) {
  const t = String(tag || "").toLowerCase();
  if (t === "zh" || t.startsWith("zh-")) return "zh-CN";
  if (t === "en" || t.startsWith("en-")) return "en";
  return "";
}

// The first of the browser's languages the page has; English otherwise.
export function browserLang(languages) {
  for (const tag of languages || []) {
    const l = langOf(tag);
    if (l) return l;
  }
  return "en";
}

function stored() {
  try {
    return langOf(localStorage.getItem(STORE_KEY));
  } catch (e) {
    return ""; // storage refused (a privacy setting): the browser's language each time
  }
}

// Chooses the language at start: ?lang=, then the person's earlier choice, then the browser's.
export function chooseLang() {
  const asked = typeof location !== "undefined" ? langOf(new URLSearchParams(location.search).get("lang")) : "";
  const nav = typeof navigator !== "undefined" ? navigator.languages || [navigator.language] : [];
  current = asked || stored() || browserLang(nav);
  return current;
}

export function lang() {
  return current;
}

export function isZh() {
  return current === "zh-CN";
}

// Switches the language (remembered) and tells the listeners.
export function setLang(code) {
  const l = langOf(code) || "en";
  try {
    localStorage.setItem(STORE_KEY, l);
  } catch (e) {
    // not remembered where storage is refused; the switch still works for this visit
  }
  if (l === current) return;
  current = l;
  for (const fn of listeners) fn(l);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

// An object or array whose contents follow the language: reads go to tables[lang()][name] at
// the time of the read, so `LABELS.x`, `Object.entries(LAYER_GROUPS)` and `BASELINES.map`
// always give the current language's words.
export function follow(tables, name) {
  const now = () => (current === "zh-CN" ? tables.zh : tables.en)[name];
  if (Array.isArray(tables.en[name])) {
    return new Proxy([], { get: (_, p) => Reflect.get(now(), p), has: (_, p) => p in now() });
  }
  return new Proxy(
    {},
    {
      get: (_, p) => now()[p],
      has: (_, p) => p in now(),
      ownKeys: () => Reflect.ownKeys(now()),
      getOwnPropertyDescriptor: (_, p) => {
        const d = Reflect.getOwnPropertyDescriptor(now(), p);
        return d ? { value: d.value, enumerable: d.enumerable, writable: false, configurable: true } : undefined;
      },
    },
  );
}

// index.html's words: [selector, what ("text" or an attribute), English, Chinese]. The HTML
// carries the English; applyStatic() writes the current language's (and <html lang>).
export const STATIC = Object.freeze([
  ["title", "text", "camscope — what does the network look at?", "camscope — 网络在看哪里？"],
  [".skip", "text", "Skip to the maps", "跳到热力图"],
  [".brand p", "text", "What does the network look at?", "网络在看哪里？"],
  [".inputs", "aria-label", "Choose a picture", "选择图片"],
  [".inputs-label", "text", "Try", "试试"],
  ["#samples", "aria-label", "Sample pictures", "示例图片"],
  ["#opened", "aria-label", "Pictures you opened", "你打开的图片"],
  ["#open", "text", "Open a photo…", "打开照片…"],
  ["#open", "title", "Open a photo (key: O) — or drop or paste one anywhere on the page", "打开照片（快捷键 O）——也可以拖放或粘贴到页面任意位置"],
  [".inputs .hint", "text", "or drop / paste one anywhere", "或拖放 / 粘贴到任意位置"],
  ["#keys", "text", "Keys", "快捷键"],
  ["#keys", "title", "Keyboard shortcuts (key: ?)", "键盘快捷键（快捷键 ?）"],
  ["#large", "title", "Large type for projectors (key: L)", "大字模式，适合投影（快捷键 L）"],
  [".toolbar", "aria-label", "Views and map settings", "视图与热力图设置"],
  ["#tabs", "aria-label", "Views", "视图"],
  ["#controls", "aria-label", "Map settings", "热力图设置"],
  ["#label-layer", "text", "Layer", "层"],
  ["#label-class", "text", "Class", "类别"],
  ["#label-cmap", "text", "Colours", "配色"],
  ["#label-opacity", "text", "Opacity", "不透明度"],
  ["#label-norm", "text", "Normalise", "归一化"],
  ["#label-rawmax", "text", "Bar top", "色标上限"],
  ["#raw-max", "placeholder", "auto", "自动"],
  ["#raw-max", "title", "Fix the top of the colour bar to compare pictures; empty = automatic", "固定色标的上限以便比较不同图片；留空 = 自动"],
  ["#message-close", "aria-label", "Close the message (Esc)", "关闭消息（Esc）"],
  ["#message-close", "title", "Close (Esc)", "关闭（Esc）"],
  ["#model-line", "text", "Loading the network…", "正在加载网络…"],
  [".privacy", "text", "Runs on this computer: no picture leaves it.", "在本机运行：图片不会离开这台电脑。"],
  ["#drop-title", "text", "Drop a photo to explain it", "放下照片即可解释"],
  ["#drop-csw-1", "text", "or a ", "或放下 "],
  ["#drop-csw-2", "text", " weights file to explain that model", " 权重文件来解释该模型"],
  ["#keys-title", "text", "Keyboard", "键盘"],
  ["#key-views", "text",
    "Explain · Feature maps · Compare · How it works · Is it right? (also from a drop-down or slider; not while typing a number)",
    "解释 · 特征图 · 比较 · 原理 · 对不对？（在下拉框或滑块中也可用；输入数字时除外）"],
  ["#key-steps", "text",
    "previous / next step (How it works, wherever the focus is but on the view tabs), channel (Feature maps)",
    "上一步 / 下一步（原理；焦点不在视图标签上时均可），通道（特征图）"],
  ["#key-grid", "text",
    "channel a row up / down, first / last, four rows up / down (Feature maps, tile grid focused)",
    "通道上移 / 下移一行，第一个 / 最后一个，上移 / 下移四行（特征图，焦点在图块网格上时）"],
  ["#key-esc", "text", "close a message, or the methods / fuse-layers picker", "关闭消息，或关闭方法 / 多层融合选择框"],
  ["#key-layer", "text", "deeper / shallower layer", "更深 / 更浅的层"],
  ["#key-class", "text", "next class", "下一个类别"],
  ["#key-norm", "text", "next normalisation", "下一种归一化"],
  ["#key-opacity", "text", "more / less heatmap opacity", "增加 / 降低热力图不透明度"],
  ["#key-large", "text", "large type (projector)", "大字模式（投影）"],
  ["#key-open", "text", "open a photo", "打开照片"],
  ["#key-save", "text", "save this view as PNG", "将当前视图保存为 PNG"],
  ["#keys-close", "text", "Close", "关闭"],
]);

// Writes index.html's words in the current language and sets <html lang>.
export function applyStatic(doc = document) {
  doc.documentElement.lang = current;
  const zh = current === "zh-CN";
  for (const [sel, what, en, zhText] of STATIC) {
    const el = sel === "title" ? doc.querySelector("title") : doc.querySelector(sel);
    if (!el) continue;
    const v = zh ? zhText : en;
    if (what === "text") el.textContent = v;
    else el.setAttribute(what, v);
  }
}

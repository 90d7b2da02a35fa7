// The page's words in Simplified Chinese: the same exports as text_en.js (tests/browser/
// i18n.test.mjs checks that every name and key is in both). Formulas, method names (Grad-CAM…),
// layer names, file names and paper references stay as they are.
import { fmt as number } from "./draw.js";
import { percent as percentText } from "./dom.js";
import { SANITY_STILL, rhoText, againstRandom } from "./text_common.js";

export const CMAP_WORDS = Object.freeze({
  viridis: { low: "深紫色", high: "黄色", name: "Viridis" },
  gray: { low: "黑色", high: "白色", name: "Gray（灰度）" },
  turbo: { low: "深蓝色", high: "深红色", name: "Turbo" },
  jet: { low: "深蓝色", high: "深红色", name: "Jet" },
});

export function cmapWords(cmap) {
  return CMAP_WORDS[cmap] || { low: "色标的低端", high: "色标的高端", name: cmap };
}

// "猫和狗"，"猫、狗和鸟"；名字太多时只列前几个。
export function classList(names) {
  if (names.length === 0) return "没有类别";
  if (names.length > 6) return `${names.length} 个类别（${names.slice(0, 4).join("、")} 等）`;
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join("、")}和${names[names.length - 1]}`;
}

export function knowsOnly(names) {
  const some = names.length === 2 ? "两者之一" : "其中之一";
  return `这个网络只认识${classList(names)}：它总会选${some}，即使图片里一个也没有。`;
}

export function evidenceSentence(cmap) {
  const w = cmapWords(cmap);
  return `${w.high}表示图片中提高了该类别得分的部分；${w.low}表示没有。`;
}

export function normNote(norm) {
  if (norm === "map") return "每张图按自己的峰值缩放：比较的是位置，而不是强弱（较弱类别的说明会写出它被放大了多少）。";
  if (norm === "shared") return "同一方法的各类别共用一个色标：较弱的类别看起来也较弱。";
  return "原始数值，每种方法一个色标（上限：较强类别的峰值，或用“色标上限”来比较不同图片）。";
}

export function normShort(norm) {
  return { map: "按单张图（每张图按自己的峰值）", shared: "同一方法的各类别共用", raw: "原始数值" }[norm] || norm;
}

export function mapCaption({ empty, peak, strongest, strongestName, norm, isStrongest }) {
  if (empty) return "全为零：没有正面证据";
  let text = `峰值 ${number(peak)}`;
  if (norm === "raw" || !(strongest > 0) || isStrongest) return text;
  const share = Math.round((100 * peak) / strongest);
  if (norm === "shared") return `${text} · 为较强类别的 ${share} %`;
  const factor = strongest / peak;
  return `${text} · 为${strongestName}的 ${share} % · 颜色放大 ×${factor >= 10 ? Math.round(factor) : factor.toFixed(1)}`;
}

export function legendEnds(norm, scale) {
  if (norm === "map") return ["0", "每张图的峰值"];
  return ["0", number(scale)];
}

export function pictureWarnings(p, input) {
  const out = [];
  const w = p.originalWidth || p.width;
  const h = p.originalHeight || p.height;
  const side = Math.min(input[1], input[2]);
  if (Math.max(w, h) < side / 2) {
    out.push(`图片非常小（${w} × ${h} px）：网络看到的是放大 ${Math.round(side / Math.max(w, h))} 倍到 ${input[2]} × ${input[1]} 的版本，可供判断的细节很少。`);
  }
  const ratio = Math.max(w, h) / Math.min(w, h);
  if (ratio >= 2.5) {
    out.push(`图片非常${w > h ? "宽" : "高"}（${ratio.toFixed(1)} : 1）：网络会把它压缩成 ${input[2]} × ${input[1]} 的正方形，形状在它看来是变形的。`);
  }
  if (p.flat) out.push("这张图片几乎是纯色：没有什么可识别的，但网络仍然会选一个类别。");
  return out;
}

export function mapAlt({ method, className, picture, peak, empty }) {
  return `${picture} 上“${className}”的 ${method} 热力图：${empty ? "全为零，没有正面证据" : `峰值 ${number(peak)}`}`;
}

export function predictionAnnouncement(picture, names, prediction) {
  const p = prediction.probabilities;
  const rest = names.map((n, c) => (c === prediction.predicted ? null : `${n} ${percentText(p[c])}`)).filter(Boolean);
  return `${picture}：${names[prediction.predicted]}，${percentText(p[prediction.predicted])}${rest.length <= 3 && rest.length ? `（${rest.join("，")}）` : ""}。`;
}

export function saveName(what) {
  return `保存 PNG：${what}`;
}

export const METHOD_GROUPS = Object.freeze([
  ["gradient", "基于梯度的方法"],
  ["nogradient", "不用梯度的方法"],
  ["against", "反对该类别（负面证据）"],
  ["picture", "输入分辨率的图像"],
]);

export function methodNote(name, { channels = 0, samples = 0 } = {}) {
  if (name === "scorecam") return `额外计算：该层每个通道一次前向传播${channels ? `（${channels} 次）` : ""}`;
  if (name === "smoothgrad") return `额外计算：每个加噪副本一次前向和一次反向传播${samples ? `（${samples} 次）` : ""}`;
  if (name === "eigencam") return "不用梯度：每个类别的图都一样";
  if (name === "guidedgradcam") return "导向反向传播 × 该层的 Grad-CAM";
  if (name === "gradcam_neg" || name === "layercam_neg") return "证据反对该类别的位置";
  return "";
}

export function methodsSummary(titles) {
  return `方法（${titles.length}）`;
}

export function methodsTooltip(titles) {
  return `显示的方法：${titles.join("，")}`;
}

export const METHOD_PICKER = Object.freeze({
  legend: "在“解释”中显示、并作为“比较”各列的方法",
  samples: "加噪副本数",
  noise: "噪声（占输入数值范围的比例）",
  close: "完成",
  keepOne: "至少要保留一种方法。",
});

export function progressText(name, title, done, total) {
  const what = name === "scorecam" ? "次遮罩前向传播" : "个加噪副本";
  return `${title}：已完成 ${done} / ${total} ${what}`;
}

export function longWaitNote(name, { channels = 0, samples = 0 } = {}) {
  if (name === "scorecam") return ["Score-CAM 正在运行", `${channels} 次前向传播，每个通道一次`];
  return ["SmoothGrad 正在运行", `${samples} 次前向和反向传播`];
}

export const WAITING = Object.freeze(["计算中…", ""]);

export function gradientCaption(peak) {
  return peak > 0 ? `最大 |梯度| ${number(peak)}` : "全为零：没有梯度传到图片";
}

export function rgbLegend(title) {
  return `${Array.isArray(title) ? title.join("，") : title}：灰色是平均梯度；比灰色亮的颜色：该处这种颜色越多，类别得分越高；更暗：得分越低`;
}

export function gradientAlt({ method, className, picture, peak }) {
  return `${picture} 上“${className}”的 ${method}，与图片同尺寸：梯度显示为 RGB 图像，最大 |梯度| ${number(peak)}`;
}

export const FUSE_TEXT = Object.freeze({
  summary: "多层融合",
  legend: "融合成一张图的层（两个或以上）",
  rule: "组合方式",
  method: "方法",
  rules: { max: "逐元素最大值", mean: "平均值" },
  note: "Layer-CAM 论文的做法：每层的图先除以自己的峰值，较浅的层再经 tanh(2·M) 缩放，然后在输入尺寸上组合。",
});

export function fusedTitle(methodTitle, rule) {
  return `${methodTitle}，融合（${{ max: "最大值", mean: "平均值" }[rule] || rule}）`;
}

export const LAYER_GROUPS = Object.freeze({
  suggested: "推荐",
  blocks: "模块（模块输出）",
  convs: "卷积层",
  pools: "池化层",
});

export function layerOption(choice) {
  const roles = { default: "默认", lastConv: "最后一个卷积层", lastPool: "最后一个池化层" };
  const what = choice.role.length
    ? choice.role.map((r) => roles[r]).join("，")
    : { suggested: "", blocks: "模块", convs: "卷积", pools: "池化" }[choice.group];
  const node = choice.name !== choice.node ? ` (${choice.node})` : "";
  const also = (choice.aliases || []).map((a) => ` = ${a}`).join("");
  return `${choice.name}${also}${node} · ${what} · ${choice.shape[1]}×${choice.shape[2]} · ${choice.shape[0]} 通道`;
}

export function layerNote(name, shape, isDefault) {
  const start = isDefault ? `层 ${name}（${shape[1]}×${shape[2]}）是 camscope 的起点：最后一个带网格的层。` : `层 ${name}（${shape[1]}×${shape[2]}）。`;
  return `${start}更深的层在较粗的网格上看到整个物体；较浅的层看到更精细的边缘和纹理，热力图也更嘈杂。按 [ ] 逐层切换。`;
}

export function layerHint(isDefault) {
  return isDefault ? "最后一个带网格的层；按 [ ] 切换其他层" : "更深：整个物体，更粗；更浅：更多细节";
}

export function channelPage(first, last, total) {
  return `按此顺序的第 ${first}–${last} 个通道，共 ${total} 个`;
}

export const PAGE_BUTTONS = Object.freeze({ previous: "◀ 上一页", next: "下一页 ▶" });

export function weightOrder(title, className) {
  return `“${className}”的 ${title} 权重，从大到小`;
}

export function modelLoaded(file, info, layer, shape) {
  return `正在解释“${file}”：${info.name}，类别为${classList(info.classes)}，从层 ${layer}（${shape[1]}×${shape[2]}）开始。`;
}

export const TEACH_STEPS = Object.freeze({
  gradcampp: "Grad-CAM++",
  eigencam: "Eigen-CAM",
  scorecam: "Score-CAM",
  guided: "Guided Grad-CAM",
  all: "所有方法",
});

export const TEACH = Object.freeze({
  gradcamppIntro:
    "Grad-CAM++ 不让每个位置都有同样的发言权：它用一个由梯度的二次方和三次方构成的系数 α 来加权每个位置上的正梯度（与 pytorch-grad-cam 的算法相同），这样物体分开的几个部分都能被计入。",
  gradcamppNumbers: ({ cname, layer, top, gcTop, positive, gcPositive, C, peak, gcPeak }) =>
    `在 ${layer} 上对“${cname}”：最强的通道是 k = ${top.k}（w = ${number(top.w)}；它的 Grad-CAM 权重为 ${number(top.gc)}）；Grad-CAM 最强的是 k = ${gcTop}。${C} 个通道中有 ${positive} 个的 Grad-CAM++ 权重为正（Grad-CAM：${gcPositive} 个）。热力图峰值：${number(peak)}（Grad-CAM：${number(gcPeak)}）。`,
  eigencamIntro: ({ positions, C }) =>
    `Eigen-CAM 完全不用梯度。它把该层的激活看作一张 ${positions} 个位置 × ${C} 个通道的表，找出各位置差异最大的方向——即第一主成分，通过奇异值分解（SVD）求得——并画出每个位置在该方向上的投影。`,
  eigencamSign: "SVD 不确定方向的正负号：camscope 让热力图与该层的平均激活同向，也就是指向该层最活跃的地方。",
  eigencamNumbers: ({ names, peaks, layer }) =>
    `没有梯度，热力图就不可能依赖于类别：在 ${layer} 上，它的峰值为${names.map((n, c) => `${n} ${number(peaks[c])}`).join("，")}——是同一张图。它显示的是该层在这张图片中认为最有特点的东西，不管它对哪个类别有用。`,
  scorecamIntro:
    "Score-CAM 直接去问网络本身。每个通道的图被拉伸到图片大小、缩放到 [0, 1] 后当作遮罩盖在图片上；遮罩后的图片再完整地通过一次网络，该类别在其上的概率就是这个通道的权重。",
  scorecamCost: ({ C }) => `也就是每个通道一次前向传播：这里是 ${C} 次，分批运行，不需要梯度。`,
  scorecamNumbers: ({ cname, C, seconds, top }) =>
    `${C} 张遮罩图片用时 ${seconds} 秒。使网络最确信是“${cname}”的遮罩所对应的通道：${top.map((t) => `k = ${t.k}（${(100 * t.w).toFixed(1)} %）`).join("，")}。`,
  scorecamWait: "正在运行遮罩前向传播…",
  scorecamRun: ({ C }) => `运行 Score-CAM：${C} 次前向传播`,
  scorecamNotRun: "此图片和该层还没有运行过 Score-CAM：只显示图片",
  guidedIntro:
    "Grad-CAM 比较粗糙：该层网格的每个格子只有一个值。导向反向传播把梯度一直传回到像素，只在 ReLU 的输入和梯度都为正时才让它通过：得到的图像和输入一样清晰，但不同类别之间几乎没有区别。",
  guidedProduct: "Guided Grad-CAM 把两者相乘：像导向梯度一样清晰，又只出现在 Grad-CAM 找到该类别的地方。",
  guidedNumbers: ({ cname, guidedPeak, productPeak, gcPeak, grid, input }) =>
    `对“${cname}”：最大 |梯度| 为 ${number(guidedPeak)}（导向反向传播）和 ${number(productPeak)}（Guided Grad-CAM）；Grad-CAM 的 ${grid} 热力图（峰值 ${number(gcPeak)}）在相乘前被拉伸到输入的 ${input}。图像按你的图片原尺寸绘制。`,
  guidedWait: "正在运行导向反向传播…",
  allIntro: ({ cname, layer }) => `camscope 的所有方法在这张图片上、对“${cname}”、在 ${layer} 层的结果。用“方法”选择“解释”中显示哪些。`,
  allHead: ["方法", "公式", "峰值"],
  notComputed: "见“解释”",
});

export const TEACH_CAPTIONS = Object.freeze({
  guided: "导向反向传播",
  gradcamUp: "Grad-CAM，拉伸到输入尺寸",
  product: "Guided Grad-CAM",
  masked: "将被各通道遮罩覆盖的图片",
});

export const LABELS = Object.freeze({
  emptyMap: ["空热力图", "该层没有正面证据"],
  mapAlt: (title, cname, picture, peak) => `${picture} 上“${cname}”的 ${title} 热力图，峰值 ${number(peak)}`,
  rawAlt: (title, grid, peak) => `原始的 ${grid} ${title} 热力图，峰值 ${number(peak)}`,
  onPicture: (title) => `图片上的 ${title}`,
  raw: (grid) => `原始的 ${grid} 热力图`,
  everyClass: "所有类别",
  chartAlt: (title, C, cname) => `“${cname}”的 ${C} 个通道的 ${title} 权重，已排序`,
  chartCaption: (title, cname) => `“${cname}”的 ${title} 权重 w_k，从大到小`,
  chartTitle: (cname, layer) => `${cname} 的 w_k（${layer}）`,
  weightFor: (title, cname) => `${cname} 的 ${title} 权重`,
  sortedBy: (title, cname) => `按 ${cname} 的 ${title} 权重从大到小排序`,
  fusedLine: (title, layers) => `${title}：层 ${layers}，在网络输入尺寸上`,
  notYet: (titles) => `尚未计算：${titles.join("，")}`,
  waitingAlt: (title, picture) => `${picture} 的 ${title}：计算中…`,
});

export const METRICS = Object.freeze({
  deletion: {
    name: "删除 AUC",
    short: "删除 AUC",
    better: "lower",
    text: "把热力图的像素按相关性从高到低排序（相同时按阅读顺序）。分 K 步，第 t 步把其中前 round(t·HW/K) 个像素的每个颜色通道都替换为删除基线；每步之后网络给出该类别的概率。这条曲线下的面积（删除比例 0 → 1，梯形法）越小，说明删除热力图所指的地方越快地破坏了证据。",
    formula: "AUC = Σₜ (pₜ₋₁ + pₜ) / 2K,  t = 1 … K,  pₜ = P(class | the first round(t·HW/K) pixels replaced)",
    reference: "Petsiuk, Das & Saenko, “RISE: Randomized Input Sampling for Explanation of Black-box Models”, BMVC 2018.",
    note: "越低越好。RISE 的默认设置：删除使用零基线。",
  },
  insertion: {
    name: "插入 AUC",
    short: "插入 AUC",
    better: "higher",
    text: "反过来：从插入基线开始，按热力图的顺序分 K 步还原图片自己的像素；每步之后记录该类别的概率。面积越大，说明热力图排在前面的像素越快地把证据带回来。",
    formula: "AUC = Σₜ (pₜ₋₁ + pₜ) / 2K,  pₜ = P(class | the first round(t·HW/K) pixels revealed on the baseline)",
    reference: "Petsiuk, Das & Saenko, “RISE”, BMVC 2018.",
    note: "越高越好。RISE 的默认设置：插入基线为模糊后的图片。",
  },
  drop: {
    name: "置信度下降",
    short: "下降",
    better: "lower",
    text: "Y 是该类别在原图上的概率，O 是在原图乘以缩放到 [0, 1] 的热力图（每个值除以热力图最大值）后的概率。下降为 max(0, Y − O) / Y：只保留热力图所示内容时，原得分损失了多少。Average Drop 是它在所有图片上的平均值 × 100。",
    formula: "drop = max(0, Y − O) / Y;  Average Drop = 100 · mean(drop) %",
    reference: "Chattopadhyay, Sarkar, Howlader & Balasubramanian, “Grad-CAM++”, WACV 2018.",
    note: "越低越好。这是论文中的相对下降；有些库报告的是绝对下降 Y − O，它们的数字与这里不可比。保留了图片大部分内容的热力图（平坦或随机的热力图大约保留每个像素的一半）损失很少，因此下降值很小：请结合删除和插入面积一起看。",
  },
  increase: {
    name: "置信度提升",
    short: "提升",
    better: "higher",
    text: "在同一张遮罩后的图片上：该类别的概率是否上升（O > Y）？Increase in Confidence 是概率上升的图片所占的比例，单位为 %。",
    formula: "increase = [O > Y];  Increase in Confidence = 100 · mean(increase) %",
    reference: "Chattopadhyay et al., “Grad-CAM++”, WACV 2018.",
    note: "越高越好。",
  },
  road: {
    name: "ROAD",
    short: "ROAD",
    better: "higher",
    text: "在 r %（10、30、50、70、90）时，移除最相关（MoRF）或最不相关（LeRF）的 r % 像素，并用带噪声的线性插补填充：每个被移除的值是其 8 个邻居的加权平均（上下左右 1/6，对角 1/12），每个通道作为一个稀疏线性方程组求解，再加上高斯噪声（标准差 0.01）。记录每个 r 下该类别的概率；综合值 = 对 r 取 (LeRF − MoRF) / 2 的平均。",
    formula: "combined = mean over r of (P_LeRF(r) − P_MoRF(r)) / 2",
    reference: "Rong, Leemann, Borisov, Kasneci & Kasneci, “A Consistent and Efficient Evaluation Strategy for Attribution Methods” (ROAD), ICML 2022.",
    note: "越高越好。仅限命令行：稀疏求解在本机每个百分比约需 0.1–0.8 秒，对本页面来说太慢。",
  },
  random: {
    name: "随机热力图",
    short: "随机热力图",
    better: "",
    text: "一张均匀噪声的热力图（固定随机种子），和方法的热力图一样用每个指标打分：这是方法必须超过的数字。在某个指标上不比随机热力图好的方法，在该指标上什么也说明不了。",
    formula: "map(x, y) ~ U[0, 1), seed fixed",
    reference: "RISE 以及 Grad-CAM++ 和 ROAD 评估中使用的基线。",
    note: "",
  },
  sanity: {
    name: "秩相关 ρ",
    short: "ρ",
    better: "lower",
    text: "级联模型随机化：网络中带权重的层（卷积层、全连接层、批归一化层）从 logits 往下逐层重新初始化，每一步多一层（卷积和全连接权重 N(0, 2 / fan-in)，偏置 0，批归一化 γ = 1、β = 0，固定随机种子）。每一步都用 Spearman 秩相关 ρ 比较该方法在所选层的热力图与原始热力图（相同值取平均秩；热力图为常数时为 0）。模型被破坏时仍不变化的热力图，并不能解释模型学到了什么。",
    formula: "ρ = Pearson correlation of the ranks of the two maps' values",
    reference: "Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim, “Sanity Checks for Saliency Maps”, NeurIPS 2018.",
    note: `越低越好（热力图应该变化）。本页面使用的经验法则：所有层都重新初始化后 |ρ| ≥ ${SANITY_STILL}，说明热力图几乎没有变化。`,
  },
});

export const BASELINES = Object.freeze([
  ["zero", "零（训练集的平均颜色）"],
  ["mean", "这张图片的平均颜色"],
  ["blur", "模糊后的图片（11×11 高斯，σ 5）"],
]);

export function baselineWords(name) {
  const b = BASELINES.find(([n]) => n === name);
  return b ? b[1] : name;
}

export const STEP_CHOICES = Object.freeze([
  [50, "50（与论文相同）"],
  [20, "20（较快）"],
  [10, "10（快，较粗）"],
]);

export const RIGHT_PARTS = Object.freeze([
  ["picture", "这张图片"],
  ["sanity", "合理性检验"],
  ["set", "全部图片"],
]);

export function versusRandom(metric, value, random) {
  const kind = againstRandom(METRICS[metric].better, value, random);
  return { same: "与随机热力图相同", better: "优于随机热力图", worse: "不优于随机热力图" }[kind] || "";
}

export function sanityVerdict(method, rho, layers) {
  if (rho === null || rho === undefined || !Number.isFinite(rho)) return `${method}：随机化后的模型上没有热力图。`;
  const r = rhoText(rho);
  if (Math.abs(rho) >= SANITY_STILL)
    return `${method} 未通过：全部 ${layers} 层重新初始化后，它的热力图与原始热力图仍有 ρ = ${r}——学到的权重被破坏后它几乎不变，所以它显示的是图片或网络结构，而不是这个模型学到的东西：它对模型什么也没有解释。`;
  return `${method} 通过：全部 ${layers} 层重新初始化后 ρ = ${r}——学到的权重被破坏后它的热力图随之改变，所以热力图取决于模型学到的东西。`;
}

export function sanityIntro(className) {
  return `模型中带权重的层从顶部（logits）往下逐层重新初始化，每一步多一层。每张热力图下方：“${className}”热力图与原始热力图的 Spearman 秩相关 ρ（1：顺序完全相同）。模型被破坏时仍不变化的热力图并不能解释模型。每张图按自己的峰值缩放。`;
}

export function roadShort() {
  return "仅限命令行（对本页面太慢）；对于这些图片和设置：";
}

export function roadNote() {
  return "ROAD 只能在命令行中计算（它的插补对每个百分比求解一个稀疏方程组：本机每个约 0.1–0.8 秒，对本页面太慢）。对于这些图片和设置：";
}

export function rightProgressText(kind, done, total, seconds) {
  const what = kind === "sanity" ? "个随机化步骤" : kind === "set" ? "张图片" : "次前向传播";
  return `已完成 ${done} / ${total} ${what} · ${seconds.toFixed(1)} 秒`;
}

// ---- the views' and the page's fixed words

export const VIEW_NAMES = Object.freeze({ explain: "解释", features: "特征图", compare: "比较", teach: "原理", right: "对不对？" });
export const NORM_NAMES = Object.freeze({ map: "按单张图", shared: "类别共用", raw: "原始值 + 色标" });
export const CMAP_GROUPS = Object.freeze({ "colour-blind safe": "色盲友好", "rainbow: hard for colour-blind eyes": "彩虹色：色盲难以分辨" });

export const SHIPPED_CLASSES = Object.freeze({ cat: "猫", dog: "狗" });
export const SAMPLE_TITLES = Object.freeze({ "both.png": "一只猫和一只狗", "cat.jpg": "一只猫", "dog.jpg": "一只狗" });

export const LANG_SWITCH = Object.freeze({ label: "English", title: "Switch to English（切换到英文）", lang: "en" });

export const UI = Object.freeze({
  pastedPicture: "粘贴的图片",
  notRead: (name, why) => `无法读取“${name}”：${why}`,
  notLoaded: (name, why, before) => `未能加载“${name}”：${why}。仍在解释之前的模型（${before}）。`,
  sampleTitle: (title) => `解释示例图片：${title}`,
  againTitle: (name) => `再次解释 ${name}`,
  predictedClass: "预测的类别",
  inWorker: "在 Worker 中运行",
  inPage: "在页面中运行（无 Worker）",
  simd: "WebAssembly SIMD",
  noSimd: "WebAssembly，无 SIMD（较慢）",
  modelTitle: (file, classes) => `权重文件：${file}；类别：${classes.join("，")}`,
  timings: (forward, backward, maps) => [`前向 ${forward}`, `反向 ${backward}`, `热力图 ${maps}`],
  firstMap: (s, phases) => `打开后 ${s} 秒得到第一张热力图（${phases}）`,
  phases: { page: "页面", core: "内核", weights: "权重", forward: "前向", backward: "反向", drawn: "绘制" },
  threads: (n) => `，${n} 个线程`,
  working: "计算中…",
  saveTitle: "将当前视图保存为 PNG 图片（快捷键 S）",
  thisView: "当前视图",
  savePng: "保存 PNG",
  notExplained: (name, why) => `无法解释“${name}”：${why}`,
  dropFile: "请拖放图片文件本身（来自你的文件夹）。从其他网页拖来的图片无法读取——本页面从不下载任何东西。",
  pasteText: "剪贴板里是文字，不是图片。请复制一张图片（例如“复制图片”）后再粘贴。",
  notStarted: "网络无法启动。",
  notStartedWhy: (why) => `网络无法启动：${why}`,
  noWasm: "这个浏览器不支持 camscope 所需的 WebAssembly。请使用较新版本的 Firefox、Chrome、Edge 或 Safari。",
  noSamples: "缺少示例图片（samples.js）：请用 tools/build.sh 构建页面；你自己的照片仍可使用。",
  noWeights: "缺少网络权重（weights.js）：请用 tools/build.sh 构建页面。",
  slowCore: "这个浏览器不支持 WebAssembly SIMD，因此 camscope 使用较慢的版本——一切照常工作，只是稍慢一些。",
  enlarge: "点按放大",
  enlarged: (what) => `${what}，已放大（点按或按 Esc 关闭）`,
  closeEnlarged: "关闭",
});

export const EXPLAIN = Object.freeze({
  layerLabel: (layer, channels) => `${layer}（${channels} 个通道）`,
  logitsTitle: "原始类别得分 y^c（logits）；概率是它们的 softmax。热力图解释的是这些得分。",
  scores: "得分 y：",
  predicted: "预测",
  question: "每个类别的证据在哪里？",
  layer: (l) => `层 ${l}`,
  thesemaps: "这些热力图",
  picture: (name) => `图片 ${name}`,
  mapFor: (title, name) => `“${name}”的 ${title} 热力图`,
  colourScale: (title, low, lowValue, high, highValue) => `${title} 色标：${low} = ${lowValue}，${high} = ${highValue}`,
  size: (w, h) => `${w} × ${h} px`,
  from: (w, h) => `（原图 ${w} × ${h}）`,
  linePicture: (name, w, h, pred) => `图片：${name}（${w} × ${h} px）${pred ? ` · 预测为 ${pred}` : ""}`,
  lineLayer: (layer, channels, methods) => `层 ${layer}（${channels} 个通道）${methods ? ` · ${methods.join("，")}` : ""}`,
  lineNorm: (norm) => `归一化：${norm}`,
  lineColours: (name, low, high, opacity) => `配色 ${name}：${low} = 0，${high} = 色标上限 · 不透明度 ${opacity} %`,
  headPicture: "图片",
  model: (name) => `模型 ${name}`,
});

export const FEATURES = Object.freeze({
  orderLabel: "图块的排列顺序",
  order: "顺序",
  oneRange: "所有通道使用同一色标范围",
  howTo: "点击图块可放大；焦点在网格上时，可用 ← → ↑ ↓ Home End PgUp PgDn 移动。",
  saveWhat: "所有通道和放大的通道",
  about: (high, low) =>
    `一个通道就是一个特征检测器：它响应的图案出现的地方为${high}，最弱的地方为${low}（除非勾选“同一色标范围”，否则每个图块按自己的范围缩放）。` +
    "它的 Grad-CAM 权重表示：这个通道再多一些会提高（正）还是降低（负）类别得分，以及幅度多大。",
  title: (c, layer, hh, ww) => `${layer} 的全部 ${c} 个通道（每个 ${hh}×${ww}）`,
  byNumber: "通道编号",
  pageWords: (page, pages, range) => `第 ${page} / ${pages} 页（${range}），`,
  gridLabel: (c, layer, pageWords, size, selected, rank) =>
    `${layer} 的 ${c} 张特征图，${pageWords}${size} 个图块；已选通道 ${selected}，在此顺序中排第 ${rank} / ${c}。可用方向键、Home、End、Page Up 和 Page Down 移动。`,
  gridSize: (cols, rows) => `${cols} × ${rows}`,
  heading: (k) => `通道 ${k}`,
  range: (lo, hi, cname, w) => `激活范围 ${lo} 到 ${hi}，${cname} 的权重 ${w}`,
  bigAlt: (k, layer, picture, range) => `${layer} 的通道 ${k} 叠加在图片 ${picture} 上：${range}`,
  plainAlt: (k, layer, grid, range) => `${layer} 的通道 ${k} 单独显示，${grid}：${range}`,
  gcWeightFor: (n) => `${n} 的 Grad-CAM 权重`,
  activationRange: "激活范围",
  place: "在此顺序中的位置",
  rankOf: (r, c) => `${r} / ${c}`,
  byChannel: "按通道编号排序",
  figTitle: (picture, c, layer) => `camscope — ${picture}：${layer} 的 ${c} 个通道`,
  figLine: (picture, w, h, layer, c, order) => `图片：${picture}（${w} × ${h} px） · 层 ${layer}，${c} 个通道，${order}`,
  figShared: "所有图块共用一个色标范围（整层的最小值到最大值）；图块角上的数字是它的通道编号",
  figOwn: "每个图块按自己的范围缩放（该通道的最小值到最大值）；图块角上的数字是它的通道编号",
  figColours: (name, low, high, k, lo, hi, cname, w) => `配色 ${name}：${low} = 低激活，${high} = 高激活 · 通道 ${k}：范围 ${lo} 到 ${hi}，${cname} 的 Grad-CAM 权重 ${w}`,
  headAll: "所有通道（带编号）",
  headOver: (k) => `通道 ${k} 叠加在图片上`,
  headPlain: (k, grid) => `通道 ${k}，${grid}`,
  activation: "激活（每个图块）",
  tileMin: "图块最小值",
  tileMax: "图块最大值",
});

export const COMPARE = Object.freeze({
  picture: (name) => `图片 ${name}`,
  notDrawn: (name) => `${name} 的热力图，尚未绘制`,
  explain: (name) => `解释 ${name}`,
  explainSr: "解释 ",
  saveTitle: (what) => `将${what}保存为 PNG 图片`,
  saveName: (what) => what,
  headPicture: "图片",
  table: (title) => `${title} 表`,
  vs: (titles) => titles.join(" 对比 "),
  vsTitle: (titles) => `${titles.join(" 对比 ")} — 预测的类别`,
  sideBySide: (n) => `${n} 种方法并列`,
  vsNote: "每一行使用网络对该图片预测的类别。",
  allTables: (n) => `全部 ${n} 张表`,
  title: (layer) => `比较图片 — 层 ${layer}`,
  rows: "各行：示例图片和你打开的图片——点击一行即可解释该图片。拖入更多图片可以增加行。",
  eachPeak: "每张图的峰值",
  strongerPeak: "较强类别的峰值",
  predictedAlt: (name, verdict) => `图片 ${name}，预测为 ${verdict}`,
  figTitle: (title, n) => `camscope — ${title}：${n} 张图片`,
  eachPredicted: "每张图片的预测类别",
  classes: (names) => `类别：${names.join("，")}`,
  predicted: (v) => `预测 ${v}`,
  footer: (model, norm) => `模型 ${model} · 归一化：${norm}`,
});

export const TEACH_UI = Object.freeze({
  steps: ["网络的判断", "特征图", "通道权重", "Grad-CAM 热力图", "Layer-CAM"],
  numbersStep: "读懂这些数字",
  guess: (input) => ["网络看了整张图片（缩小到 ", input, " 像素），并给每个类别一个", ["b", "得分"], " y", ["sup", "c"], "："],
  scoreY: "得分 y = ",
  probability: "概率 ",
  softmaxLead: "概率由得分经 softmax 得到：",
  why: (win) => ["所以它说是", ["b", win], "。但是", ["i", "为什么"], "？图片的哪些部分提高了每个类别的得分？热力图回答的就是这个问题，它解释的是", ["b", "得分 y"], ["sup", "c"], "，而不是概率。"],
  picture: (name) => `图片 ${name}`,
  inside: (layer, C, H, W) => ["在网络内部，每一层都把图片变成许多", ["b", "特征图"], " A", ["sup", "k"], "。层 ", ["code", layer], ` 有 ${C} 张，每张 ${H}×${W}：图片的每个区域对应一个数。`],
  detector: (high, low) => `每个通道 k 都是一个图案检测器：它的图案（边缘、纹理、物体的一部分……）出现的地方为${high}，没有出现的地方为${low}（每个图块按自己的范围缩放）。越深的层检测越大、越有意义的图案，网格也越粗。`,
  topChannels: (n, cname, C) => `这里是对“${cname}”最重要的 ${n} 个通道（见下一步）。“特征图”标签页显示全部 ${C} 个。`,
  channelAlt: (k, layer, w) => `${layer} 的通道 ${k}，权重 ${w}`,
  channelCap: (k, w) => `通道 ${k} · w = ${w}`,
  howMuch: (cname, grid) => ["每个通道对类别", ["b", cname], "有多重要？反向传播给出梯度 ∂y", ["sup", "c"], "/∂A", ["sup", "k"], "：如果该通道在那个位置更亮，得分会怎样变化。Grad-CAM 在 ", grid, " 个位置（Z）上对它求平均："],
  signs: (cname, layer, positive, C) => `在 ${layer} 上对“${cname}”：${C} 个通道中 ${positive} 个权重为正（橙色条，向上），${C - positive} 个为负（蓝色条，向下）。最强的是：`,
  barsAlt: (C, cname) => `“${cname}”的 ${C} 个通道的 Grad-CAM 权重，已排序`,
  barsCap: (cname, C) => `“${cname}”的 Grad-CAM 权重 w_k，全部 ${C} 个通道，从大到小`,
  barsTitle: (cname, layer) => `${cname} 的 w_k（${layer}）`,
  barsExport: (cname) => `${cname} 的 Grad-CAM 权重，从大到小`,
  gcAdds: ["Grad-CAM 热力图把各特征图乘以各自的权重后相加，只保留正的部分（ReLU）：即", ["i", "提高"], "得分的地方。"],
  gcResult: (grid, peak) => `结果是 ${grid}，与该层相同；它被（双线性）拉伸到图片上并着色。这里它的最大值是 ${peak}——单位是得分的敏感度；颜色按这个峰值缩放。`,
  colourWords: (high, cname, low, name) => [`${high}：支持`, ["b", cname], `的强证据。${low}：没有证据（零）。（配色：${name}。）`],
  gcOver: (cname) => `图片上“${cname}”的 Grad-CAM`,
  gcOverExport: (cname) => `Grad-CAM · ${cname} · 叠加在图片上`,
  rawMap: (grid) => `原始的 ${grid} 热力图`,
  rawGcAlt: (grid, cname, peak) => `“${cname}”原始的 ${grid} Grad-CAM 热力图，峰值 ${peak}`,
  layercamIntro: ["Layer-CAM 不把梯度平均成每个通道一个权重：它", ["b", "在每个位置"], "都保留梯度，并且只保留正的部分："],
  layercamMore: "（⊙ 表示逐位置相乘。）这样一个通道只在真正有助于该类别的地方才被计入，热力图保留了更多细节——在较浅的层上最明显。试试在上方切换层。",
  peak: (p) => `峰值 ${p}`,
  rows: {
    probability: ["概率", (cname) => `网络有多确信这是${cname}（得分的 softmax；所有类别加起来为 100 %）`],
    score: ["得分 y", "该类别在 softmax 之前的原始输出；热力图解释的就是这个数"],
    weight: ["权重 w", "Grad-CAM：一个通道有多重要（显示最大的那个）"],
    peak: ["峰值", "热力图的最大值；“按单张图”时每张图的颜色按自己的峰值缩放"],
    grid: ["网格", (layer, px) => `${layer} 上热力图的分辨率；每个格子大约覆盖 ${px} 个输入像素`],
    time: ["时间", "在这台电脑上用 WebAssembly 完成的前向传播 + 反向传播"],
  },
  caution: "热力图显示网络在哪里找到了证据——并不说明它是对的。一个自信的错误答案也有热力图。",
  stepSave: (n) => `第 ${n} 步，保存为图片`,
  prev: "上一步",
  next: "下一步",
  stepLabel: (n, s) => `第 ${n} 步：${s}`,
  navLabel: (cname, layer) => `类别“${cname}” · 层 ${layer} · 按键 ← →`,
  mapPeak: "热力图的峰值",
  activation: "激活（每个图块）",
  tileMin: "图块最小值",
  tileMax: "图块最大值",
  gcWeight: "Grad-CAM 权重",
  positive: "正",
  negative: "负",
  noMap: "网络所得到的图片：这一步没有热力图，也没有色标",
  tilesLine: (n, cname) => `${cname} 的 Grad-CAM 权重最大的 ${n} 个通道；每个图块单独缩放`,
  tilesColours: (name, low, high) => `配色 ${name}：${low} = 图块最小值，${high} = 图块最大值`,
  figTitle: (n, s) => `camscope — 原理，第 ${n} 步：${s}`,
  figClass: (cname, predicted) => `类别 ${cname}${predicted ? "（预测的类别）" : ""}`,
  firstColumn: ["", "的第一列"],
});

export const METHOD_TITLES = Object.freeze({
  gradcam_ew: "Grad-CAM（逐元素）",
  gradcam_neg: "Grad-CAM，反对该类别",
  layercam_neg: "Layer-CAM，反对该类别",
  guidedbackprop: "导向反向传播",
  saliency: "显著图（输入梯度）",
});

export const RIGHT = Object.freeze({
  title: "对不对？",
  baselineShort: { zero: "零", mean: "平均色", blur: "模糊" },
  parts: "“对不对？”的各部分",
  run: "运行",
  cancel: "取消",
  scoreSet: (n) => (n === 1 ? "为这张图片打分" : `为 ${n} 张图片打分`),
  stopTitle: "停止这次计算",
  computedTitle: "已按这些设置计算完成",
  computeTitle: "按这些设置计算",
  progress: "计算进度",
  whatToCompute: "要计算的内容",
  partSave: (part) => `“${part}”部分`,
  layerTitle: (layer) => `层 ${layer}`,
  steps: "步数",
  deletionBaseline: "删除基线",
  insertionBaseline: "插入基线",
  classes: "类别",
  mostLikely: (n) => `可能性最大的 ${n} 个类别`,
  everyClass: "所有类别",
  only: (cname) => `仅${cname}`,
  eachPredicted: "每张图片的预测类别",
  sanityClass: (cname) => `类别 ${cname}（由“类别”控件选择） · `,
  whatIsRho: "ρ 是什么？",
  thisOne: (p) => `（当前这张 ${p} %）`,
  starting: (s) => `正在开始… ${s} 秒`,
  cancelled: "已取消。点“运行”计算剩余部分。",
  failed: (why) => `失败：${why}`,
  doneIn: (s) => `完成，用时 ${s} 秒。`,
  kept: "已完成（沿用之前的结果）。",
  setHint: (n) => `为“比较”中的每张图片打分（${n} 张）；50 步的运行每张图片需要几秒钟。`,
  computing: "计算中…",
  done: "完成。",
  cancelledShort: "已取消。",
  defTitle: (name) => `“${name}”是什么？（定义、公式、论文）`,
  reference: "参考文献：",
  close: "关闭",
  metric: "指标",
  random: "随机",
  randomMap: "随机热力图",
  better: (b) => (b === "lower" ? "越低越好" : "越高越好"),
  yes: "是",
  no: "否",
  notYetCurves: (method, name) => `${method}，${name}：删除和插入曲线，尚未计算`,
  curvesAlt: (method, name, d0, d1, dA, rdA, i0, i1, iA, riA) =>
    `${method}，${name}：删除曲线从 ${d0} 到 ${d1}，面积 ${dA}${rdA ? `（随机热力图 ${rdA}）` : ""}；插入曲线从 ${i0} 到 ${i1}，面积 ${iA}${riA ? `（随机热力图 ${riA}）` : ""}`,
  axis: "删除 / 还原的像素比例",
  chartComputing: "计算中…",
  keyDeletion: "删除（阴影为面积）",
  keyInsertion: "插入（阴影为面积）",
  keyRandom: "随机热力图（虚线）",
  keyMarks: "✓ / ✗ / =：优于 / 不优于 / 等于随机热力图。",
  roadCommand: "同时计算 ROAD 的 camscope evaluate 命令",
  baselines: (del, ins, steps) => `删除基线：${del} · 插入基线：${ins} · ${steps} 步 · 每个数字旁边是随机热力图的数字。`,
  method: "方法",
  original: "原始",
  stepTitle: (i, node) => `第 ${i} 步：${node} 及其上方的所有层已重新初始化`,
  computingMaps: "正在计算随机化模型的热力图…",
  rhoNotYet: "秩相关图，尚未计算",
  noMap: "无热力图",
  noMapAt: (method, step) => `${method}：第 ${step} 步没有热力图`,
  trainedAlt: (method, cname, empty) => `训练好的模型上“${cname}”的 ${method} 热力图${empty ? "：全为零" : ""}`,
  randomisedAlt: (method, cname, node, rho, empty) => `${node} 及其上方各层重新初始化后“${cname}”的 ${method} 热力图：ρ = ${rho}${empty ? "，全为零" : ""}`,
  none: "无",
  rhoAlt: (list) => `每一步与原始热力图的秩相关：${list}`,
  legendAlt: (low, high) => `色标：${low} = 0，${high} = 每张图自己的峰值`,
  ownPeak: "每张图自己的峰值",
  rhoAxis: "与原始热力图的 ρ",
  stepsAxis: "重新初始化的层（步）",
  saveCsvTitle: "将表格保存为 CSV（包含模型、其哈希值、层、设置和各指标的定义）",
  saveCsv: "保存 CSV",
  saveJsonTitle: "将表格保存为 JSON（包含模型、其哈希值、层、设置、定义和曲线）",
  saveJson: "保存 JSON",
  setCommand: "用于这些图片的 camscope evaluate 命令，含 ROAD",
  setBaselines: (scored, del, ins, steps, classes) => `${scored ? "" : "尚未打分。"}删除基线：${del}；插入基线：${ins}；${steps} 步；${classes}。对已打分图片取平均值 ± 标准差（标准差按 n 计算，与命令行的汇总相同）。`,
  averageDrop: "平均下降 (Average Drop)",
  increaseConf: "置信度提升 (Increase in Confidence)",
  meanCaption: (n, of) => `各方法的平均值 ± 标准差，基于 ${of} 张图片中的 ${n} 张`,
  explain: (name) => `解释 ${name}`,
  notScored: " 尚未打分",
  perPicture: "逐张图片",
  pictureClass: "图片，类别",
  drop: "下降",
  increase: "提升",
  figPicture: (name, w, h, pred) => `图片：${name}（${w} × ${h} px） · 预测为 ${pred}`,
  figModel: (info, file) => `模型 ${info}（${file}）`,
  figLayer: (layer, methods, classes) => `层 ${layer} · 方法 ${methods} · 类别 ${classes}`,
  figBaselines: (del, ins, steps) => `删除基线：${del} · 插入基线：${ins} · ${steps} 步`,
  figTitle: (name) => `camscope — 对不对？${name}：删除与插入`,
  figRandom: "每个数字旁边是随机热力图（均匀噪声，固定随机种子）的数字：这是方法必须超过的基线。✓ 优于，✗ 不优于，= 等于随机热力图。",
  figDeletionKey: "删除曲线（面积越低越好）",
  figInsertionKey: "插入曲线（面积越高越好）",
  figDeletion: (v, r, mark) => `删除 AUC ${v}（随机热力图 ${r}）${mark}`,
  figInsertion: (v, r, mark) => `插入 AUC ${v}（随机热力图 ${r}）${mark}`,
  figDrop: (v, r, mark) => `置信度下降 ${v}（随机热力图 ${r}）${mark}`,
  figIncrease: (v, r, mark) => `置信度是否提升：${v ? "是" : "否"}（随机热力图：${r ? "是" : "否"}）${mark}`,
  figYO: (y, o) => `Y = ${y}，O（图片 × 热力图）= ${o}`,
  figNotYet: "尚未计算",
  figRefs: "删除 / 插入：RISE（Petsiuk 等，BMVC 2018）。置信度下降与提升：Grad-CAM++（Chattopadhyay 等，WACV 2018），采用相对下降 max(0, Y − O) / Y——有些库报告的是绝对下降 Y − O。",
  figModelLine: (file) => `模型 ${file}`,
  figSanityTitle: (name) => `camscope — 对不对？合理性检验（级联随机化）：${name}`,
  figSanityPicture: (name, w, h, cname, p) => `图片：${name}（${w} × ${h} px） · 类别 ${cname}（${p}）`,
  figSanityModel: (info, file, layer, methods) => `模型 ${info}（${file}） · 层 ${layer} · 方法 ${methods}`,
  figSanityIntro: "带权重的层从 logits 往下逐层重新初始化，每步多一层；ρ = 每张热力图与原始热力图的 Spearman 秩相关。每张图按自己的峰值缩放。",
  figMapColours: "热力图配色",
  figStep: (i) => `第 ${i} 步`,
  figSanityRef: (still) => `Adebayo 等，“Sanity Checks for Saliency Maps”，NeurIPS 2018。此处使用的经验法则：所有层重新初始化后 |ρ| ≥ ${still} 表示热力图几乎没有变化。`,
  figSetTitle: (n) => `camscope — 对不对？${n} 张图片：各方法的平均值 ± 标准差`,
  figSetModel: (info, file, layer, methods) => `模型 ${info}（${file}） · 层 ${layer} · 方法 ${methods} + 随机热力图`,
  figSetSettings: (del, ins, steps, classes) => `删除基线：${del} · 插入基线：${ins} · ${steps} 步 · 类别：${classes}`,
  figSetHead: ["方法", "n", "删除 AUC ↓", "插入 AUC ↑", "平均下降 ↓", "置信度提升 ↑"],
  figRowsHead: ["图片 · 类别", "方法", "删除 AUC", "插入 AUC", "下降", "提升"],
  figSetRefs: "删除 / 插入：RISE（Petsiuk 等，BMVC 2018）。平均下降 / 置信度提升：Grad-CAM++（Chattopadhyay 等，WACV 2018），相对下降 max(0, Y − O) / Y——有些库报告的是绝对下降。标准差按 n 计算。ROAD：仅限命令行（camscope evaluate）。",
});

export const PICTURE = Object.freeze({
  empty: (name) => `“${name}”是空文件（0 字节）。`,
  tooBig: (name, size, max) => `“${name}”有 ${size}；只能读取不超过 ${max} 的图片。`,
  notPicture: (name, kind) => `“${name}”${kind ? `（${kind}）` : ""}不是本页面能读取的图片。请使用 JPEG、PNG、GIF、WebP 或 BMP 照片。`,
  tooLarge: (name, w, h, side, mp) =>
    `“${name}”为 ${w} × ${h} 像素——太大，无法在浏览器标签页中安全解码（每边最多 ${side} px，总共最多 ${mp} 百万像素）。请缩小后再试。`,
  truncated: (name, format) => `“${name}”是一个提前结束的 ${format} 文件——它似乎不完整（下载没有完成？）。`,
  badPng: (name, problem) => `“${name}”看起来是 PNG 文件，但无法解码——可能已损坏（${problem}）。`,
  damaged: (name, format) => `“${name}”看起来是 ${format} 文件，但无法解码——可能已损坏。`,
  noPixels: (name) => `“${name}”没有像素。`,
  tooLargeShort: (name, w, h) => `“${name}”为 ${w} × ${h} 像素——太大。`,
  problems: {
    "its header is cut short": "文件头不完整",
    "its header is invalid": "文件头无效",
    "it has no pixel data": "没有像素数据",
    "its compressed pixel data is invalid": "压缩的像素数据无效",
    "its pixel data is incomplete": "像素数据不完整",
  },
});

export const METHOD_FORMULAS = Object.freeze({
  eigencam: "M = ReLU(A 的第一主成分上的投影)",
  eigengradcam: "M = ReLU(G * A 的第一主成分上的投影)",
  guidedbackprop: "dy_c/dx，经过的 ReLU 只在输入和梯度都 > 0 时让梯度通过",
  guidedgradcam: "导向反向传播 * 上采样到输入尺寸的 Grad-CAM",
  smoothgrad: "对 N 个加噪副本 x + e（e ~ N(0, (0.15 (max x - min x))^2)）的 dy_c/dx 取平均",
});

// ---- 可打印的实验报告（report.js，来自“比较”视图；issue 14）
export const REPORT = Object.freeze({
  button: "打印实验报告",
  buttonTitle: "把“比较”视图的图连同模型、层、方法、归一化方式和色标排版后打印（也可在打印对话框里另存为 PDF）",
  waiting: "打印实验报告：“比较”视图还在计算各行",
  title: "camscope 实验报告",
  intro: "类激活图由 camscope 在浏览器中计算：没有任何图片离开这台电脑。",
  model: "模型",
  file: (bytes) => `${bytes.toLocaleString("zh-CN")} 字节`,
  crc: "CRC-32",
  sha: "SHA-256",
  noSha: "此浏览器环境不提供（页面通过普通 http 提供）",
  builtIn: "自带模型",
  layer: "层",
  methods: "方法",
  norm: "归一化",
  colours: "色标",
  opacity: "不透明度",
  pictures: "图片",
  classes: "类别",
  printed: "打印时间",
  figureAlt: (title, picture) => `${title}：${picture}`,
  figureLine: (layer, norm) => `层 ${layer} · 归一化：${norm}`,
  top: "色标顶端",
});

// 用文字描述色标，供报告使用：“Viridis：深紫 = 0，黄色 = 色标顶端”。
export function reportColours(cmap) {
  const w = cmapWords(cmap);
  return `${w.name}：${w.low} = 0，${w.high} = 色标顶端`;
}

// ---- 一次处理整个文件夹（view_folder.js）
export const FOLDER = Object.freeze({
  open: "文件夹…",
  openTitle: "预测一个文件夹里的每张图片（也可以把文件夹或多张图片拖到页面任意位置）",
  heading: "文件夹",
  cancel: "取消",
  close: "关闭",
  closeTitle: "关闭文件夹表格（缩略图随之丢弃）",
  csv: "保存 CSV",
  json: "保存 JSON",
  png: "保存图表（PNG）",
  columns: Object.freeze({ index: "#", path: "图片", label: "真实类别", predicted: "预测", confidence: "置信度", right: "对吗？" }),
  sortBy: (column) => `按“${column}”排序`,
  right: "对",
  wrong: "错",
  unlabelled: "–",
  failed: "无法读取",
  explainRow: (path) => `解释 ${path}`,
  matrixTitle: "混淆矩阵",
  matrixCorner: "真实 ↓ · 预测 →",
  noLabels: (classes) => `无法判断对错：请按类别给文件夹命名（${classes.map((c) => `${c}/`).join("、")}），才能为预测打分。`,
  nothing: "这个文件夹里没有文件。",
  cancelled: (done, total) => `已取消：完成 ${total} 张中的 ${done} 张。`,
});

// “1000 张中的 12 张 · 每秒 41.5 张”
export function folderProgress(done, total, seconds) {
  const rate = seconds > 0 ? ` · 每秒 ${(done / seconds).toFixed(1)} 张` : "";
  return `${total} 张中的 ${done} 张${rate}`;
}

// 文件夹的一行摘要：图片数、读取失败数、有标签图片上的准确率。
export function folderSummary({ total, errors, labelled, correct }) {
  const parts = [`${total} 张图片`];
  if (errors) parts.push(`${errors} 张无法读取`);
  if (labelled) parts.push(`准确率 ${percentText(correct / labelled)}（${labelled} 张中对 ${correct} 张）`);
  return parts.join(" · ");
}

// 实验图（混淆矩阵的 PNG 导出）的标题和说明行。
export function folderFigureText({ model, total, labelled, correct, errors }) {
  return {
    title: `混淆矩阵 — ${model}`,
    lines: [
      labelled ? `准确率 ${percentText(correct / labelled)}：${labelled} 张有标签图片中对 ${correct} 张` : "没有带标签的图片",
      `共 ${total} 张图片${errors ? `，${errors} 张无法读取` : ""}；行：真实类别（文件夹名），列：预测类别`,
    ],
  };
}

// ---- 实时摄像头（camera.js）
export const CAMERA = Object.freeze({
  open: "摄像头",
  openTitle: "实时解释摄像头看到的画面（视频不会离开这台电脑）",
  heading: "实时摄像头",
  stop: "关闭摄像头",
  freeze: "定格",
  freezeTitle: "把这一帧保留为图片，所有视图都可用",
  method: "热力图",
  cls: "类别",
  predicted: "预测的类别",
  starting: "正在启动摄像头…",
  frozenName: (stamp) => `camera ${stamp}.png`,
  alt: "摄像头画面，叠加了该类别的热力图",
});

// 摄像头画面下方的实时帧率和预测。
export function cameraStatus({ fps, className, probability, ms }) {
  const rate = fps > 0 ? `每秒 ${fps.toFixed(1)} 帧` : "–";
  return `${className} ${percentText(probability)} · ${rate} · 每帧 ${Math.round(ms)} 毫秒`;
}

// 摄像头无法启动的原因（reason 的含义见 text_en.js 的 cameraProblem）。
export function cameraProblem(reason, detail = "") {
  if (reason === "insecure")
    return "此浏览器不向本页面提供摄像头：摄像头只在 https、localhost 以及（部分浏览器中）从磁盘打开的文件里可用。请通过 http://localhost（tools/demo.sh）或 https 打开本页面。";
  if (reason === "NotAllowedError" || reason === "SecurityError")
    return "摄像头未获允许（权限被拒绝，或本页面被阻止）。请在浏览器的网站设置中允许摄像头后重试。";
  if (reason === "NotFoundError" || reason === "OverconstrainedError") return "这台电脑上没有找到摄像头。";
  if (reason === "NotReadableError" || reason === "AbortError") return "摄像头正忙或无法启动（是否有其他程序在使用它？）。";
  if (reason === "frame") return `实时热力图已停止：${detail}`;
  return `摄像头无法启动${detail ? `：${detail}` : "。"}`;
}

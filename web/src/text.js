// The page's words in the current language (i18n.js): each export hands out text_en.js's or
// text_zh.js's (the same names in both; tests/browser/i18n.test.mjs checks that), so views
// import their words from here and never see the language. One line per export of
// text_en.js (a table: follow(); a function: cur()'s); a new word goes into both text_en.js
// and text_zh.js, then a line here (the i18n test fails while one is missing).
import * as en from "./text_en.js";
import * as zh from "./text_zh.js";
import { isZh, follow } from "./i18n.js";

import { layerWithGrid, exportFileName, pictureStem, fusedLayers, SANITY_STILL, score, share, meanSd, rhoText, evaluateCommand, dataFileName, againstRandom } from "./text_common.js";

export { layerWithGrid, exportFileName, pictureStem, fusedLayers, SANITY_STILL, score, share, meanSd, rhoText, evaluateCommand, dataFileName, againstRandom };

const tables = { en, zh };
const cur = () => (isZh() ? zh : en);

export const CMAP_WORDS = follow(tables, "CMAP_WORDS");
export function cmapWords(...a) {
  return cur().cmapWords(...a);
}
export function classList(...a) {
  return cur().classList(...a);
}
export function knowsOnly(...a) {
  return cur().knowsOnly(...a);
}
export function evidenceSentence(...a) {
  return cur().evidenceSentence(...a);
}
export function normNote(...a) {
  return cur().normNote(...a);
}
export function normShort(...a) {
  return cur().normShort(...a);
}
export function mapCaption(...a) {
  return cur().mapCaption(...a);
}
export function legendEnds(...a) {
  return cur().legendEnds(...a);
}
export function pictureWarnings(...a) {
  return cur().pictureWarnings(...a);
}
export function mapAlt(...a) {
  return cur().mapAlt(...a);
}
export function predictionAnnouncement(...a) {
  return cur().predictionAnnouncement(...a);
}
export function saveName(...a) {
  return cur().saveName(...a);
}
export const METHOD_GROUPS = follow(tables, "METHOD_GROUPS");
export function methodNote(...a) {
  return cur().methodNote(...a);
}
export function methodsSummary(...a) {
  return cur().methodsSummary(...a);
}
export function methodsTooltip(...a) {
  return cur().methodsTooltip(...a);
}
export const METHOD_PICKER = follow(tables, "METHOD_PICKER");
export function progressText(...a) {
  return cur().progressText(...a);
}
export function longWaitNote(...a) {
  return cur().longWaitNote(...a);
}
export const WAITING = follow(tables, "WAITING");
export function gradientCaption(...a) {
  return cur().gradientCaption(...a);
}
export function rgbLegend(...a) {
  return cur().rgbLegend(...a);
}
export function gradientAlt(...a) {
  return cur().gradientAlt(...a);
}
export const FUSE_TEXT = follow(tables, "FUSE_TEXT");
export function fusedTitle(...a) {
  return cur().fusedTitle(...a);
}
export const LAYER_GROUPS = follow(tables, "LAYER_GROUPS");
export function layerOption(...a) {
  return cur().layerOption(...a);
}
export function layerNote(...a) {
  return cur().layerNote(...a);
}
export function layerHint(...a) {
  return cur().layerHint(...a);
}
export function channelPage(...a) {
  return cur().channelPage(...a);
}
export const PAGE_BUTTONS = follow(tables, "PAGE_BUTTONS");
export function weightOrder(...a) {
  return cur().weightOrder(...a);
}
export function modelLoaded(...a) {
  return cur().modelLoaded(...a);
}
export const TEACH_STEPS = follow(tables, "TEACH_STEPS");
export const TEACH = follow(tables, "TEACH");
export const TEACH_CAPTIONS = follow(tables, "TEACH_CAPTIONS");
export const LABELS = follow(tables, "LABELS");
export const METRICS = follow(tables, "METRICS");
export const BASELINES = follow(tables, "BASELINES");
export function baselineWords(...a) {
  return cur().baselineWords(...a);
}
export const STEP_CHOICES = follow(tables, "STEP_CHOICES");
export const RIGHT_PARTS = follow(tables, "RIGHT_PARTS");
export function versusRandom(...a) {
  return cur().versusRandom(...a);
}
export function sanityVerdict(...a) {
  return cur().sanityVerdict(...a);
}
export function sanityIntro(...a) {
  return cur().sanityIntro(...a);
}
export function roadShort(...a) {
  return cur().roadShort(...a);
}
export function roadNote(...a) {
  return cur().roadNote(...a);
}
export function rightProgressText(...a) {
  return cur().rightProgressText(...a);
}
export const VIEW_NAMES = follow(tables, "VIEW_NAMES");
export const NORM_NAMES = follow(tables, "NORM_NAMES");
export const CMAP_GROUPS = follow(tables, "CMAP_GROUPS");
export const SHIPPED_CLASSES = follow(tables, "SHIPPED_CLASSES");
export const SAMPLE_TITLES = follow(tables, "SAMPLE_TITLES");
export const LANG_SWITCH = follow(tables, "LANG_SWITCH");
export const UI = follow(tables, "UI");
export const EXPLAIN = follow(tables, "EXPLAIN");
export const FEATURES = follow(tables, "FEATURES");
export const COMPARE = follow(tables, "COMPARE");
export const TEACH_UI = follow(tables, "TEACH_UI");
export const METHOD_TITLES = follow(tables, "METHOD_TITLES");
export const RIGHT = follow(tables, "RIGHT");
export const PICTURE = follow(tables, "PICTURE");
// A picture's fault in the current language: images.js' PictureError (or the {key, args} a
// worker's folder row carries) names a PICTURE message and its arguments; a PNG's data
// problem comes as pngDataProblem's English reason, said by PICTURE.problems.
export function pictureMessage({ key, args }) {
  const words = cur().PICTURE;
  if (key === "badPng") return words.badPng(args[0], words.problems[args[1]] || args[1]);
  return words[key](...args);
}
export const METHOD_FORMULAS = follow(tables, "METHOD_FORMULAS");
export const REPORT = follow(tables, "REPORT");
export const FOLDER = follow(tables, "FOLDER");
export const CAMERA = follow(tables, "CAMERA");
export function reportColours(...a) {
  return cur().reportColours(...a);
}
export function folderProgress(...a) {
  return cur().folderProgress(...a);
}
export function folderSummary(...a) {
  return cur().folderSummary(...a);
}
export function folderFigureText(...a) {
  return cur().folderFigureText(...a);
}
export function cameraStatus(...a) {
  return cur().cameraStatus(...a);
}
export function cameraProblem(...a) {
  return cur().cameraProblem(...a);
}

// Phones and tablets (issue 12): at 360×740, 390×844 and 768×1024 with a touch screen
// (isMobile, hasTouch) nothing is wider than the screen in any view, in English and Chinese;
// on a phone Explain's maps are one column as wide as the screen; a tap on a map enlarges it
// and a tap closes it. Screenshots go to $CAMSCOPE_SHOTS (default: the system's temp dir).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, openPage, startServer, idle } from "./helpers.mjs";

const SHOTS = process.env.CAMSCOPE_SHOTS || join(tmpdir(), "camscope-mobile");
mkdirSync(SHOTS, { recursive: true });
const VIEWS = ["explain", "features", "compare", "teach", "right"];

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

const touch = { isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

// How wide the page is against the screen, and what sticks out (for the message).
function widthOf(page) {
  return page.evaluate(() => ({
    scroll: document.scrollingElement.scrollWidth,
    inner: window.innerWidth,
    out: [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest("details:not([open]), dialog:not([open])"))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}.${e.className} → ${Math.round(e.getBoundingClientRect().right)}`),
  }));
}

for (const [w, hgt] of [[390, 844], [768, 1024], [360, 740]])
  for (const locale of ["en-US", "zh-CN"])
    test(`${w}×${hgt} ${locale}: no horizontal scroll in any view, maps large enough`, { timeout: 240000 }, async () => {
      const { page, context, seen } = await openPage(browser, server.url, { viewport: { width: w, height: hgt }, locale, context: touch });
      for (const v of VIEWS) {
        await page.tap(`#tab-${v}`);
        // "Is it right?" starts its curves at once (tens of seconds): its page is measured
        // when drawn, not when done.
        if (v === "right") await page.waitForSelector("#view-right .right-grid");
        else await idle(page);
        const m = await widthOf(page);
        assert.equal(m.inner, w, `${v}: the layout viewport stays the screen's width`);
        assert.ok(m.scroll <= m.inner, `${v}: page ${m.scroll} px wide on a ${m.inner} px screen: ${m.out.join("; ")}`);
        if (w === 390 || w === 768) await page.screenshot({ path: join(SHOTS, `${v}_${w}x${hgt}_${locale}.png`), fullPage: true });
      }
      // The pickers open inside the screen too.
      await page.tap("#tab-explain");
      await page.evaluate(() => window.camscopeDebug.state.view === "explain" && document.querySelector("#view-explain .maps"));
      await idle(page);
      for (const p of ["#methods-summary", "#fuse-summary"]) {
        await page.tap(p);
        const m = await widthOf(page);
        assert.ok(m.scroll <= m.inner, `${p} open: ${m.out.join("; ")}`);
        await page.tap(p);
      }
      // Explain's maps: one column on a phone, as wide as most of the screen; on the tablet
      // at least a third of it each.
      const maps = await page.evaluate(() => ({
        layout: document.querySelector("#view-explain .maps").dataset.layout,
        widths: [...document.querySelectorAll("#view-explain canvas[data-method]")].map((c) => c.getBoundingClientRect().width),
        lefts: [...new Set([...document.querySelectorAll("#view-explain canvas[data-method]")].map((c) => Math.round(c.getBoundingClientRect().left)))],
      }));
      const least = Math.min(...maps.widths);
      if (w < 640) {
        assert.equal(maps.layout, "list");
        assert.equal(maps.lefts.length, 1, "one column of maps");
        assert.ok(least >= 0.8 * w, `maps ${least} px wide on a ${w} px phone`);
      } else assert.ok(least >= w / 3, `maps ${least} px wide on a ${w} px tablet`);
      console.log(`${w}×${hgt} ${locale}: maps ${maps.layout}, ${Math.round(least)} px wide (${Math.round((100 * least) / w)} % of the screen)`);
      assert.deepEqual(seen.errors, []);
      await context.close();
    });

test("a tap enlarges a map; a tap closes it (phone, both languages)", { timeout: 120000 }, async () => {
  for (const locale of ["en-US", "zh-CN"]) {
    const { page, context } = await openPage(browser, server.url, { viewport: { width: 390, height: 844 }, locale, context: touch });
    const map = page.locator('#view-explain canvas[data-method="layercam"][data-class="1"]');
    await map.scrollIntoViewIfNeeded();
    await map.tap();
    const big = await page.evaluate(() => {
      const d = document.querySelector("dialog.enlarge");
      const c = d.querySelector("canvas");
      const r = c.getBoundingClientRect();
      return { open: d.open, w: r.width, label: c.getAttribute("aria-label"), caption: d.querySelector(".enlarge-caption").textContent, inner: innerWidth };
    });
    assert.ok(big.open, "the enlarged map opens");
    assert.ok(big.w >= 0.9 * big.inner - 40, `enlarged to ${big.w} px of ${big.inner}`);
    assert.match(big.label, locale === "zh-CN" ? /Layer-CAM 热力图/ : /Layer-CAM map for dog/);
    await page.screenshot({ path: join(SHOTS, `enlarged_390x844_${locale}.png`) });
    await page.tap("dialog.enlarge canvas");
    assert.equal(await page.evaluate(() => document.querySelector("dialog.enlarge").open), false, "a tap closes it");
    await context.close();
  }
});

/// <reference lib="dom" />
/**
 * The dashboard's recent-history charts in headless Chromium (tests/browser/chromium.ts), against a running app on the
 * real broker sampled every 500 ms: while the ingress is paused through the page's button and records keep coming,
 * its lag chart rises step by step; resumed, it falls back to zero while the records-in chart shows them taken in.
 * The egress and commit-time charts are drawn too. The screenshot is docs/dashboard-history.png.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import type { Page } from "../browser/deps.ts";
import { serve } from "../../src/serve/serve.ts";
import { launchChromium } from "../browser/chromium.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "../runtime/fixtures/functions.ts";
import { cleanUp, testLogger, testModule } from "../runtime/harness.ts";

const TOKEN = "s3cret-history-token";
const LAG_CHART = '.charts figure[data-series="lag"]';

/** The heights of the points a chart's line is drawn through, left to right (0 = the baseline, 1 = the top). */
async function drawnHeights(page: Page, figure: string): Promise<number[]> {
  return await page.$eval(figure, (element) => {
    const svg = element.querySelector("svg")!;
    const height = svg.viewBox.baseVal.height;
    const d = svg.querySelector(".line")!.getAttribute("d") ?? "";
    return [...d.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((match) => (height - 1 - Number(match[2])) / (height - 3));
  });
}

/** Waits until a chart's latest value is `value`. */
async function chartReaches(page: Page, figure: string, value: number): Promise<void> {
  await page.waitForFunction(
    ([selector, expected]) => document.querySelector<HTMLElement>(selector as string)?.dataset.last === expected,
    [figure, String(value)] as const,
    { timeout: 30_000 },
  ).catch(async (error) => {
    throw new Error(`${error.message}: ${figure} shows ${await page.getAttribute(`${figure} svg`, "aria-label")}`);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

kafkaTest("dashboard history: a paused ingress's lag chart rises, and falls once it is resumed", async () => {
  const input = await createTopic("in", { partitions: 2 });
  const output = await createTopic("out");
  const group = uniqueName("dash-history");
  const app = await serve({
    module: testModule({
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    }),
    functions: counterFunctions(output),
    handleSignals: false,
    controlAddr: "127.0.0.1:0",
    controlToken: TOKEN,
    logger: testLogger(),
    historyIntervalMs: 500,
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${app.controlUrl}/`);
    await page.waitForFunction(() => document.querySelectorAll("#tasks tbody tr").length === 2, undefined, {
      timeout: 30_000,
    });
    await page.waitForSelector(`${LAG_CHART} svg`);
    await page.fill("#token", TOKEN);
    await page.press("#token", "Enter");

    // Some traffic first, so the records-in and out charts have something to show.
    for (let round = 0; round < 3; round++) {
      await produce(input, Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 20}`, value: `warm ${round}` })));
      await sleep(700);
    }
    await readBack(output, 180, 60_000);
    await chartReaches(page, LAG_CHART, 0);

    await page.click(".ingress-head button:has-text('Pause')");
    await page.waitForSelector(".ingress-head .badge.paused");
    const before = (await drawnHeights(page, LAG_CHART)).length;
    for (let round = 1; round <= 5; round++) {
      await produce(input, Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 20}`, value: `paused ${round}` })));
      await sleep(1_200);
    }
    await chartReaches(page, LAG_CHART, 200);
    const rising = (await drawnHeights(page, LAG_CHART)).slice(before - 1);
    ok(
      rising.every((height, i) => i === 0 || height >= rising[i - 1] - 1e-9),
      `the lag line never falls while paused: ${rising.map((h) => h.toFixed(2))}`,
    );
    equal(rising.at(-1), 1, "it ends at the top of the chart");
    ok(new Set(rising.map((h) => h.toFixed(2))).size >= 4, `it rose in steps: ${rising.map((h) => h.toFixed(2))}`);
    const label = await page.getAttribute(`${LAG_CHART} svg`, "aria-label");
    ok(label!.startsWith("lag: now 200, max 200 over the last"), label!);
    equal(await page.getAttribute('.charts figure[data-series="in"]', "data-last"), "0", "nothing taken in");

    await page.click(".ingress-head button:has-text('Resume')");
    await readBack(output, 380, 60_000);
    await chartReaches(page, LAG_CHART, 0);
    await sleep(2_500); // a few samples at zero, for the picture
    const all = await drawnHeights(page, LAG_CHART);
    const peak = all.indexOf(1);
    const falling = all.slice(peak);
    ok(peak > 0 && falling.length >= 2, `a peak, then more points: ${all.map((h) => h.toFixed(2))}`);
    ok(
      falling.every((height, i) => i === 0 || height <= falling[i - 1] + 1e-9),
      `after the peak the lag line only falls: ${falling.map((h) => h.toFixed(2))}`,
    );
    equal(falling.at(-1), 0, "back to the baseline");
    const taken = await drawnHeights(page, '.charts figure[data-series="in"]');
    ok(taken.slice(peak).some((height) => height > 0), "records taken in after the resume");

    // The egress's and the commits' charts are drawn from the same history.
    const out = await page.getAttribute('#egresses figure[data-series="out"] svg', "aria-label");
    ok(/^out: now [\d.]+\/s, max [1-9][\d.,]*\/s/.test(out!), out!);
    const commits = await page.getAttribute('#commit-chart figure[data-series="commit"] svg', "aria-label");
    ok(/^commit time: now (unknown|[\d.]+ ms), max [1-9][\d.]* ms/.test(commits!), commits!);
    deepEqual(await page.$$eval("figure.chart svg", (svgs) => svgs.map((svg) => svg.namespaceURI)), [
      "http://www.w3.org/2000/svg",
      "http://www.w3.org/2000/svg",
      "http://www.w3.org/2000/svg",
      "http://www.w3.org/2000/svg",
    ], "inline SVG, four charts");
    await page.screenshot({
      path: new URL("../../docs/dashboard-history.png", import.meta.url).pathname,
      fullPage: true,
    });
  } finally {
    await browser.close();
    await app.stop();
  }
  await cleanUp(group, input, output);
});

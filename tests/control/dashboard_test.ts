/// <reference lib="dom" />
/**
 * The dashboard in headless Chromium (tests/browser/chromium.ts). Against a running app on the real broker: every
 * partition of its ingress is shown; lag bars grow while the ingress is paused through the page's button (after the
 * token is entered, which the page never shows) and drain after resume; a stopped task shows its reason and the record.
 * The screenshot is docs/dashboard.png. Against a control API over a fake app: 200 partitions and 50 functions fit a
 * wide and a narrow window without overlap, the page works by keyboard, and a page of another origin can neither
 * pause an ingress nor read the API (CORS stays closed).
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import type { Page } from "../browser/deps.ts";
import { createControlApp } from "../../src/control/app.ts";
import type { ControlledApp } from "../../src/control/controlled_app.ts";
import type { TaskReport } from "../../src/runtime/task/types.ts";
import { serve } from "../../src/serve/serve.ts";
import { launchChromium } from "../browser/chromium.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "../runtime/fixtures/functions.ts";
import { cleanUp, testLogger, testModule } from "../runtime/harness.ts";

const TOKEN = "s3cret-dashboard-token";

/** The lag cells of the page's partition rows. */
async function lags(page: Page): Promise<number[]> {
  return await page.$$eval(
    "#ingresses tbody tr",
    (rows) => rows.map((row) => Number((row as HTMLTableRowElement).cells[3].textContent!.replaceAll(",", ""))),
  );
}

kafkaTest("dashboard: partitions, pause and resume by button with lag bars, a stopped task's reason", async () => {
  const input = await createTopic("in", { partitions: 4 });
  const output = await createTopic("out");
  const group = uniqueName("dash");
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
    sessionTimeoutMs: 6_000,
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${app.controlUrl}/`);
    await page.waitForFunction(() => document.querySelectorAll("#ingresses tbody tr").length === 4);
    await page.waitForFunction(() => document.querySelectorAll("#tasks tbody tr").length === 4, undefined, {
      timeout: 30_000,
    });
    const partitions = await page.$$eval(
      "#ingresses tbody tr",
      (rows) => rows.map((row) => Number((row as HTMLTableRowElement).cells[0].textContent)).sort(),
    );
    deepEqual(partitions, [0, 1, 2, 3], "every partition of the ingress");
    equal(await page.isDisabled(".ingress-head button"), true, "changes need the token");
    await page.waitForFunction(() =>
      document.querySelector("#group tbody tr td:nth-child(3)")?.textContent === "0, 1, 2, 3"
    );
    ok((await page.textContent("#group tbody tr"))!.includes(`${app.runtime.instanceId} (this one)`));
    equal(await page.textContent("#group tbody tr td:nth-child(5)"), app.runtime.version.hash, "its module version");

    await page.fill("#token", TOKEN);
    await page.press("#token", "Enter");
    equal(await page.inputValue("#token"), "", "the token leaves the input");
    ok(!(await page.content()).includes(TOKEN), "the page never shows the token");
    await page.click(".ingress-head button:has-text('Pause')");
    await page.waitForSelector(".ingress-head .badge.paused");
    await produce(input, Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 40}`, value: String(i) })));
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("#ingresses tbody tr")].every((row) => Number(row.children[3].textContent) > 0),
      undefined,
      { timeout: 30_000 },
    );
    const paused = await lags(page);
    equal(paused.reduce((a, b) => a + b, 0), 200, `lag while paused: ${paused}`);
    const widest = await page.$$eval(".lag .fill", (fills) => Math.max(...fills.map((fill) => fill.clientWidth)));
    ok(widest > 0, "the lag bars grew");
    await page.screenshot({ path: new URL("../../docs/dashboard.png", import.meta.url).pathname, fullPage: true });

    await page.click(".ingress-head button:has-text('Resume')");
    await readBack(output, 200, 60_000);
    await page.waitForFunction(
      () => [...document.querySelectorAll("#ingresses tbody tr")].every((row) => row.children[3].textContent === "0"),
      undefined,
      { timeout: 30_000 },
    );

    // A record without a key stops its task (the default policy): the page says why and where.
    await produce(input, [{ key: null, value: "no key", partition: 2 }]);
    await page.waitForSelector("#tasks .badge.failed", { timeout: 30_000 });
    const detail = await page.textContent("#tasks tr:has(.badge.failed) td.detail");
    ok(/null key/.test(detail!) && detail!.includes(`${input}/2@`), detail!);
    ok(await page.isVisible("#tasks tr:has(.badge.failed) button:has-text('Restart')"));
  } finally {
    await browser.close();
    await app.stop();
  }
  await cleanUp(group, input, output);
});

/** A control API over a fake app with 200 partitions, 50 functions and one stopped task. */
function fakeApp(): { app: ControlledApp; calls: string[] } {
  const calls: string[] = [];
  const report = (task: number): TaskReport => ({
    task,
    status: task === 3 ? "failed" : "running",
    ...(task === 3
      ? {
        failure: {
          reason: "test.eddy/fn-7 failed 5 times: Error: the database said no, at length, as databases do",
          origin: { topic: "orders", partition: 3, offset: 123_456 },
        },
      }
      : {}),
    queued: task,
    inFlight: 0,
    invocations: 1_000 * task,
    commits: 10,
    ingressPauses: 0,
    carriedOver: 0,
    stateValues: 100,
    timers: 0,
    committedOffsets: {},
    functions: Object.fromEntries(
      Array.from({ length: 50 }, (_, f) => [`com.example.very.long.namespace/function-${f}`, {
        in: f * task,
        outLocal: 0,
        outRemote: 0,
        outEgress: 0,
        failures: 0,
        backlog: f % 3,
      }]),
    ),
    commitSeconds: { sum: 0, count: 0 },
    restoredRecords: 0,
    egressRecords: {},
    skipped: 0,
    deadLettered: 0,
  });
  const app: ControlledApp = {
    version: { hash: "0123456789abcdef", label: "v1" } as ControlledApp["version"],
    startedAt: Date.now(),
    instanceId: "instance-1",
    controlUrl: undefined,
    group: () => Promise.resolve([]),
    taskCount: 200,
    processingGuarantee: "exactly-once",
    moduleFile: "module.yaml",
    status: () => ({
      appId: "big",
      state: "running",
      taskCount: 200,
      tasks: Array.from({ length: 8 }, (_, t) => report(t)),
    }),
    isReady: () => true,
    ingresses: () => [{ id: "com.example/orders", groupId: "big", topics: ["orders"], state: "running" }],
    egresses: () => [{ id: "com.example/out", delivery: "exactly-once", address: "kafka:9092", records: 5, errors: 0 }],
    remoteFunctions: () => [],
    history: () => {
      // 15 minutes at 5 s: a burst of lag that drained, then the backlog the partitions show now.
      const at = Array.from({ length: 180 }, (_, i) => Date.now() - (179 - i) * 5_000);
      const wave = (i: number) =>
        i >= 120
          ? Math.round(416_300 * (i - 120) / 59)
          : Math.max(0, Math.round(90_000 * Math.sin(Math.PI * (i - 60) / 60)));
      return {
        intervalMs: 5_000,
        capacity: 180,
        windowMs: 900_000,
        bytes: 8 * 180 * 5,
        at,
        commitMs: at.map((_, i) => 20 + (i % 7)),
        ingresses: [{
          id: "com.example/orders",
          recordsPerSecond: at.map((_, i) => i < 60 ? 800 : 1_200),
          lag: at.map((_, i) => i < 60 ? 0 : wave(i)),
        }],
        egresses: [{ id: "com.example/out", recordsPerSecond: at.map((_, i) => i < 60 ? 800 : 1_150) }],
      };
    },
    ingressOffsets: () =>
      Promise.resolve(Array.from({ length: 200 }, (_, p) => ({
        topic: "orders",
        partition: p,
        committed: 1_000_000 + p,
        logEnd: 1_000_000 + p + (p * 37) % 5_000,
        lastStable: 1_000_000 + p + (p * 37) % 5_000,
        lag: (p * 37) % 5_000,
        owner: `eddy-instance-${p % 3}-0b7f6a2c-4a7d-4f7e-9c11-3f1c2d9e8a77`,
        task: p,
      }))),
    pauseIngress: (id) => {
      calls.push(`pause ${id}`);
    },
    resumeIngress: (id) => {
      calls.push(`resume ${id}`);
    },
    resetIngressOffsets: () => Promise.resolve([]),
    restartTask: (p) => {
      calls.push(`restart ${p}`);
    },
    functionSpec: () => undefined,
    task: () => undefined,
  };
  return { app, calls };
}

/** Whether any two cells of one row overlap, or the page is wider than the window. */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    if (document.body.scrollWidth > globalThis.innerWidth + 1) {
      problems.push(`the page is ${document.body.scrollWidth} px wide in a ${globalThis.innerWidth} px window`);
    }
    for (const row of document.querySelectorAll("tr")) {
      const boxes = [...row.children].map((cell) => cell.getBoundingClientRect());
      for (let i = 1; i < boxes.length; i++) {
        if (boxes[i].left < boxes[i - 1].right - 1) problems.push(`cells overlap in ${row.textContent?.slice(0, 60)}`);
      }
    }
    return problems.slice(0, 5);
  });
}

Deno.test("dashboard: 200 partitions and 50 functions fit wide and narrow windows; keyboard; no cross-site use", async () => {
  const { app, calls } = fakeApp();
  const control = createControlApp(app, { token: TOKEN });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, control.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const evil = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(
        `<script>
          fetch("${base}/v1/ingresses/com.example/orders/pause", { method: "POST", headers: { "content-type": "text/plain" },
            body: "{}" }).then((r) => document.title = "sent " + r.status, (e) => document.title = "blocked");
          fetch("${base}/v1/status").then((r) => r.text()).then((t) => document.body.dataset.read = t,
            () => document.body.dataset.read = "refused");
        </script>`,
        { headers: { "content-type": "text/html" } },
      ),
  );
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/`);
    await page.waitForFunction(() => document.querySelectorAll("#functions tbody tr").length === 50);
    equal(await page.locator("#ingresses details[open]").count(), 0, "200 partitions start collapsed");
    const summary = await page.textContent("#ingresses details summary");
    ok(summary!.includes("200 partitions"), summary!);
    await page.click("#ingresses details summary");
    await page.waitForFunction(() => document.querySelectorAll("#ingresses tbody tr").length === 200);
    const shown = await lags(page);
    deepEqual(shown, [...shown].sort((a, b) => b - a), "sorted by lag, largest first");
    deepEqual(await layoutProblems(page), []);
    await page.screenshot({ path: new URL("../../docs/dashboard-200-partitions.png", import.meta.url).pathname });
    await page.setViewportSize({ width: 420, height: 800 });
    deepEqual(await layoutProblems(page), [], "a narrow window scrolls the tables, not the page");

    // By keyboard: Tab to the token, type it, Enter; Tab on to the Pause button and press it.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.focus("#token");
    await page.keyboard.type(TOKEN);
    await page.keyboard.press("Enter");
    await page.waitForSelector(".ingress-head button:not([disabled])");
    await page.focus(".ingress-head button");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.getElementById("notice")!.hidden);
    deepEqual(calls, ["pause com.example/orders"]);

    // Another origin's page: its simple POST is refused, and it cannot read the API's answers.
    const other = await browser.newPage();
    await other.goto(`http://127.0.0.1:${evil.addr.port}/`);
    await other.waitForFunction(() => document.title !== "" && document.body?.dataset.read !== undefined, undefined, {
      timeout: 10_000,
    }).catch(async (error) => {
      throw new Error(`${error.message}: ${await other.title()} / ${await other.content()}`);
    });
    deepEqual(calls, ["pause com.example/orders"], `no pause from another origin (${await other.title()})`);
    equal(await other.evaluate(() => document.body.dataset.read), "refused", "CORS stays closed");
    const preflight = await fetch(`${base}/v1/status`, {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "GET" },
    });
    await preflight.body?.cancel();
    equal(preflight.headers.get("access-control-allow-origin"), null);
  } finally {
    await browser.close();
    await server.shutdown();
    await evil.shutdown();
  }
});

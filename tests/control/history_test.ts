/**
 * `GET /v1/history` over real HTTP against a real broker, sampled every 250 ms: the records taken in and sent out per
 * second add up to the records produced and written, commits have a time, the lag of a paused ingress rises by what
 * was produced meanwhile and falls to zero once it is resumed, and the ring's size is the one documented.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import type { RecentHistory } from "../../src/runtime/runtime.ts";
import { serve } from "../../src/serve/serve.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName, waitFor } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "../runtime/fixtures/functions.ts";
import { cleanUp, testLogger, testModule } from "../runtime/harness.ts";

const TOKEN = "history-token";
const INTERVAL_MS = 250;

/** Records over the whole history: each rate times the time since the sample before. */
function total(at: number[], perSecond: (number | null)[]): number {
  return perSecond.reduce<number>(
    (sum, rate, i) => sum + (rate ?? 0) * (i === 0 ? INTERVAL_MS : at[i] - at[i - 1]) / 1000,
    0,
  );
}

kafkaTest(
  "history route: rates add up to the records, a paused ingress's lag rises and falls once resumed",
  async () => {
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out");
    const group = uniqueName("history");
    const app = await serve({
      module: testModule({
        group,
        topics: [{ topic: input, targets: ["test.eddy/counter"] }],
        egresses: [{ id: OUT, delivery: "exactly-once" }],
      }),
      functions: counterFunctions(output),
      handleSignals: false,
      logger: testLogger(),
      controlAddr: "127.0.0.1:0",
      controlToken: TOKEN,
      historyIntervalMs: INTERVAL_MS,
    });
    const base = app.controlUrl!;
    const history = async (): Promise<RecentHistory & { instance: string }> => {
      const response = await fetch(`${base}/v1/history`);
      equal(response.status, 200);
      return await response.json();
    };
    const ingress = "/v1/ingresses/test.eddy/in";
    const post = (path: string) =>
      fetch(`${base}${path}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    try {
      await waitFor("readiness", async () => (await fetch(`${base}/ready`).then((r) => r.json())).ready === true);
      const empty = await history();
      deepEqual(
        { instance: empty.instance, intervalMs: empty.intervalMs, capacity: empty.capacity, windowMs: empty.windowMs },
        { instance: app.runtime.instanceId, intervalMs: INTERVAL_MS, capacity: 900, windowMs: 225_000 },
        "15 minutes at 250 ms would be 3 600 samples: the ring keeps 900",
      );
      equal(empty.bytes, 8 * 900 * (2 + 2 * 1 + 1), "times, commit time, in and lag of one ingress, out of one egress");
      await waitFor("a sample after the start", async () => (await history()).at.length >= 2);

      await produce(input, Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 30}`, value: String(i) })));
      await readBack(output, 300, 60_000);
      let sampled = await history();
      await waitFor("the records in the history", async () => {
        sampled = await history();
        return Math.round(total(sampled.at, sampled.ingresses[0].recordsPerSecond)) === 300 &&
          Math.round(total(sampled.at, sampled.egresses[0].recordsPerSecond)) === 300;
      }, 15_000).catch((error) => {
        throw new Error(`${error.message}: ${JSON.stringify(sampled)}`);
      });
      equal(sampled.ingresses[0].id, "test.eddy/in");
      equal(sampled.egresses[0].id, OUT);
      ok(sampled.commitMs.some((ms) => ms !== null && ms > 0), "commits were timed");
      const gaps = sampled.at.slice(1).map((t, i) => t - sampled.at[i]).sort((a, b) => a - b);
      const median = gaps[Math.floor(gaps.length / 2)];
      ok(median >= INTERVAL_MS - 50 && median <= 2 * INTERVAL_MS, `a sample every ${INTERVAL_MS} ms: ${gaps}`);

      // Paused: nothing is taken in, and the lag rises by what is produced.
      equal((await post(`${ingress}/pause`)).status, 200);
      const pausedAt = Date.now();
      for (let round = 0; round < 3; round++) {
        await produce(input, Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `p${round}` })));
        await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS));
      }
      await waitFor("lag 120 in the history", async () => (await history()).ingresses[0].lag.at(-1) === 120);
      const paused = await history();
      const whilePaused = paused.at.flatMap((t, i) => t > pausedAt + INTERVAL_MS ? [i] : []);
      const lagPaused = whilePaused.map((i) => paused.ingresses[0].lag[i]!);
      ok(
        lagPaused.every((lag, k) => k === 0 || lag >= lagPaused[k - 1]),
        `the lag never falls while paused: ${lagPaused}`,
      );
      ok(lagPaused[0] < 120, `it rose from below 120: ${lagPaused}`);
      ok(whilePaused.every((i) => paused.ingresses[0].recordsPerSecond[i] === 0), "nothing taken in while paused");

      // Resumed: the records are taken in and the lag falls back to zero.
      const resumedAt = Date.now();
      equal((await post(`${ingress}/resume`)).status, 200);
      await readBack(output, 420, 60_000);
      await waitFor("lag 0 in the history", async () => (await history()).ingresses[0].lag.at(-1) === 0);
      const resumed = await history();
      const after = resumed.at.flatMap((t, i) => t > resumedAt ? [i] : []);
      const lagAfter = after.map((i) => resumed.ingresses[0].lag[i]);
      equal(lagAfter.at(-1), 0, `${lagAfter}`);
      ok(after.some((i) => resumed.ingresses[0].recordsPerSecond[i]! > 0), "records taken in after the resume");
      equal(Math.round(total(resumed.at, resumed.ingresses[0].recordsPerSecond)), 420);
    } finally {
      await app.stop();
    }
    await cleanUp(group, input, output);
  },
);

/**
 * The history sampler over fake tasks and a manual clock: rates per second from the tasks' partition positions and
 * egress counters, the mean commit time of an interval, the lag as the source reports it, tasks that start over or
 * move away, a partition seen for the first time, a lag Kafka does not answer, a slow lag read, and the ring's size
 * for an interval.
 */

import { deepEqual, equal, throws } from "node:assert/strict";
import { ManualClock } from "./task/clock.ts";
import {
  HISTORY_WINDOW_MS,
  historyCapacity,
  HistorySampler,
  type HistorySource,
  type HistoryTask,
  MAX_HISTORY_SAMPLES,
} from "./history_sampler.ts";

/** A task whose counters the test moves. */
class FakeTask implements HistoryTask {
  /** Positions by `topic/partition`. */
  offsets: Record<string, number> = {};
  egressRecords: Record<string, number> = {};
  commitSeconds = { sum: 0, count: 0 };

  report() {
    return { egressRecords: { ...this.egressRecords }, commitSeconds: { ...this.commitSeconds } };
  }

  positions() {
    return Object.entries(this.offsets).map(([key, offset]) => {
      const [topic, partition] = key.split("/");
      return { topic, partition: Number(partition), offset };
    });
  }
}

function fakeSource(tasks: FakeTask[], lags: Record<string, number | null | Error> = {}) {
  const source: HistorySource & { tasksNow: FakeTask[]; lagReads: number } = {
    ingresses: [{ id: "t/orders", topics: ["orders", "orders-eu"] }, { id: "t/clicks", topics: ["clicks"] }],
    egresses: ["t/out"],
    tasksNow: tasks,
    lagReads: 0,
    tasks: () => source.tasksNow,
    ingressLag(id) {
      source.lagReads++;
      const lag = lags[id] ?? 0;
      return lag instanceof Error ? Promise.reject(lag) : Promise.resolve(lag);
    },
  };
  return source;
}

Deno.test("history sampler: records in per second per ingress come from the positions of the tasks' partitions", async () => {
  const clock = new ManualClock(1_000_000);
  const a = new FakeTask();
  const b = new FakeTask();
  a.offsets = { "orders/0": 100, "orders-eu/0": 10, "t-mailbox/0": 5 };
  b.offsets = { "orders/1": 200, "clicks/1": 0 };
  const sampler = new HistorySampler(fakeSource([a, b]), { intervalMs: 2_000, clock });
  sampler.start();
  a.offsets = { "orders/0": 120, "orders-eu/0": 14, "t-mailbox/0": 500 };
  b.offsets = { "orders/1": 210, "clicks/1": 6 };
  await clock.advance(2_000);
  const history = sampler.read();
  deepEqual(history.at, [1_002_000]);
  deepEqual(history.ingresses.map((ingress) => [ingress.id, ingress.recordsPerSecond]), [
    ["t/orders", [(20 + 4 + 10) / 2]],
    ["t/clicks", [3]],
  ]);
});

Deno.test("history sampler: records out per second per egress and the mean commit time of the interval", async () => {
  const clock = new ManualClock(0);
  const task = new FakeTask();
  task.egressRecords = { "t/out": 50 };
  task.commitSeconds = { sum: 1, count: 10 };
  const sampler = new HistorySampler(fakeSource([task]), { intervalMs: 5_000, clock });
  sampler.start();
  task.egressRecords = { "t/out": 100 };
  task.commitSeconds = { sum: 1.6, count: 30 };
  await clock.advance(5_000);
  await clock.advance(5_000); // nothing sent, nothing committed
  const history = sampler.read();
  deepEqual(history.egresses, [{ id: "t/out", recordsPerSecond: [10, 0] }]);
  deepEqual(history.commitMs, [30, null], "600 ms over 20 commits, then no commit");
});

Deno.test("history sampler: the lag of each ingress as the source reads it, null when Kafka does not answer", async () => {
  const clock = new ManualClock(0);
  const lags: Record<string, number | null | Error> = { "t/orders": 5, "t/clicks": new Error("timeout") };
  const sampler = new HistorySampler(fakeSource([], lags), { intervalMs: 1_000, clock });
  sampler.start();
  await clock.advance(1_000);
  lags["t/orders"] = 40;
  lags["t/clicks"] = 7;
  await clock.advance(1_000);
  deepEqual(sampler.read().ingresses.map((ingress) => ingress.lag), [[5, 40], [null, 7]]);
});

Deno.test("history sampler: a task started over counts from zero, a partition first seen from its position then", async () => {
  const clock = new ManualClock(0);
  const first = new FakeTask();
  first.offsets = { "orders/0": 1_000 };
  first.egressRecords = { "t/out": 500 };
  const source = fakeSource([first]);
  const sampler = new HistorySampler(source, { intervalMs: 1_000, clock });
  sampler.start();
  // The task starts over (a new object, its counters anew) and this instance is given partition 1, at offset 7 000.
  const again = new FakeTask();
  again.offsets = { "orders/0": 1_004 };
  again.egressRecords = { "t/out": 3 };
  const gained = new FakeTask();
  gained.offsets = { "orders/1": 7_000 };
  source.tasksNow = [again, gained];
  await clock.advance(1_000);
  gained.offsets = { "orders/1": 7_002 };
  await clock.advance(1_000);
  const history = sampler.read();
  deepEqual(history.ingresses[0].recordsPerSecond, [4, 2]);
  deepEqual(history.egresses[0].recordsPerSecond, [3, 0]);
});

Deno.test("history sampler: a partition that moved away and back does not count the records others processed", async () => {
  const clock = new ManualClock(0);
  const task = new FakeTask();
  task.offsets = { "orders/0": 10 };
  const source = fakeSource([task]);
  const sampler = new HistorySampler(source, { intervalMs: 1_000, clock });
  sampler.start();
  source.tasksNow = [];
  await clock.advance(1_000);
  const back = new FakeTask();
  back.offsets = { "orders/0": 90_000 };
  source.tasksNow = [back];
  await clock.advance(1_000);
  deepEqual(sampler.read().ingresses[0].recordsPerSecond, [0, 0]);
});

Deno.test("history sampler: a tick while the last lag read still runs is skipped, not queued", async () => {
  const clock = new ManualClock(0);
  let answer!: (lag: number) => void;
  const source: HistorySource = {
    ingresses: [{ id: "t/orders", topics: ["orders"] }],
    egresses: [],
    tasks: () => [],
    ingressLag: () => new Promise((resolve) => answer = resolve),
  };
  const sampler = new HistorySampler(source, { intervalMs: 1_000, clock });
  sampler.start();
  await clock.advance(3_000);
  equal(sampler.skipped, 2);
  equal(sampler.read().at.length, 0);
  answer(12);
  await sampler.settled();
  deepEqual(sampler.read().at, [1_000]);
  deepEqual(sampler.read().ingresses[0].lag, [12]);
  sampler.stop();
});

Deno.test("history sampler: stopped, it samples no more and keeps what it has", async () => {
  const clock = new ManualClock(0);
  const source = fakeSource([]);
  const sampler = new HistorySampler(source, { intervalMs: 1_000, clock });
  sampler.start();
  await clock.advance(2_000);
  sampler.stop();
  await clock.advance(5_000);
  deepEqual(sampler.read().at, [1_000, 2_000]);
  equal(source.lagReads, 4, "two samples of two ingresses");
});

Deno.test("history sampler: the ring holds 15 minutes of samples, at most 900, its size stated in bytes", () => {
  equal(historyCapacity(5_000), 180);
  equal(historyCapacity(1_000), 900);
  equal(historyCapacity(200), MAX_HISTORY_SAMPLES, "below 1 s the ring covers 900 intervals");
  equal(historyCapacity(7_000), Math.ceil(HISTORY_WINDOW_MS / 7_000));
  const history = new HistorySampler(fakeSource([]), { intervalMs: 5_000 }).read();
  deepEqual(
    { capacity: history.capacity, windowMs: history.windowMs, bytes: history.bytes },
    { capacity: 180, windowMs: 900_000, bytes: 8 * 180 * (2 + 2 * 2 + 1) },
  );
});

Deno.test("history sampler: refuses an interval below 100 ms, naming the option", () => {
  throws(() => historyCapacity(50), /historyIntervalMs must be at least 100 ms, not 50/);
  throws(() => new HistorySampler(fakeSource([]), { intervalMs: Number.NaN }), RangeError);
});

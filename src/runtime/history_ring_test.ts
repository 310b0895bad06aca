/**
 * The history ring: samples come back oldest first, a full ring drops its oldest, missing values read as null, its
 * memory is fixed at construction, and a sample of the wrong shape or a bad capacity is refused.
 */

import { deepEqual, equal, throws } from "node:assert/strict";
import { HistoryRing } from "./history_ring.ts";

Deno.test("history ring: returns its samples oldest first, each series in step with the times", () => {
  const ring = new HistoryRing(4, ["in", "lag"]);
  ring.push(1_000, [1, 10]);
  ring.push(2_000, [2, 20]);
  equal(ring.size, 2);
  deepEqual(ring.read(), { at: [1_000, 2_000], values: [[1, 2], [10, 20]] });
});

Deno.test("history ring: a full ring overwrites its oldest sample and keeps its capacity", () => {
  const ring = new HistoryRing(3, ["v"]);
  for (let t = 1; t <= 7; t++) ring.push(t, [t * 10]);
  equal(ring.size, 3);
  deepEqual(ring.read(), { at: [5, 6, 7], values: [[50, 60, 70]] });
});

Deno.test("history ring: a missing value reads as null, a zero as zero", () => {
  const ring = new HistoryRing(2, ["lag"]);
  ring.push(1, [null]);
  ring.push(2, [0]);
  deepEqual(ring.read().values, [[null, 0]]);
});

Deno.test("history ring: an empty ring reads as no samples", () => {
  deepEqual(new HistoryRing(5, ["a", "b"]).read(), { at: [], values: [[], []] });
});

Deno.test("history ring: its memory is 8 bytes per sample per series plus the times, fixed at construction", () => {
  const ring = new HistoryRing(180, ["commit", "in", "lag", "out"]);
  equal(ring.bytes, 8 * 180 * 5);
  equal(HistoryRing.bytesFor(900, 4), 36_000);
  for (let t = 0; t < 10_000; t++) ring.push(t, [1, 2, 3, 4]);
  equal(ring.bytes, 8 * 180 * 5);
  equal(ring.read().at.length, 180);
});

Deno.test("history ring: refuses a sample with the wrong number of values, naming the series", () => {
  const ring = new HistoryRing(2, ["in", "lag"]);
  throws(() => ring.push(1, [1]), /a sample has 2 values \(in, lag\), not 1/);
});

Deno.test("history ring: refuses a capacity that is not a positive whole number", () => {
  throws(() => new HistoryRing(0, ["v"]), RangeError);
  throws(() => new HistoryRing(2.5, ["v"]), /positive whole number of samples, not 2.5/);
});

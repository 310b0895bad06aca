import { deepEqual } from "node:assert/strict";
import { restoreStart } from "./restore_start.ts";

const DAY = 86_400_000;
const log = { low: 100, lastStable: 500 };

Deno.test("restore start: after a valid checkpoint only the tail is read", () => {
  deepEqual(restoreStart({ offset: 300, writtenAt: 1_000 }, log, DAY, 2_000), {
    from: 300,
    full: false,
    reason: "the local checkpoint at offset 300",
  });
  deepEqual(restoreStart({ offset: 500, writtenAt: 1_000 }, log, DAY, 2_000).from, 500); // nothing after it
  deepEqual(restoreStart({ offset: 100, writtenAt: 1_000 }, log, DAY, 2_000).full, false);
});

Deno.test("restore start: a full restore without a checkpoint, or when it is before the log, past it or too old", () => {
  for (
    const [checkpoint, now, reason] of [
      [undefined, 0, /no local checkpoint/],
      [{ offset: 99, writtenAt: 0 }, 1, /before the changelog's first offset 100/],
      [{ offset: 501, writtenAt: 0 }, 1, /past the changelog's end 500: the changelog was recreated/],
      [{ offset: 300, writtenAt: 0 }, DAY, /older than the changelog's delete\.retention\.ms/],
    ] as const
  ) {
    const start = restoreStart(checkpoint, log, DAY, now);
    deepEqual([start.from, start.full], [100, true]);
    deepEqual(reason.test(start.reason), true, start.reason);
  }
});

import { deepEqual } from "node:assert/strict";
import { startOffset } from "./start_offsets.ts";

const facts = { committed: -1, low: 10, high: 50 };

Deno.test("a committed offset wins over any startup position, unless it left the log", () => {
  deepEqual(startOffset({ type: "earliest" }, "latest", "t", 0, { ...facts, committed: 20 }).offset, 20);
  deepEqual(startOffset({ type: "earliest" }, "latest", "t", 0, { ...facts, committed: 5 }), {
    offset: 50,
    reason: "autoOffsetResetPosition latest (committed offset 5 is outside 10..50)",
  });
});

Deno.test("each startup position on the first start, with the reset fallback", () => {
  deepEqual(startOffset({ type: "earliest" }, "latest", "t", 0, facts).offset, 10);
  deepEqual(startOffset({ type: "latest" }, "earliest", "t", 0, facts).offset, 50);
  deepEqual(startOffset({ type: "group-offsets" }, "earliest", "t", 0, facts).offset, 10);
  deepEqual(startOffset({ type: "group-offsets" }, "latest", "t", 0, facts).offset, 50);
  const specific = { type: "specific-offsets" as const, offsets: [{ topic: "t", partition: 1, offset: 30 }] };
  deepEqual(startOffset(specific, "earliest", "t", 1, facts).offset, 30);
  deepEqual(startOffset(specific, "earliest", "t", 0, facts).offset, 10);
  deepEqual(startOffset(specific, "latest", "t", 1, { ...facts, low: 40 }).offset, 50);
  const date = { type: "date" as const, date: "2026-01-01 00:00:00.000 +0000", epochMillis: 1 };
  deepEqual(startOffset(date, "earliest", "t", 0, { ...facts, offsetForDate: 42 }).offset, 42);
  deepEqual(startOffset(date, "earliest", "t", 0, { ...facts, offsetForDate: -1 }).offset, 10);
  deepEqual(
    startOffset(date, "latest", "t", 0, facts).reason,
    "autoOffsetResetPosition latest (no record at or after 2026-01-01 00:00:00.000 +0000)",
  );
});

import { deepEqual, equal, throws } from "node:assert/strict";
import { chunkRecords, recordSize, RecordTooLargeError } from "./record_chunks.ts";

Deno.test("recordSize() counts key, value and headers in bytes, plus framing", () => {
  equal(recordSize({ topic: "t", key: null, value: null }), 32);
  equal(recordSize({ topic: "t", key: "é", value: new Uint8Array(10) }), 32 + 2 + 10);
  equal(recordSize({ topic: "t", key: null, value: null, headers: { h: "vv" } }), 32 + 8 + 1 + 2);
});

Deno.test("chunkRecords() keeps order and stays under the limit", () => {
  const records = Array.from({ length: 10 }, (_, i) => ({ topic: "t", key: null, value: "x".repeat(68), i }));
  const chunks = chunkRecords(records, 300); // 100 bytes each → 3 per chunk
  deepEqual(chunks.map((chunk) => chunk.map((record) => record.i)), [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
  deepEqual(chunkRecords([], 300), []);
});

Deno.test("chunkRecords() refuses a record that no request can carry", () => {
  throws(
    () => chunkRecords([{ topic: "big", key: null, value: "x".repeat(2000) }], 1000),
    (error: unknown) => error instanceof RecordTooLargeError && /a record for big is 2032 bytes/.test(error.message),
  );
});

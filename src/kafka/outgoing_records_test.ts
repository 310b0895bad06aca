import { deepEqual, equal, throws } from "node:assert/strict";
import { chunkRecords, recordSize, RecordTooLargeError, toTopicMessages } from "./outgoing_records.ts";

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

Deno.test("toTopicMessages() groups by topic in order and passes bytes as Buffers", () => {
  const grouped = toTopicMessages([
    { topic: "a", key: "k1", value: new Uint8Array([1, 2]), partition: 3, headers: { h: "v" } },
    { topic: "b", key: null, value: null },
    { topic: "a", key: new Uint8Array([9]), value: "v2" },
  ]);
  deepEqual(grouped.map(({ topic, messages }) => [topic, messages.length]), [["a", 2], ["b", 1]]);
  const [first, second] = grouped[0].messages;
  equal(first.partition, 3);
  deepEqual([...first.value as Uint8Array], [1, 2]);
  deepEqual(first.headers, { h: "v" });
  deepEqual([...second.key as Uint8Array], [9]);
  equal("partition" in second, false);
});

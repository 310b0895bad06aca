/** Unit tests of batch_ends.ts on hand-built fetch responses (the broker tests are tests/runtime/compaction_test.ts). */

import { deepEqual, equal, throws } from "node:assert/strict";
import { appendBatchEnd, type DecodedRecord, FetchLayoutError, lastBatchEnds } from "./batch_ends.ts";

/** A v2 record batch header with no records: base offset, last offset delta, producer id, attributes. */
function emptyBatch(base: bigint, lastOffsetDelta: number, producerId = -1n, attributes = 0): Uint8Array {
  const bytes = new Uint8Array(12 + 49);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, base);
  view.setInt32(8, 49); // length after this field
  view.setInt8(16, 2); // magic
  view.setInt16(21, attributes);
  view.setInt32(23, lastOffsetDelta);
  view.setBigInt64(43, producerId);
  return bytes;
}

/** A fetch response v11 of one topic and one partition holding `records` (the record set bytes). */
function response(records: Uint8Array, version = 11): Uint8Array {
  const parts: number[] = [];
  const int = (value: number, size: 2 | 4 | 8) => {
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    if (size === 2) view.setInt16(0, value);
    else if (size === 4) view.setInt32(0, value);
    else view.setBigInt64(0, BigInt(value));
    parts.push(...bytes);
  };
  int(0, 4); // throttle
  if (version >= 7) int(0, 2), int(0, 4); // error code, session id
  int(1, 4); // one topic
  int(1, 2), parts.push(116); // "t"
  int(1, 4); // one partition
  int(0, 4), int(0, 2), int(10, 8), int(10, 8); // partition, error, high watermark, last stable
  if (version >= 5) int(0, 8); // log start
  int(0, 4); // no aborted transactions
  if (version >= 11) int(-1, 4); // preferred read replica
  int(records.length, 4);
  parts.push(...records);
  return new Uint8Array(parts);
}

const concat = (...arrays: Uint8Array[]) => new Uint8Array(arrays.flatMap((array) => [...array]));

Deno.test("the last complete batch of a partition is found, a partial one after it ignored", () => {
  const partial = emptyBatch(8n, 0).slice(0, 30);
  for (const version of [4, 5, 7, 11]) {
    const ends = lastBatchEnds(
      response(concat(emptyBatch(0n, 4), emptyBatch(5n, 2, 42n, 0x10), partial), version),
      version,
    );
    deepEqual(ends, [[{
      firstOffset: 5n,
      lastOffset: 7n,
      producerId: "42",
      inTransaction: true,
      isControlBatch: false,
    }]]);
  }
  deepEqual(lastBatchEnds(response(new Uint8Array(0)), 11), [[undefined]]);
});

Deno.test("a response with another layout is refused, not misread", () => {
  throws(() => lastBatchEnds(response(emptyBatch(0n, 1)).slice(0, 20), 11), FetchLayoutError);
  throws(() => lastBatchEnds(response(emptyBatch(0n, 1)), 3), FetchLayoutError);
});

Deno.test("a control record is appended at a batch's last offset only when the records end before it", () => {
  const end = { firstOffset: 0n, lastOffset: 9n, producerId: "-1", inTransaction: false, isControlBatch: false };
  const record = (offset: number): DecodedRecord => ({ offset: String(offset), key: null, isControlRecord: false });
  const shortOfEnd = [record(3), record(4)];
  equal(appendBatchEnd(shortOfEnd, end), true);
  deepEqual(shortOfEnd.map((r) => [r.offset, r.isControlRecord]), [["3", false], ["4", false], ["9", true]]);
  const empty: DecodedRecord[] = [];
  equal(appendBatchEnd(empty, end), true, "an emptied batch");
  equal(empty[0].offset, "9");
  const full = [record(8), record(9)];
  equal(appendBatchEnd(full, end), false, "a batch whose last record is there");
  equal(appendBatchEnd([record(1)], undefined), false, "no batch header");
});

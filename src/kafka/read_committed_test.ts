import { deepEqual, equal } from "node:assert/strict";
import { type FetchedRecord, markAbortedRecords } from "./read_committed.ts";

const ABORT = new Uint8Array([0, 0, 0, 0]);
const COMMIT = new Uint8Array([0, 0, 0, 1]);

/** Record batches of one partition: [producer, offsets, kind], kind "data" (transactional), "plain", "abort", "commit". */
function partition(...batches: [string, number[], "data" | "plain" | "abort" | "commit"][]): FetchedRecord[] {
  return batches.flatMap(([producerId, offsets, kind]) => {
    const batchContext = {
      firstOffset: String(offsets[0]),
      lastOffsetDelta: offsets.at(-1)! - offsets[0],
      producerId,
      inTransaction: kind !== "plain",
      isControlBatch: kind === "abort" || kind === "commit",
    };
    return offsets.map((offset) => ({
      offset: String(offset),
      key: kind === "abort" ? ABORT : kind === "commit" ? COMMIT : null,
      isControlRecord: batchContext.isControlBatch,
      batchContext,
    }));
  });
}

const handedOut = (records: FetchedRecord[]) => records.filter((r) => !r.isControlRecord).map((r) => Number(r.offset));

Deno.test("markAbortedRecords: aborted transactions listed in abort order, not first-offset order", () => {
  // 0-2 a (aborted last), 3-5 b (aborted first), 6 m (committed), 7 a, 8 b's marker, 9 a's marker, 10 plain.
  const records = partition(
    ["1", [0, 1, 2], "data"],
    ["2", [3, 4, 5], "data"],
    ["3", [6], "data"],
    ["1", [7], "data"],
    ["2", [8], "abort"],
    ["1", [9], "abort"],
    ["3", [10], "commit"],
    ["-1", [11], "plain"],
  );
  equal(markAbortedRecords(records, [{ producerId: "2", firstOffset: "3" }, { producerId: "1", firstOffset: "0" }]), 7);
  deepEqual(handedOut(records), [6, 11]);
});

Deno.test("markAbortedRecords: a fetch that starts inside several aborted transactions", () => {
  const records = partition(["2", [2], "data"], ["2", [3], "data"], ["2", [4], "abort"], ["1", [5], "abort"]);
  markAbortedRecords(records, [{ producerId: "1", firstOffset: "0" }, { producerId: "2", firstOffset: "1" }]);
  deepEqual(handedOut(records), []);
});

Deno.test("markAbortedRecords: a producer's committed transaction after its aborted one is handed out", () => {
  const records = partition(["1", [0, 1], "data"], ["1", [2], "abort"], ["1", [3, 4], "data"], ["1", [5], "commit"]);
  markAbortedRecords(records, [{ producerId: "1", firstOffset: "0" }]);
  deepEqual(handedOut(records), [3, 4]);
});

Deno.test("markAbortedRecords: non-transactional records of the same producer id are never dropped", () => {
  // An idempotent producer's plain batch (inTransaction false) inside the range of an aborted transaction id.
  const records = partition(["1", [0], "data"], ["1", [1], "plain"], ["1", [2], "abort"]);
  markAbortedRecords(records, [{ producerId: "1", firstOffset: "0" }]);
  deepEqual(handedOut(records), [1]);
});

Deno.test("markAbortedRecords: nothing listed, nothing dropped (read_uncommitted, or no aborts)", () => {
  const records = partition(["1", [0, 1], "data"], ["1", [2], "abort"]);
  equal(markAbortedRecords(records, []), 0);
  deepEqual(handedOut(records), [0, 1]);
});

Deno.test("markAbortedRecords: a transaction that begins inside a compressed batch's range", () => {
  // One batch 0-9 of producer 2 (aborted, first offset 0); producer 1's aborted transaction begins at 5, so it is
  // started at the first batch whose last offset reaches it (Java: consumeAbortedTransactionsUpTo(lastOffset)).
  const records = partition(["2", [0, 9], "data"], ["1", [10], "data"], ["2", [11], "abort"], ["1", [12], "abort"]);
  markAbortedRecords(records, [{ producerId: "2", firstOffset: "0" }, { producerId: "1", firstOffset: "5" }]);
  deepEqual(handedOut(records), []);
});

/**
 * Moving kafkajs past the ends of record batches whose records a compacted log no longer holds (issue #26).
 *
 * The log cleaner keeps a record batch's offset range when it removes records from it, and keeps a batch with no
 * records at all when it was the last one of an idempotent or transactional producer (Java producers are
 * idempotent by default). A fetch returns whole batches of one segment only. kafkajs 2.2.4 sees only the records of
 * a fetch, so:
 *
 * - a fetch that ends with such an empty batch (a cleaned segment's last) hands kafkajs no record past its fetch
 *   offset: it never resolves that offset and fetches it again forever — a consumer stalls there for good, while
 *   Kafka's Java consumer moves to the batch's next offset (`CompletedFetch`);
 * - a fetch that ends with a batch whose last records were removed ends one position after the last record left,
 *   and each later fetch of the same batch moves one offset (`Batch.lastOffset()` returns the fetch offset when
 *   every record lies below it): slow, but nothing is skipped.
 *
 * The fix reads each partition's last complete record batch header from the raw fetch response and, when the
 * batch ends after the partition's last decoded record, appends a control record at the batch's last offset (a
 * control record is never handed out, but kafkajs' `Batch` counts it for its offsets, as it does for transaction
 * markers): the consumer moves past the batch at once, as the Java consumer does.
 *
 * @module
 */

import {
  fetchResponseV10,
  fetchResponseV11,
  fetchResponseV4,
  fetchResponseV5,
  fetchResponseV6,
  fetchResponseV7,
  fetchResponseV8,
  fetchResponseV9,
} from "./kafkajs_fetch.ts";

/** The header fields of a partition's last complete record batch in a fetch response. */
export interface BatchEnd {
  /** The batch's first offset. */
  firstOffset: bigint;
  /** Its last offset (first offset + last offset delta): the last offset the batch covers. */
  lastOffset: bigint;
  /** The producer id (a decimal string). */
  producerId: string;
  /** Whether it is transactional. */
  inTransaction: boolean;
  /** Whether it is a control batch (transaction markers). */
  isControlBatch: boolean;
}

/** A response the reader cannot walk (it is then left as kafkajs decoded it). */
export class FetchLayoutError extends Error {}

/** Magic byte of the v2 record batch format (Kafka ≥ 0.11), the only one with batch headers. */
const RECORD_BATCH_MAGIC = 2;

/**
 * The last complete record batch of each partition of a raw fetch response (versions 4 to 11), by topic and
 * partition in response order; undefined for a partition without one.
 *
 * @throws {FetchLayoutError} when the bytes do not have the layout of that version.
 */
export function lastBatchEnds(raw: Uint8Array, version: number): (BatchEnd | undefined)[][] {
  if (version < 4 || version > 11) throw new FetchLayoutError(`fetch response version ${version} is not read`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let at = 0;
  const need = (bytes: number) => {
    if (at + bytes > raw.byteLength) throw new FetchLayoutError(`a fetch response ends at byte ${raw.byteLength}`);
  };
  const int16 = () => (need(2), at += 2, view.getInt16(at - 2));
  const int32 = () => (need(4), at += 4, view.getInt32(at - 4));
  const skip = (bytes: number) => (need(bytes), at += bytes);
  skip(4); // throttle_time_ms
  if (version >= 7) skip(2 + 4); // error_code, session_id
  const topics: (BatchEnd | undefined)[][] = [];
  for (let t = int32(); t > 0; t--) {
    skip(Math.max(0, int16())); // topic name
    const partitions: (BatchEnd | undefined)[] = [];
    for (let p = int32(); p > 0; p--) {
      skip(4 + 2 + 8 + 8); // partition, error_code, high_watermark, last_stable_offset
      if (version >= 5) skip(8); // log_start_offset
      const aborted = int32();
      if (aborted > 0) skip(aborted * 16);
      if (version >= 11) skip(4); // preferred_read_replica
      const size = int32();
      if (size <= 0) {
        partitions.push(undefined);
        continue;
      }
      need(size);
      partitions.push(lastBatchIn(view, at, at + size));
      at += size;
    }
    topics.push(partitions);
  }
  return topics;
}

/** The last complete v2 record batch in `view[from, to)`, if any. */
function lastBatchIn(view: DataView, from: number, to: number): BatchEnd | undefined {
  let last: BatchEnd | undefined;
  // Batch: base offset int64, length int32, then (counted by length) leader epoch int32, magic int8, crc int32,
  // attributes int16, last offset delta int32, timestamps 2 × int64, producer id int64, …
  for (let at = from; at + 12 <= to;) {
    const length = view.getInt32(at + 8);
    if (length < 0 || at + 12 + length > to) break; // a partial batch at the end of the fetch
    if (length >= 49 && view.getInt8(at + 16) === RECORD_BATCH_MAGIC) {
      const firstOffset = view.getBigInt64(at);
      const attributes = view.getInt16(at + 21);
      last = {
        firstOffset,
        lastOffset: firstOffset + BigInt(view.getInt32(at + 23)),
        producerId: view.getBigInt64(at + 43).toString(),
        inTransaction: (attributes & 0x10) !== 0,
        isControlBatch: (attributes & 0x20) !== 0,
      };
    } else {
      last = undefined; // a legacy message set: its records carry their own offsets
    }
    at += 12 + length;
  }
  return last;
}

/** The parts of a decoded record that kafkajs' `Batch` and Eddy's read_committed filter read (kafkajs' shape). */
export interface DecodedRecord {
  offset: string;
  key: Uint8Array | null;
  isControlRecord: boolean;
  batchContext?: {
    firstOffset: string;
    lastOffsetDelta: number;
    producerId: string;
    inTransaction: boolean;
    isControlBatch: boolean;
  };
}

/**
 * Appends a control record at `end`'s last offset to a partition's decoded records when the batch ends after the
 * last of them (or they are none); returns whether it did.
 *
 * @example
 * ```ts
 * const records = [{ offset: "4", key: null, isControlRecord: false }];
 * const end = { firstOffset: 0n, lastOffset: 9n, producerId: "-1", inTransaction: false, isControlBatch: false };
 * appendBatchEnd(records, end); // true: records[1] is a control record at offset 9
 * ```
 */
export function appendBatchEnd(records: DecodedRecord[], end: BatchEnd | undefined): boolean {
  if (end === undefined) return false;
  const last = records.at(-1);
  if (last !== undefined && BigInt(last.offset) >= end.lastOffset) return false;
  records.push({
    offset: end.lastOffset.toString(),
    key: null,
    value: null,
    headers: {},
    isControlRecord: true,
    batchContext: {
      firstOffset: end.firstOffset.toString(),
      lastOffsetDelta: Number(end.lastOffset - end.firstOffset),
      producerId: end.producerId,
      inTransaction: end.inTransaction,
      isControlBatch: end.isControlBatch,
    },
  } as DecodedRecord);
  return true;
}

interface FetchResponseModule {
  decode(raw: Uint8Array): Promise<{ responses: { partitions: { messages: DecodedRecord[] }[] }[] }>;
}

const PATCHED = Symbol.for("eddy.batchEnds");

/** Wraps a fetch response version's decoder (once; the same module may be reached twice). */
function patch(module: FetchResponseModule & { [PATCHED]?: true }, version: number): void {
  if (module[PATCHED]) return;
  const decode = module.decode;
  module.decode = async (raw) => {
    const response = await decode(raw);
    let ends: (BatchEnd | undefined)[][];
    try {
      ends = lastBatchEnds(raw, version);
    } catch (error) {
      if (error instanceof FetchLayoutError) return response; // kafkajs decoded it: its view stands
      throw error;
    }
    response.responses.forEach((topic, t) =>
      topic.partitions.forEach((partition, p) => appendBatchEnd(partition.messages, ends[t]?.[p]))
    );
    return response;
  };
  module[PATCHED] = true;
}

const versions: [number, unknown][] = [
  [4, fetchResponseV4],
  [5, fetchResponseV5],
  [6, fetchResponseV6],
  [7, fetchResponseV7],
  [8, fetchResponseV8],
  [9, fetchResponseV9],
  [10, fetchResponseV10],
  [11, fetchResponseV11],
];
for (const [version, module] of versions) patch(module as FetchResponseModule, version);

/**
 * A correct read_committed filter for kafkajs' consumers (issue #8).
 *
 * kafkajs 2.2.4 drops aborted records in `filterAbortedMessages` assuming the
 * broker lists a partition's aborted transactions by first offset and that each
 * record starts at most one of them. The broker lists them in the order they
 * were aborted, and a fetch that starts inside several aborted transactions
 * lists them all, so records of aborted transactions reached the consumer. In
 * Eddy's mailbox that happens whenever a new owner fences the open transactions
 * of several tasks of a dead or frozen instance: their forwarded messages were
 * consumed although aborted, and outputs duplicated
 * (tests/kafka/aborted_transactions_test.ts, docs/kafka-client.md).
 *
 * The fix decodes fetch responses as kafkajs does and then applies the Java
 * consumer's rule (`CompletedFetch`): aborted transactions in first-offset
 * order; at each record batch, every transaction that began at or before the
 * batch's last offset is started; a producer's abort marker ends its aborted
 * transaction; a transactional batch of a producer inside an aborted
 * transaction is dropped. Dropped records are marked as control records, which
 * kafkajs' `Batch` keeps for its offset bookkeeping (the consumer moves past
 * them) but never hands out; the response then lists no aborted transactions,
 * so kafkajs' own filter has nothing to get wrong.
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

/** The parts of a decoded record that the filter reads (kafkajs' shape). */
export interface FetchedRecord {
  /** The record's offset (a decimal string). */
  offset: string;
  /** The key; a control record's key holds its version and type (0 = abort, 1 = commit). */
  key: Uint8Array | null;
  /** True for control records; set for dropped aborted records too. */
  isControlRecord: boolean;
  /** The record batch the record came in (one object per batch). */
  batchContext?: {
    firstOffset: string;
    lastOffsetDelta: number;
    producerId: string;
    inTransaction: boolean;
    isControlBatch: boolean;
  };
}

/** An aborted transaction as a fetch response lists it. */
export interface AbortedTransaction {
  /** The producer id (a decimal string). */
  producerId: string;
  /** The offset of the transaction's first record (a decimal string). */
  firstOffset: string;
}

/**
 * Marks the records of aborted transactions in one partition's fetched records
 * as control records, by the Java consumer's rule; returns how many it marked.
 *
 * @example
 * ```ts
 * const batch = (first: number, producerId: string, control = false) => ({
 *   firstOffset: String(first), lastOffsetDelta: 0, producerId, inTransaction: true, isControlBatch: control,
 * });
 * const records = [
 *   { offset: "0", key: null, isControlRecord: false, batchContext: batch(0, "7") },
 *   { offset: "1", key: new Uint8Array([0, 0, 0, 0]), isControlRecord: true, batchContext: batch(1, "7", true) },
 * ];
 * markAbortedRecords(records, [{ producerId: "7", firstOffset: "0" }]); // 1: the record at offset 0
 * ```
 */
export function markAbortedRecords(records: FetchedRecord[], aborted: readonly AbortedTransaction[]): number {
  if (aborted.length === 0) return 0;
  const pending = aborted.map(({ producerId, firstOffset }) => ({ producerId, firstOffset: BigInt(firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  let next = 0;
  const abortedProducers = new Set<string>();
  let marked = 0;
  let batch: FetchedRecord["batchContext"];
  let dropBatch = false;
  for (const record of records) {
    // Records of the legacy message format have no batch and cannot be transactional.
    if (record.batchContext === undefined) continue;
    if (record.batchContext !== batch) {
      batch = record.batchContext;
      const lastOffset = BigInt(batch.firstOffset) + BigInt(batch.lastOffsetDelta);
      while (next < pending.length && pending[next].firstOffset <= lastOffset) {
        abortedProducers.add(pending[next++].producerId);
      }
      dropBatch = false;
      if (batch.isControlBatch) {
        if (isAbortMarker(record)) abortedProducers.delete(batch.producerId);
      } else if (batch.inTransaction && abortedProducers.has(batch.producerId)) {
        dropBatch = true;
      }
    }
    if (dropBatch) {
      record.isControlRecord = true;
      marked++;
    }
  }
  return marked;
}

/** A control record's key: int16 version, int16 type; type 0 is ABORT. */
function isAbortMarker(record: FetchedRecord): boolean {
  const key = record.key;
  return key !== null && key.length >= 4 && key[2] === 0 && key[3] === 0;
}

interface FetchResponseModule {
  decode(raw: unknown): Promise<FetchResponse>;
}

interface FetchResponse {
  responses: { partitions: { abortedTransactions?: AbortedTransaction[] | null; messages: FetchedRecord[] }[] }[];
}

const PATCHED = Symbol.for("eddy.readCommitted");

/** Wraps a fetch response version's decoder (once; the same module may be reached twice). */
function patch(module: FetchResponseModule & { [PATCHED]?: true }): void {
  if (module[PATCHED]) return;
  const decode = module.decode;
  module.decode = async (raw) => {
    const response = await decode(raw);
    for (const topic of response.responses) {
      for (const partition of topic.partitions) {
        const aborted = partition.abortedTransactions ?? [];
        if (aborted.length === 0) continue;
        markAbortedRecords(partition.messages, aborted);
        partition.abortedTransactions = [];
      }
    }
    return response;
  };
  module[PATCHED] = true;
}

const versions = [
  fetchResponseV4,
  fetchResponseV5,
  fetchResponseV6,
  fetchResponseV7,
  fetchResponseV8,
  fetchResponseV9,
  fetchResponseV10,
  fetchResponseV11,
];
for (const module of versions) patch(module as FetchResponseModule);

/**
 * The test kit's Kafka: topics of N partitions in memory, records appended with Kafka's default partitioner,
 * transactions that commit or abort, consumer group offsets committed with them, and reads at either isolation level
 * (read_committed stops at the first record of an open transaction and skips aborted ones, as Kafka's last stable
 * offset does).
 *
 * @module
 */

import { partitionOfKey } from "../runtime/partitioner.ts";
import type { GroupOffset, OutgoingRecord, RawHeaders } from "../runtime/ports.ts";
import { setHeader } from "../sdk/kafka_record.ts";

/** A record in the log. */
export interface LogRecord {
  /** Its offset in the partition. */
  offset: number;
  /** Key bytes, or null. */
  key: Uint8Array | null;
  /** Value bytes, or null. */
  value: Uint8Array | null;
  /** Headers: a repeated header's values in order. */
  headers: RawHeaders;
  /** When it was appended, on the kit's clock (or the timestamp its producer gave). */
  timestamp: number;
  /** The egress id of a record a function sent to an egress. */
  egress?: string;
  /** The transaction it was written in, if one. */
  transaction?: number;
}

const UTF8 = new TextEncoder();

function bytes(data: Uint8Array | string | null): Uint8Array | null {
  return typeof data === "string" ? UTF8.encode(data) : data;
}

/** Topics, transactions and group offsets in memory. */
export class MemoryLog {
  readonly #topics = new Map<string, LogRecord[][]>();
  readonly #transactions = new Map<number, "open" | "committed" | "aborted">();
  #nextTransaction = 1;
  readonly #offsets = new Map<string, number>();

  /** @param now The clock records are stamped with. */
  constructor(readonly now: () => number) {}

  /** Creates a topic (nothing when it exists). */
  create(topic: string, partitions: number): void {
    if (!this.#topics.has(topic)) this.#topics.set(topic, Array.from({ length: partitions }, () => []));
  }

  /** The topics, by name. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /** A topic's partition count (undefined: no such topic). */
  partitions(topic: string): number | undefined {
    return this.#topics.get(topic)?.length;
  }

  /**
   * Appends a record (a missing topic is created with one partition, as brokers auto-create), stamped with `timestamp`
   * or the clock's time; its partition.
   */
  append(record: OutgoingRecord, transaction?: number, timestamp?: number): number {
    this.create(record.topic, 1);
    const partitions = this.#topics.get(record.topic)!;
    const key = bytes(record.key);
    const partition = record.partition ?? (key === null ? 0 : partitionOfKey(key, partitions.length));
    const log = partitions[partition];
    if (log === undefined) {
      throw new RangeError(`${record.topic} has ${partitions.length} partitions: there is no partition ${partition}`);
    }
    const headers: Record<string, Uint8Array | Uint8Array[]> = {};
    for (const [name, value] of Object.entries(record.headers ?? {})) {
      setHeader(
        headers,
        name,
        typeof value === "string" || value instanceof Uint8Array ? bytes(value)! : value.map(bytes) as Uint8Array[],
      );
    }
    log.push({
      offset: log.length,
      key,
      value: bytes(record.value),
      headers,
      timestamp: timestamp ?? this.now(),
      ...(record.egress === undefined ? {} : { egress: record.egress }),
      ...(transaction === undefined ? {} : { transaction }),
    });
    return partition;
  }

  /** Begins a transaction. */
  begin(): number {
    const id = this.#nextTransaction++;
    this.#transactions.set(id, "open");
    return id;
  }

  /** Commits a transaction: its records become visible to read_committed, its offsets count. */
  commit(transaction: number, offsets: readonly GroupOffset[]): void {
    this.#transactions.set(transaction, "committed");
    this.commitOffsets(offsets);
  }

  /** Aborts a transaction: read_committed readers never see its records. */
  abort(transaction: number): void {
    this.#transactions.set(transaction, "aborted");
  }

  /** Aborts every open transaction (the producers that had them died). */
  abortOpen(): void {
    for (const [id, state] of this.#transactions) if (state === "open") this.abort(id);
  }

  /** Commits consumer group offsets outside a transaction. */
  commitOffsets(offsets: readonly GroupOffset[]): void {
    for (const { groupId, topic, partition, offset } of offsets) {
      this.#offsets.set(`${groupId}\u0000${topic}\u0000${partition}`, offset);
    }
  }

  /** A group's committed offset of a partition. */
  committedOffset(groupId: string, topic: string, partition: number): number | undefined {
    return this.#offsets.get(`${groupId}\u0000${topic}\u0000${partition}`);
  }

  /**
   * The records of a partition from `from` a reader sees, and the position after them. read_committed stops before
   * the first record of an open transaction and skips aborted records.
   */
  read(
    topic: string,
    partition: number,
    from: number,
    isolation: "read_committed" | "read_uncommitted",
  ): { records: LogRecord[]; next: number } {
    const log = this.#topics.get(topic)?.[partition] ?? [];
    const records: LogRecord[] = [];
    let next = from;
    for (; next < log.length; next++) {
      const record = log[next];
      const state = record.transaction === undefined ? "committed" : this.#transactions.get(record.transaction);
      if (isolation === "read_committed" && state === "open") break;
      if (isolation === "read_committed" && state === "aborted") continue;
      records.push(record);
    }
    return { records, next };
  }

  /** Every record of a topic a reader sees, partition by partition. */
  readAll(topic: string, isolation: "read_committed" | "read_uncommitted"): (LogRecord & { partition: number })[] {
    const partitions = this.#topics.get(topic) ?? [];
    return partitions.flatMap((_, partition) =>
      this.read(topic, partition, 0, isolation).records.map((record) => ({ ...record, partition }))
    );
  }
}

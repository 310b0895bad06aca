/**
 * A task's transactional producer: one Kafka transaction per commit holding
 * the task's records (changelog, mailbox, exactly-once egress) and the consumed
 * offsets, split into requests the broker accepts. Any failure discards the
 * kafkajs producer — it can be stranded in COMMITTING after a failed EndTxn
 * (kafkajs #1416, tests/kafka/transactions_test.ts) — and the next commit
 * initialises a new one, which fences the old epoch and aborts what it left open.
 *
 * @module
 */

import { DEFAULT_TRANSACTION_TIMEOUT_MS } from "../runtime/options.ts";
import { type Kafka, Partitioners, type Producer } from "./kafkajs.ts";
import {
  type CommitBatch,
  CommitError,
  type GroupOffset,
  type TaskCommitter,
  type WrittenOffsets,
} from "../runtime/ports.ts";
import { addWrittenOffsets, chunkRecords, toTopicMessages } from "./outgoing_records.ts";

/** Options of a task producer. */
export interface TaskProducerOptions {
  /** The transaction timeout the broker enforces (default 60 s). */
  transactionTimeoutMs?: number;
  /** Largest request (default 900 KiB, under the broker's default 1 MiB message.max.bytes). */
  maxRequestBytes?: number;
}

const FENCING_ERRORS = new Set(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"]);

/** The transactional producer of one task. */
export class TaskProducer implements TaskCommitter {
  readonly #kafka: Kafka;
  readonly #options: Required<TaskProducerOptions>;
  #producer: Producer | undefined;

  /**
   * @param kafka The client for the app's cluster.
   * @param transactionalId `<app>-task-<p>`.
   */
  constructor(kafka: Kafka, readonly transactionalId: string, options: TaskProducerOptions = {}) {
    this.#kafka = kafka;
    this.#options = { transactionTimeoutMs: DEFAULT_TRANSACTION_TIMEOUT_MS, maxRequestBytes: 900 * 1024, ...options };
  }

  /**
   * Initialises the producer (InitProducerId): fences any older producer with this
   * transactional id and aborts its open transaction. Call only for a task this
   * instance owns.
   *
   * kafkajs runs InitProducerId for transactions lazily, at a producer's first
   * `transaction()`: a producer that connected but had not begun yet would
   * otherwise fence the task's new owner at its first commit
   * (tests/kafka/adapter_test.ts). An empty transaction, begun and aborted here,
   * makes the fencing happen now; aborting it sends nothing.
   */
  async init(): Promise<void> {
    if (this.#producer !== undefined) return;
    const producer = this.#kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.#options.transactionTimeoutMs,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // A transaction begun right after a commit meets CONCURRENT_TRANSACTIONS until the coordinator has
      // written the previous one's markers (a few ms); kafkajs retries it with the client's backoff
      // (hundreds of ms), which made every commit cost 200-500 ms. The Java client retries it after 20 ms.
      retry: { initialRetryTime: 10, maxRetryTime: 1_000, retries: 10 },
    });
    try {
      await producer.connect();
      await (await producer.transaction()).abort();
    } catch (error) {
      await producer.disconnect().catch(() => {});
      throw new CommitError(this.transactionalId, isFencing(error), error);
    }
    this.#producer = producer;
  }

  /**
   * Writes the records and commits the offsets in one transaction.
   *
   * @throws {CommitError} when the transaction was aborted or its outcome is
   * unknown; the producer is discarded, and `fenced` says whether the task was
   * taken over.
   */
  async commit(batch: CommitBatch): Promise<WrittenOffsets> {
    const chunks = chunkRecords(batch.records, this.#options.maxRequestBytes);
    await this.init();
    const producer = this.#producer!;
    let transaction;
    const written = new Map<string, number>();
    try {
      transaction = await producer.transaction();
      for (const chunk of chunks) {
        addWrittenOffsets(written, chunk, await transaction.sendBatch({ topicMessages: toTopicMessages(chunk) }));
      }
      for (const [groupId, topics] of offsetsByGroup(batch.offsets)) {
        await transaction.sendOffsets({ consumerGroupId: groupId, topics });
      }
      await transaction.commit();
    } catch (error) {
      if (transaction?.isActive()) await transaction.abort().catch(() => {});
      await this.#discard();
      throw new CommitError(this.transactionalId, isFencing(error), error);
    }
    return written;
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.#discard();
  }

  async #discard(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.disconnect().catch(() => {});
  }
}

function isFencing(error: unknown): boolean {
  const type = (error as { type?: string } | null)?.type;
  return type !== undefined && FENCING_ERRORS.has(type);
}

function offsetsByGroup(offsets: GroupOffset[]) {
  const groups = new Map<string, Map<string, { partition: number; offset: string }[]>>();
  for (const { groupId, topic, partition, offset } of offsets) {
    const topics = groups.get(groupId) ?? new Map();
    const partitions = topics.get(topic) ?? [];
    partitions.push({ partition, offset: String(offset) });
    topics.set(topic, partitions);
    groups.set(groupId, topics);
  }
  return [...groups].map(([groupId, topics]) =>
    [groupId, [...topics].map(([topic, partitions]) => ({ topic, partitions }))] as const
  );
}

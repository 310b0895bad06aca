/**
 * A task's transactional producer: one Kafka transaction per commit holding
 * the task's records (changelog, mailbox, exactly-once egress) and the consumed
 * offsets, split into requests the broker accepts. Any failure discards the
 * kafkajs producer — it can be stranded in COMMITTING after a failed EndTxn
 * (kafkajs #1416, tests/kafka/transactions_test.ts) — and the next commit
 * initialises a new one, which fences the old epoch and aborts what it left open.
 *
 * Some failures no new producer mends, and the producer names them in `stopReason` (a RuntimeError) for the task
 * manager to stop the instance with: a topic its records go to that no longer exists (deleted under the running
 * app: the broker does not create it again, and neither does Eddy — an empty changelog would lose the state), a
 * topic that was recreated (a partition's offsets went back: the transaction is aborted before it commits) and a
 * transaction timeout above the broker's `transaction.max.timeout.ms`.
 *
 * @module
 */

import { DEFAULT_TRANSACTION_TIMEOUT_MS } from "../runtime/options.ts";
import { RuntimeError } from "../runtime/errors.ts";
import { describeError } from "../runtime/logger.ts";
import type { KafkaAdmin } from "./admin.ts";
import { type Kafka, Partitioners, type Producer } from "./kafkajs.ts";
import type { FailedPartition } from "./produce_errors.ts";
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
  /** The app's admin: which topics are missing, and the broker's maximum transaction timeout, after a failure. */
  admin?: Pick<KafkaAdmin, "missingTopics" | "brokerConfig" | "topicOffsets">;
  /** The app's changelog and mailbox topics (named as such when one goes missing). */
  internalTopics?: { changelog: string; mailbox: string };
  /** The task's number: its changelog and mailbox partition, whose ends a recreated topic would go back from. */
  task?: number;
  /** Who the client is to the broker's authorizer (`User:<name>`), for errors when an ACL denies it. */
  principal?: string;
}

const FENCING_ERRORS = new Set(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED"]);

/** The transactional producer of one task. */
export class TaskProducer implements TaskCommitter {
  readonly #kafka: Kafka;
  readonly #options:
    & TaskProducerOptions
    & Required<Pick<TaskProducerOptions, "transactionTimeoutMs" | "maxRequestBytes">>;
  #producer: Producer | undefined;
  /** The base offset of the last request to each topic/partition (a lower one means the topic was recreated). */
  readonly #lastBase = new Map<string, number>();
  /** Why this task cannot commit until an operator acts (the instance should stop), once known. */
  stopReason: RuntimeError | undefined;

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
      await this.#rememberEnds();
    } catch (error) {
      await producer.disconnect().catch(() => {});
      if (hasErrorType(error, "INVALID_TRANSACTION_TIMEOUT")) throw this.#stop(await this.#timeoutRefused(error));
      const denied = this.#denied(error, "Write", "transactional id", [this.transactionalId]);
      if (denied !== undefined) throw this.#stop(denied);
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
    // What the transaction was doing, for naming what an ACL denied.
    let step: { operation: string; resource: string; names: string[]; group?: string } = {
      operation: "Write",
      resource: "transactional id",
      names: [this.transactionalId],
    };
    try {
      transaction = await producer.transaction();
      for (const chunk of chunks) {
        step = { operation: "Write", resource: "topic", names: chunk.map((record) => record.topic) };
        const produced = await transaction.sendBatch({ topicMessages: toTopicMessages(chunk) });
        this.#checkNotRecreated(produced);
        addWrittenOffsets(written, chunk, produced);
      }
      for (const [groupId, topics] of offsetsByGroup(batch.offsets)) {
        // TxnOffsetCommit needs Read on the group and on each topic whose offsets it commits.
        step = { operation: "Read", resource: "topic", names: topics.map(({ topic }) => topic), group: groupId };
        await transaction.sendOffsets({ consumerGroupId: groupId, topics });
      }
      step = { operation: "Write", resource: "transactional id", names: [this.transactionalId] };
      await transaction.commit();
    } catch (error) {
      if (transaction?.isActive()) await transaction.abort().catch(() => {});
      await this.#discard();
      const reason = error instanceof RuntimeError
        ? error
        : this.#denied(error, step.operation, step.resource, step.names, step.group) ??
          await this.#missingTopics(batch, error);
      throw new CommitError(this.transactionalId, isFencing(error), reason === undefined ? error : this.#stop(reason));
    }
    return written;
  }

  /**
   * Notes the end of the task's changelog and mailbox partitions: this producer's first write to each lands at or
   * after it, unless the topic was recreated.
   */
  async #rememberEnds(): Promise<void> {
    const { admin, internalTopics, task } = this.#options;
    if (admin === undefined || internalTopics === undefined || task === undefined || !Number.isInteger(task)) return;
    for (const topic of [internalTopics.changelog, internalTopics.mailbox]) {
      const end = (await admin.topicOffsets(topic)).find((offsets) => offsets.partition === task)?.high;
      if (end !== undefined && end > 0) this.#lastBase.set(`${topic}/${task}`, end - 1);
    }
  }

  /**
   * An authorization failure, named: the principal, the operation and the resources (a produce request's error does
   * not say which of its topics was denied: all of them are listed). Undefined for other errors.
   */
  #denied(
    error: unknown,
    operation: string,
    resource: string,
    names: string[],
    group?: string,
  ): RuntimeError | undefined {
    const type = AUTHORIZATION_ERRORS.find((candidate) => hasErrorType(error, candidate));
    if (type === undefined) return undefined;
    // A produce error lists its failed partitions (produce_errors.ts): the denied topics exactly.
    const deniedTopics = failedPartitions(error).filter((failed) => failed.type === type).map(({ topic }) => topic);
    if (type === "TOPIC_AUTHORIZATION_FAILED" && deniedTopics.length > 0) names = deniedTopics;
    if (type === "GROUP_AUTHORIZATION_FAILED") [operation, resource, names] = ["Read", "group", group ? [group] : []];
    if (type === "TRANSACTIONAL_ID_AUTHORIZATION_FAILED") {
      [operation, resource, names] = ["Write", "transactional id", [this.transactionalId]];
    }
    if (type === "CLUSTER_AUTHORIZATION_FAILED") [operation, resource, names] = ["IdempotentWrite", "cluster", []];
    const unique = [...new Set(names)];
    const what = unique.length === 0
      ? `the ${resource}`
      : `${resource}${unique.length > 1 ? " (one of)" : ""} ${unique.join(", ")}`;
    return new RuntimeError(
      `the broker's ACLs do not allow ${
        this.#options.principal ?? "this client's principal"
      } to ${operation} ${what} ` +
        `(${type}): ${this.transactionalId} cannot commit. Nothing since the last commit is lost: grant the ACL ` +
        "(e.g. kafka-acls --add --allow-principal …) and start the app again",
    );
  }

  #stop(reason: RuntimeError): RuntimeError {
    this.stopReason ??= reason;
    return reason;
  }

  /** A produce request's partitions whose base offset went back: the topic was deleted and created again. */
  #checkNotRecreated(produced: readonly { topicName: string; partition: number; baseOffset?: string }[]): void {
    for (const { topicName, partition, baseOffset } of produced) {
      if (baseOffset === undefined || Number(baseOffset) < 0) continue;
      const key = `${topicName}/${partition}`;
      const before = this.#lastBase.get(key);
      this.#lastBase.set(key, Number(baseOffset));
      // Every request appends after the last one (and after the end the partition had when this producer began).
      if (before !== undefined && Number(baseOffset) <= before) {
        throw new RuntimeError(
          `${this.#topicKind(topicName)} ${topicName} was recreated while the app ran: partition ${partition} ` +
            `took a write at offset ${baseOffset}, but it already held offset ${before}. ${this.#advice(topicName)}`,
        );
      }
    }
  }

  /** After a failed commit: the topics of its records that do not exist, as a RuntimeError (undefined if none). */
  async #missingTopics(batch: CommitBatch, error: unknown): Promise<RuntimeError | undefined> {
    if (this.#options.admin === undefined || isFencing(error)) return undefined;
    // Only an answer that says so is checked: after other failures (a broker restarting) the metadata request would
    // only hold up the restart.
    if (!MISSING_TOPIC_ERRORS.some((type) => hasErrorType(error, type))) return undefined;
    let missing: string[];
    try {
      missing = await this.#options.admin.missingTopics(batch.records.map((record) => record.topic));
    } catch {
      return undefined; // the cluster cannot be asked now: an ordinary failure, retried
    }
    if (missing.length === 0) return undefined;
    return new RuntimeError(
      missing.map((topic) => `${this.#topicKind(topic)} ${topic} does not exist (deleted while the app ran?)`)
        .join("; ") +
        `: ${this.transactionalId} cannot commit. ` +
        missing.map((topic) => this.#advice(topic)).join(" "),
    );
  }

  async #timeoutRefused(error: unknown): Promise<RuntimeError> {
    const max = await this.#options.admin?.brokerConfig("transaction.max.timeout.ms").catch(() => undefined);
    return new RuntimeError(
      `the broker refused the transaction timeout of ${this.transactionalId}, ${this.#options.transactionTimeoutMs} ms` +
        (max === undefined ? "" : `: its transaction.max.timeout.ms is ${max} ms`) +
        ` (${describeError(error)}). Lower the exactly-once egresses' transactionTimeout, or raise the broker's ` +
        `transaction.max.timeout.ms`,
    );
  }

  #topicKind(topic: string): string {
    const internal = this.#options.internalTopics;
    return topic === internal?.changelog ? "the changelog" : topic === internal?.mailbox ? "the mailbox" : "the topic";
  }

  #advice(topic: string): string {
    const internal = this.#options.internalTopics;
    if (topic === internal?.changelog) {
      return `The app's state lived there: stopping rather than go on with a changelog that lost it. Restore the ` +
        `topic, or start the app over with \`eddy reset\`.`;
    }
    if (topic === internal?.mailbox) {
      return `Messages between functions in flight lived there: stopping. Restore the topic, or start the app over ` +
        `with \`eddy reset\`.`;
    }
    return `Records since the last commit are not lost (they are processed again): create the topic and start the app.`;
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

/** The failed partitions a produce error (or one it wraps) lists. */
function failedPartitions(error: unknown, depth = 0): FailedPartition[] {
  if (error === null || typeof error !== "object" || depth > 5) return [];
  const e = error as { partitions?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown[] };
  if (Array.isArray(e.partitions)) return e.partitions as FailedPartition[];
  return [e.cause, e.originalError, ...(e.errors ?? [])].flatMap((inner) => failedPartitions(inner, depth + 1));
}

/** The protocol errors of a request that a deleted topic fails with. */
const MISSING_TOPIC_ERRORS = ["UNKNOWN_TOPIC_OR_PARTITION", "UNKNOWN_TOPIC_ID", "OPERATION_NOT_ATTEMPTED"];

/** The protocol errors of a request the broker's authorizer denied. */
const AUTHORIZATION_ERRORS = [
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "TOPIC_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
];

/** Whether a kafkajs error, or one it wraps, has the given protocol error type. */
function hasErrorType(error: unknown, type: string, depth = 0): boolean {
  if (error === null || typeof error !== "object" || depth > 5) return false;
  const e = error as { type?: string; cause?: unknown; originalError?: unknown; errors?: unknown[] };
  return e.type === type || hasErrorType(e.cause, type, depth + 1) || hasErrorType(e.originalError, type, depth + 1) ||
    (e.errors ?? []).some((inner) => hasErrorType(inner, type, depth + 1));
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

/**
 * The app consumer: one kafkajs consumer per instance in the app's group,
 * subscribed to every ingress topic and the mailbox, assigned whole tasks by
 * the task assignor. It hands records off and returns at once (a slow or
 * throwing eachBatch stalls heartbeats or crashes the consumer), keeps its own
 * positions (kafkajs re-reads committed offsets at every rebalance and would
 * redeliver), and holds newly assigned tasks paused until the runtime has
 * fenced, restored and positioned them. See docs/kafka-client.md.
 *
 * @module
 */

import { DEFAULT_SESSION_TIMEOUT_MS } from "../runtime/options.ts";
import type {
  AppConsumerPort,
  AppConsumerSetup,
  AssignmentChange,
  ConsumedRecord,
  RawHeaders,
} from "../runtime/ports.ts";
import type { ConsumerSettings } from "./client_properties.ts";
import { registerCompressionCodecs } from "./codecs.ts";
import type { Consumer, EachBatchPayload, Kafka } from "./kafkajs.ts";
import type { KafkaAdmin } from "./admin.ts";
import { RuntimeError } from "../runtime/errors.ts";
import { describeError } from "../runtime/logger.ts";
import { taskAssignor, tasksOfAssignment } from "./task_assignor.ts";

/**
 * Fetch sizes unless the spec's properties set them (`fetch.max.bytes`, `max.partition.fetch.bytes`): smaller than
 * kafkajs' 10 MiB and 1 MiB, because a task takes a fetch in only as its queues have room (a few thousand records)
 * and holds the rest, decoded, until then — a 1 MiB partition fetch of small records is ~15 000 of them.
 */
const DEFAULT_FETCH_MAX_BYTES = 2 * 1024 * 1024;
const DEFAULT_PARTITION_FETCH_BYTES = 256 * 1024;

/** Options of the app consumer. */
export interface AppConsumerOptions extends AppConsumerSetup {
  /** The client for the app's cluster. */
  kafka: Kafka;
  /** Longest fetch wait (default 250 ms; kafkajs only heartbeats between fetches). */
  maxWaitTimeMs?: number;
  /** Consumer settings from the spec's properties (they win over the defaults). */
  settings?: ConsumerSettings;
  /** The app's admin: which subscribed topics are missing when the consumer fails on one. */
  admin?: Pick<KafkaAdmin, "missingTopics">;
  /** Who the client is to the broker's authorizer (`User:<name>`), for errors when an ACL denies it. */
  principal?: string;
}

/** The app's consumer: hand-off, own positions, task-level pause. */
export class AppConsumer implements AppConsumerPort {
  readonly #options: AppConsumerOptions;
  readonly #consumer: Consumer;
  #tasks: number[] = [];
  #memberId: string | undefined;
  /** Partitions per topic of the current assignment. */
  #assignment: Record<string, number[]> = {};
  /** Next offset to hand off, per topic and partition. */
  readonly #positions = new Map<string, Map<number, number>>();

  /** @param options The consumer's options. */
  constructor(options: AppConsumerOptions) {
    this.#options = options;
    // Ingress topics may hold snappy/lz4/zstd batches from Java producers; kafkajs alone crashes on them.
    registerCompressionCodecs();
    const settings = options.settings ?? {};
    const sessionTimeout = settings.sessionTimeoutMs ?? options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.#consumer = options.kafka.consumer({
      groupId: options.groupId,
      partitionAssigners: [
        taskAssignor({ taskCount: options.taskCount, ownedTasks: () => this.#tasks, member: options.member }),
      ],
      sessionTimeout,
      heartbeatInterval: settings.heartbeatIntervalMs ?? Math.max(100, Math.floor(sessionTimeout / 10)),
      rebalanceTimeout: settings.rebalanceTimeoutMs ?? Math.max(sessionTimeout * 2, 10_000),
      maxWaitTimeInMs: settings.maxWaitTimeMs ?? options.maxWaitTimeMs ?? 250,
      ...(settings.minBytes === undefined ? {} : { minBytes: settings.minBytes }),
      maxBytes: settings.maxBytes ?? DEFAULT_FETCH_MAX_BYTES,
      maxBytesPerPartition: settings.maxBytesPerPartition ?? DEFAULT_PARTITION_FETCH_BYTES,
      readUncommitted: settings.readUncommitted ?? false,
      allowAutoTopicCreation: false,
    });
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#guard(() => this.#rebalanced(payload.memberAssignment as Record<string, number[]>, payload.memberId));
    });
    // A batch of control markers or aborted records only never reaches eachBatch; its end event still
    // says how far the partition got, so committed positions move past the markers (lag 0).
    this.#consumer.on(this.#consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0) return;
      this.#guard(() => this.#handOff(payload.topic, payload.partition, [], Number(payload.lastOffset) + 1));
    });
    this.#consumer.on(this.#consumer.events.CRASH, ({ payload }) => void this.#crashed(payload.error));
  }

  /**
   * A crash of the kafkajs consumer. kafkajs restarts it after retriable errors; a subscribed topic that no longer
   * exists (deleted under the running app) fails it again every fetch, so that one is reported as final, named.
   */
  async #crashed(error: Error): Promise<void> {
    const type = (error as { type?: string }).type;
    if (type === "GROUP_AUTHORIZATION_FAILED" || type === "TOPIC_AUTHORIZATION_FAILED") {
      const what = type === "GROUP_AUTHORIZATION_FAILED"
        ? `Read the group ${this.#options.groupId}`
        : `Describe and Read the topics it reads (one of ${this.#options.topics.join(", ")})`;
      const named = new RuntimeError(
        `the broker's ACLs do not allow ${this.#options.principal ?? "this client's principal"} to ${what} ` +
          `(${type}): the app's consumer cannot go on. Grant the ACL and start the app again`,
        { cause: error },
      );
      this.#options.onError(Object.assign(named, { restart: false }));
      return;
    }
    const admin = this.#options.admin;
    if (admin !== undefined && (error as { type?: string }).type === "UNKNOWN_TOPIC_OR_PARTITION") {
      const missing = await admin.missingTopics(this.#options.topics).catch(() => []);
      if (missing.length > 0) {
        const named = new RuntimeError(
          `the app's consumer reads ${missing.join(", ")}, which no longer exist${missing.length === 1 ? "s" : ""} ` +
            `(deleted while the app ran?): ${describeError(error)}. Restore the topic, or start the app over with ` +
            "`eddy reset` (an internal topic) or without the ingress (an ingress topic)",
          { cause: error },
        );
        this.#options.onError(Object.assign(named, { restart: false }));
        return;
      }
    }
    this.#options.onError(error);
  }

  /** Whether the consumer has joined the group at least once. */
  get joined(): boolean {
    return this.#memberId !== undefined;
  }

  /** The tasks this instance owns now. */
  get tasks(): readonly number[] {
    return this.#tasks;
  }

  /** Connects, subscribes and starts fetching. */
  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: this.#options.topics });
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => {
        this.#guard(() => this.#onBatch(payload));
        // Without autoCommit nothing is committed by this; but kafkajs fetches from its resolved offset, so an
        // unresolved batch would be fetched again and again (growing to the fetch size, never past it).
        payload.resolveOffset(payload.batch.lastOffset());
        return Promise.resolve();
      },
    });
  }

  /** Leaves the group (its tasks move at once) and disconnects. */
  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }

  /**
   * Starts fetching a newly assigned task's `topics` from the given positions
   * (the committed offsets the runtime read after fencing and restoring).
   * Partitions without a position start from the group's committed offset or
   * the topic's reset policy.
   */
  startTask(
    task: number,
    positions: { topic: string; partition: number; offset: number }[],
    topics: readonly string[] = this.#options.topics,
  ): void {
    for (const { topic, partition, offset } of positions) this.seek(topic, partition, offset);
    this.resumeTask(task, topics);
  }

  /** Moves a partition's position: the next hand-off starts there. */
  seek(topic: string, partition: number, offset: number): void {
    this.#setPosition(topic, partition, offset);
    this.#consumer.seek({ topic, partition, offset: String(offset) });
  }

  /** Stops fetching a task's partitions (back-pressure); the group is unaffected. */
  pauseTask(task: number, topics: readonly string[] = this.#options.topics): void {
    const partitions = this.#partitionsOf(task, topics);
    if (partitions.length > 0) whileRunning(() => this.#consumer.pause(partitions));
  }

  /** Fetches a task's partitions again. */
  resumeTask(task: number, topics: readonly string[] = this.#options.topics): void {
    const partitions = this.#partitionsOf(task, topics);
    if (partitions.length > 0) whileRunning(() => this.#consumer.resume(partitions));
  }

  /** The partitions of `topic` assigned to this instance that belong to `task`. */
  partitionsOfTask(task: number, topic: string): number[] {
    return (this.#assignment[topic] ?? []).filter((partition) => partition % this.#options.taskCount === task);
  }

  /**
   * Commits offsets in the app's group outside any transaction (the
   * at-least-once processing guarantee); fails during a rebalance.
   */
  async commitOffsets(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.#consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset: String(offset),
    })));
  }

  /** The next offset this consumer will hand off for a partition, if it has handed any off. */
  position(topic: string, partition: number): number | undefined {
    return this.#positions.get(topic)?.get(partition);
  }

  #rebalanced(assignment: Record<string, number[]>, memberId: string): void {
    // A new member id means this member was expelled (a session timeout, e.g. a paused process): the group
    // may have given its tasks to others meanwhile, so nothing is retained — every task starts over.
    const expelled = this.#memberId !== undefined && memberId !== this.#memberId;
    this.#memberId = memberId;
    if (expelled) this.#positions.clear();
    const before = new Set(this.#tasks);
    const after = tasksOfAssignment(assignment, this.#options.taskCount);
    const change: AssignmentChange = {
      assigned: after.filter((task) => expelled || !before.has(task)),
      revoked: [...before].filter((task) => expelled || !after.includes(task)),
      retained: expelled ? [] : after.filter((task) => before.has(task)),
      expelled,
    };
    this.#tasks = after;
    this.#assignment = assignment;
    // Forget lost partitions; kafkajs re-read the committed offsets for this generation, so put the
    // retained ones back where we were.
    for (const [topic, offsets] of this.#positions) {
      for (const [partition, offset] of offsets) {
        if (!assignment[topic]?.includes(partition)) offsets.delete(partition);
        else this.#consumer.seek({ topic, partition, offset: String(offset) });
      }
    }
    for (const task of change.assigned) this.pauseTask(task);
    this.#options.onAssignment(change);
  }

  #onBatch({ batch }: EachBatchPayload): void {
    const { topic, partition } = batch;
    const records = batch.messages.map((message): ConsumedRecord => ({
      topic,
      partition,
      offset: Number(message.offset),
      key: message.key === null ? null : new Uint8Array(message.key),
      value: message.value === null ? null : new Uint8Array(message.value),
      timestamp: Number(message.timestamp),
      headers: consumedHeaders(message.headers),
    }));
    this.#handOff(batch.topic, batch.partition, records, Number(batch.lastOffset()) + 1, Number(batch.highWatermark));
  }

  #handOff(
    topic: string,
    partition: number,
    records: ConsumedRecord[],
    nextOffset: number,
    highWatermark?: number,
  ): void {
    const task = partition % this.#options.taskCount;
    // A batch fetched before a rebalance may arrive for a partition this instance no longer owns.
    if (!this.#assignment[topic]?.includes(partition)) return;
    const current = this.position(topic, partition) ?? 0;
    if (nextOffset <= current) return;
    this.#setPosition(topic, partition, nextOffset);
    const fresh = records.filter((record) => record.offset >= current);
    this.#options.onRecords({
      topic,
      partition,
      task,
      records: fresh,
      nextOffset,
      ...(highWatermark === undefined || Number.isNaN(highWatermark) ? {} : { highWatermark }),
    });
  }

  #setPosition(topic: string, partition: number, offset: number): void {
    const offsets = this.#positions.get(topic) ?? new Map<number, number>();
    offsets.set(partition, offset);
    this.#positions.set(topic, offsets);
  }

  #partitionsOf(task: number, topics: readonly string[]) {
    return topics.flatMap((topic) => {
      const partitions = this.partitionsOfTask(task, topic);
      return partitions.length > 0 ? [{ topic, partitions }] : [];
    });
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#options.onError(error);
    }
  }
}

/**
 * Runs a kafkajs pause or resume, which throws while the consumer is not running (crashed and restarting, or
 * stopped): there is nothing to pause then, and a resumed task's partitions are fetched when it runs again.
 */
function whileRunning(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!/consumer#run must be called first|not running/i.test(describeError(error))) throw error;
  }
}

const UTF8 = new TextEncoder();

/** No headers: one frozen object for every record without any (most records). */
const NO_HEADERS: RawHeaders = Object.freeze({});

/**
 * A consumed record's headers. kafkajs gives a header's value as a Buffer (null for a null value), and a repeated
 * header's as an array of them: each is copied out of the fetch's buffer (which the record would otherwise keep alive),
 * a null value as empty bytes; a record without headers gets the one shared empty object.
 */
export function consumedHeaders(headers: Record<string, unknown> | undefined): RawHeaders {
  let out: Record<string, Uint8Array | Uint8Array[]> | undefined;
  for (const name in headers) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw.map(headerValue) : headerValue(raw);
    // Object.defineProperty: a header named __proto__ stays a header.
    Object.defineProperty(out ??= {}, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return out ?? NO_HEADERS;
}

function headerValue(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return typeof value === "string" ? UTF8.encode(value) : new Uint8Array();
}

/**
 * What the runtime needs from Kafka, as types and interfaces it owns: records in and out, the commit of a task
 * (records and offsets together), the app consumer, cluster administration and producers for egress records.
 * src/kafka/ implements them; the runtime imports nothing from src/kafka/, and `serve()` wires the two.
 *
 * @module
 */

import type { KafkaRecordSource, OutgoingHeaders, RawHeaders } from "../sdk/kafka_record.ts";
import type { ModuleSpec } from "../spec/model.ts";
import type { GroupMember, MemberInfo } from "./group_member.ts";

export type { OutgoingHeaders, RawHeaders } from "../sdk/kafka_record.ts";
import type { AppPlan } from "./app_plan.ts";
import type { Logger } from "./logger.ts";

/**
 * A consumed record. It names its topic and partition (as its hand-off does) so that a message made from it can be
 * given to a function as its `message.kafka` without an object of its own.
 */
export interface ConsumedRecord extends KafkaRecordSource {
  /** The topic. */
  topic: string;
  /** The partition. */
  partition: number;
  /** The record's offset. */
  offset: number;
  /** Key bytes, or null. */
  key: Uint8Array | null;
  /** Value bytes, or null (a tombstone). */
  value: Uint8Array | null;
  /** Record timestamp (ms since the epoch). */
  timestamp: number;
  /** Headers as bytes: a repeated header's values in order. */
  headers: RawHeaders;
}

/** Records of one partition handed to the runtime. */
export interface RecordHandoff {
  /** The topic. */
  topic: string;
  /** The partition. */
  partition: number;
  /** The task that owns the partition. */
  task: number;
  /** The records, in offset order; empty when the batch held only control markers or aborted records. */
  records: ConsumedRecord[];
  /** The position after this batch, control markers included: the offset to commit once it is processed. */
  nextOffset: number;
  /** The partition's high watermark when fetched, if the client said: how far behind the task is. */
  highWatermark?: number;
}

/** How the tasks of this instance changed at a rebalance. */
export interface AssignmentChange {
  /** Tasks this instance did not own before; their partitions are paused until `startTask`. */
  assigned: number[];
  /** Tasks it owned and lost: drop their in-flight work, another instance now owns them. */
  revoked: number[];
  /** Tasks it keeps; fetching goes on from its own positions. */
  retained: number[];
  /** This member had been expelled from the group (it rejoined with a new member id): all its tasks start over. */
  expelled: boolean;
}

/** A record as Eddy hands it to a producer. */
export interface OutgoingRecord {
  /** Target topic. */
  topic: string;
  /** Target partition (undefined: Kafka's default partitioner). */
  partition?: number;
  /** Key bytes or text, or null. */
  key: Uint8Array | string | null;
  /** Value bytes or text, or null (a tombstone). */
  value: Uint8Array | string | null;
  /** Headers; a list writes the header once per value. */
  headers?: OutgoingHeaders;
  /** The egress id, for a record a function sent to an egress (not written to Kafka: reports and the test kit). */
  egress?: string;
}

/** An offset to commit for a group, in the same transaction. */
export interface GroupOffset {
  /** The consumer group (an ingress group, or the app group for the mailbox). */
  groupId: string;
  /** The topic. */
  topic: string;
  /** The partition. */
  partition: number;
  /** The next offset to read (position after the last processed record and markers). */
  offset: number;
}

/** The offset of the last record written to each partition, by `topic/partition`. */
export type WrittenOffsets = ReadonlyMap<string, number>;

/** What one commit writes. */
export interface CommitBatch {
  /** Records, in order. */
  records: OutgoingRecord[];
  /** Offsets committed atomically with them. */
  offsets: GroupOffset[];
}

/** A commit that did not happen, or whose outcome is unknown. */
export class CommitError extends Error {
  /**
   * @param transactionalId The task's transactional id (or its name under at-least-once).
   * @param fenced Another producer with this transactional id took over: the task is no longer ours.
   * @param cause The underlying error.
   */
  constructor(readonly transactionalId: string, readonly fenced: boolean, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`commit of ${transactionalId} failed${fenced ? " (fenced by a newer producer)" : ""}: ${reason}`, { cause });
    this.name = "CommitError";
  }
}

/** Commits a task's epochs: a transactional producer, or the at-least-once committer. */
export interface TaskCommitter {
  /** Prepares (and, for transactions, fences older producers of the task). */
  init(): Promise<void>;
  /** Writes records and commits offsets; reports where the records landed when the client says. */
  commit(batch: CommitBatch): Promise<WrittenOffsets | void>;
  /** Releases the committer. */
  close(): Promise<void>;
}

/** Offsets of one partition. */
export interface PartitionOffsets {
  /** The partition. */
  partition: number;
  /** The first offset still in the log. */
  low: number;
  /** The high watermark (log-end offset): what `kafka-consumer-groups` computes lag against. */
  high: number;
  /** The last-stable offset: read_committed readers stop here while a transaction is open. */
  lastStable: number;
}

/** The topic a module or the runtime needs, with its partition count and configs. */
export interface TopicSpec {
  /** Topic name. */
  topic: string;
  /** Partition count. */
  partitions: number;
  /** Replication factor (default: the broker's default). */
  replicationFactor?: number;
  /** Topic configs such as `cleanup.policy: compact`, set at creation and checked on an existing topic. */
  configs?: Record<string, string>;
  /** Configs set at creation only (operators may tune them later), e.g. `segment.bytes`. */
  initialConfigs?: Record<string, string>;
}

/** An existing topic does not match what Eddy needs; the message says what differs. */
export class TopicMismatchError extends Error {
  /**
   * @param topic The topic.
   * @param differences One line per difference.
   */
  constructor(readonly topic: string, readonly differences: string[]) {
    super(`topic ${topic} exists but does not match: ${differences.join("; ")}`);
    this.name = "TopicMismatchError";
  }
}

/** Topic and offset administration of the app's cluster. */
export interface ClusterAdmin {
  /** Connects. */
  connect(): Promise<void>;
  /** Disconnects. */
  disconnect(): Promise<void>;
  /** A topic's partition count, or undefined when it does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
  /** Creates a topic, or checks an existing one; true when it created it. @throws {TopicMismatchError} */
  ensureTopic(spec: TopicSpec): Promise<boolean>;
  /** Low, high-watermark and last-stable offsets of every partition. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Low and last-stable offsets of every partition. */
  stableOffsets(topic: string): Promise<Omit<PartitionOffsets, "high">[]>;
  /** One config of a topic as the broker applies it (its default included), or undefined when not reported. */
  topicConfig(topic: string, name: string): Promise<string | undefined>;
  /** Committed offsets of a group per partition (-1 where it has none). */
  groupOffsets(groupId: string, topic: string): Promise<Map<number, number>>;
  /** The earliest offset per partition whose timestamp is at or after `timestamp` (-1: none). */
  offsetsForTimestamp(topic: string, timestamp: number): Promise<Map<number, number>>;
  /** Commits offsets for a group that has no active member. */
  setGroupOffsets(groupId: string, topic: string, offsets: { partition: number; offset: number }[]): Promise<void>;
  /** The member that owns each `topic/partition` in a group. */
  groupOwners(groupId: string): Promise<Map<string, string>>;
  /** The members of the app's group with what each says of itself and the tasks it owns. */
  groupView(groupId: string, taskCount: number): Promise<GroupMember[]>;
}

/** What the app consumer tells the runtime, and how it is set up. */
export interface AppConsumerSetup {
  /** The app's consumer group. */
  groupId: string;
  /** Every topic of the app: ingress topics, the mailbox and the changelog. */
  topics: string[];
  /** N, the app's task count. */
  taskCount: number;
  /** Session timeout: the runtime passes its effective one (the ingresses' `session.timeout.ms` when set). */
  sessionTimeoutMs?: number;
  /** Who this member is and which app it runs, for the other members. */
  member?(): MemberInfo;
  /** Called synchronously inside the rebalance (before any fetch of the new generation). */
  onAssignment(change: AssignmentChange): void;
  /** Called synchronously for every fetched batch; must return at once and not throw. */
  onRecords(handoff: RecordHandoff): void;
  /** Called when a callback threw or the consumer crashed (`restart: false` on the error: for good). */
  onError(error: unknown): void;
}

/** The one consumer of an instance in the app's group: whole tasks, its own positions, task-level pause. */
export interface AppConsumerPort {
  /** Whether it has joined the group at least once. */
  readonly joined: boolean;
  /** The tasks this instance owns now. */
  readonly tasks: readonly number[];
  /** Connects, subscribes and starts fetching. */
  start(): Promise<void>;
  /** Leaves the group and disconnects. */
  stop(): Promise<void>;
  /** Starts fetching a newly assigned task's topics from the given positions. */
  startTask(
    task: number,
    positions: { topic: string; partition: number; offset: number }[],
    topics?: readonly string[],
  ): void;
  /** Moves a partition's position: the next hand-off starts there. */
  seek(topic: string, partition: number, offset: number): void;
  /** Stops fetching a task's partitions (of `topics`, default all). */
  pauseTask(task: number, topics?: readonly string[]): void;
  /** Fetches a task's partitions again. */
  resumeTask(task: number, topics?: readonly string[]): void;
  /** The partitions of `topic` assigned to this instance that belong to `task`. */
  partitionsOfTask(task: number, topic: string): number[];
  /** Commits offsets in the app's group outside any transaction (at-least-once). */
  commitOffsets(offsets: { topic: string; partition: number; offset: number }[]): Promise<void>;
}

/** Writes records and resolves once every broker acknowledged them (an idempotent producer). */
export interface RecordWriter {
  /** Writes the records; reports where those with a partition landed. */
  send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets>;
  /** Disconnects. */
  disconnect(): Promise<void>;
}

/** The Kafka side of one app: its cluster's admin, consumer, task producers and egress producers. */
export interface AppKafka {
  /** Properties of the module that were not applied, with file:line, to log. */
  readonly warnings: readonly string[];
  /** The app consumer's session timeout as the ingresses' `properties` set it (`session.timeout.ms`), if they do. */
  readonly sessionTimeoutMs?: number;
  /** The app cluster's admin. */
  readonly admin: ClusterAdmin;
  /** The app consumer. */
  consumer(setup: AppConsumerSetup): AppConsumerPort;
  /** The transactional producer of a task (`<app>-task-<p>`). */
  taskProducer(transactionalId: string, options: { transactionTimeoutMs: number }): TaskCommitter;
  /** A connected idempotent producer for an egress (by id, on its cluster), or for the app's own records (`""`). */
  recordWriter(egressId: string): Promise<RecordWriter>;
}

/**
 * Makes the Kafka side of an app from its module (client properties) and plan (brokers, app id).
 *
 * @throws {AppPlanError} for client properties that cannot work, {RuntimeError} when a client cannot be configured.
 */
export type AppKafkaFactory = (module: ModuleSpec, plan: AppPlan, log: Logger) => AppKafka;

/**
 * The test kit's app: a module's functions run on the runtime's own task code — routing, epochs and the commit cycle,
 * effects, timers, expiry, failure policies — with Kafka replaced by an in-memory log (memory_log.ts) and time by a
 * virtual clock. Records whose key hashes to another task are forwarded through the in-memory mailbox, as on Kafka;
 * a crash restarts every task from its last commit, so exactly-once is observable.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { remoteFunctions } from "../remote/endpoints.ts";
import { type AppPlan, planApp } from "../runtime/app_plan.ts";
import { FunctionBindings } from "../runtime/function_bindings.ts";
import { Logger, type LogLevel } from "../runtime/logger.ts";
import { DEFAULT_PROCESSING_GUARANTEE, type FunctionSource, type ProcessingGuarantee } from "../runtime/options.ts";
import {
  type CommitBatch,
  CommitError,
  type ConsumedRecord,
  type GroupOffset,
  type TaskCommitter,
} from "../runtime/ports.ts";
import { taskOfId } from "../runtime/routing.ts";
import { ManualClock } from "../runtime/task/clock.ts";
import { Task } from "../runtime/task/task.ts";
import {
  DEFAULT_TASK_LIMITS,
  type RecordPolicy,
  type TaskFailure,
  type TaskLimits,
  type TaskReport,
} from "../runtime/task/types.ts";
import { Address } from "../sdk/address.ts";
import { decodeHeaders, type HeaderValue, type OutgoingHeaders } from "../sdk/kafka_record.ts";
import { ChangelogRecordError } from "../state/task_state.ts";
import { type DescribedValue, describeState } from "../sdk/describe_state.ts";
import { BOOL_TYPE, DOUBLE_TYPE, FLOAT_TYPE, INT_TYPE, LONG_TYPE, STRING_TYPE, type Type } from "../sdk/types.ts";
import { loadModuleSpec } from "../spec/load.ts";
import type { HttpEndpointSpec, ModuleSpec } from "../spec/model.ts";
import { type LogRecord, MemoryLog } from "./memory_log.ts";

/** A remote endpoint in the test: request bytes (ToFunction) to response bytes (FromFunction). */
export type RemoteHandler = (request: Uint8Array) => Promise<Uint8Array>;

/** What a test app runs. */
export interface TestAppOptions {
  /** The module: a module.yaml path or URL (loaded and checked as `eddy run` does), or a parsed spec. */
  module: string | URL | ModuleSpec;
  /** In-process functions (a `StateFun` with its bindings). */
  functions?: FunctionSource;
  /**
   * A handler per HTTP endpoint of the module, by the endpoint's `functions` (`com.example/*`) or `urlPathTemplate`
   * as written; every endpoint needs one. `fromNodeHandler(statefun.handler())` adapts the official JS SDK's handler.
   */
  remote?: Record<string, RemoteHandler>;
  /** Tasks (partitions of every ingress topic, the mailbox and the changelog); default 4. */
  tasks?: number;
  /** Default exactly-once. */
  processingGuarantee?: ProcessingGuarantee;
  /** Virtual ms between commits; default 100. */
  commitIntervalMs?: number;
  /** Where the virtual clock starts (ms since the epoch); default 2024-01-01T00:00:00Z. */
  startTime?: number;
  /** Task limits beyond the commit interval. */
  limits?: Partial<TaskLimits>;
  /** Unroutable ingress records: stop (default), skip, or dead-letter. */
  unroutableRecords?: RecordPolicy;
  /** Messages whose function failed every attempt: stop (default) or dead-letter. */
  failedMessages?: Exclude<RecordPolicy, { type: "skip" }>;
  /** The app id (required when the ingresses' consumerGroupIds differ). */
  appId?: string;
  /** The runtime's log lines (default: dropped) and their level (default warn). */
  log?: { write: (line: string) => void; level?: LogLevel };
}

/** A record for an ingress. */
export interface SendRecord {
  /** Key (text as UTF-8), or null. */
  key: string | Uint8Array | null;
  /** Value (text as UTF-8): the bytes the ingress's valueType reads. */
  value: string | Uint8Array;
  /** Headers: a string (as UTF-8) or bytes per name; a list gives the header once per value. */
  headers?: OutgoingHeaders;
  /** The record's timestamp, ms since the epoch (default: the virtual clock's time). */
  timestamp?: number;
  /** Which of the ingress's topics (default: its first). */
  topic?: string;
  /** The partition, as a producer with another partitioner puts it (default: Kafka's default partitioner's). */
  partition?: number;
}

/** A record as a test reads it. */
export interface TestRecord {
  /** Its topic. */
  topic: string;
  /** Its partition. */
  partition: number;
  /** Its offset. */
  offset: number;
  /** Key as UTF-8 text, or null. */
  key: string | null;
  /** Value as UTF-8 text, or null. */
  value: string | null;
  /** Value bytes, or null. */
  valueBytes: Uint8Array | null;
  /** Headers, as a function reads `message.kafka.headers`: text where valid UTF-8, else bytes; a repeated one's last. */
  headers: Record<string, HeaderValue>;
  /** When it was written, on the virtual clock. */
  timestamp: number;
}

/** A commit as `abortNextCommits` sees it. */
export interface CommitView {
  /** The task. */
  task: number;
  /** The records it writes (changelog, mailbox, egress topics). */
  records: { topic: string; key: string | null; value: string | null }[];
  /** The offsets it commits. */
  offsets: { topic: string; partition: number; offset: number }[];
}

/** A mistake in the test: an unknown ingress id, a value the ingress cannot read, an unknown function. */
export class TestAppError extends Error {
  /**
   * Creates it.
   *
   * @param message What the test got wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "TestAppError";
  }
}

/** Virtual ms `run()` may advance before it gives up: messages that never stop are a loop. */
const MAX_RUN_MS = 24 * 3_600_000;

const BUILT_IN_TYPES: ReadonlyMap<string, Type<unknown>> = new Map(
  [BOOL_TYPE, INT_TYPE, LONG_TYPE, FLOAT_TYPE, DOUBLE_TYPE, STRING_TYPE].map((type) => [type.typename, type]),
);

const UTF8 = new TextEncoder();
const TEXT = new TextDecoder();

interface Slot {
  task: Task;
  /** Fetch positions by topic. */
  positions: Map<string, number>;
  paused: "none" | "ingress" | "all";
}

/**
 * Creates a test app and starts its tasks on an empty in-memory log.
 *
 * @throws {import("../spec/load.ts").SpecError} for a module that does not load, and the runtime's errors for one that
 * cannot run (an unbound ingress target, an endpoint without a handler).
 */
export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const module = typeof options.module === "string" || options.module instanceof URL
    ? await loadModuleSpec(options.module instanceof URL ? options.module.pathname : options.module)
    : options.module;
  return new TestApp(module, options);
}

/** A module's functions on an in-memory Kafka and a virtual clock. */
export class TestApp {
  /** The app: topics, ids. */
  readonly plan: AppPlan;
  /** Tasks. */
  readonly taskCount: number;
  readonly #module: ModuleSpec;
  readonly #clock: ManualClock;
  readonly #log: MemoryLog;
  readonly #logger: Logger;
  readonly #bindings: FunctionBindings;
  readonly #limits: TaskLimits;
  readonly #exactlyOnce: boolean;
  readonly #slots: Slot[] = [];
  /** Tasks whose next commit (that matches) aborts. */
  readonly #abortWhen = new Map<number, (commit: CommitView) => boolean>();
  #pumpScheduled = false;

  /** Use createTestApp. */
  constructor(module: ModuleSpec, options: TestAppOptions) {
    this.#module = module;
    this.plan = planApp(module, options.appId);
    this.taskCount = options.tasks ?? 4;
    if (!Number.isInteger(this.taskCount) || this.taskCount < 1) {
      throw new TestAppError(`tasks must be a positive integer, got ${options.tasks}`);
    }
    this.#clock = new ManualClock(options.startTime ?? Date.UTC(2024, 0, 1));
    this.#log = new MemoryLog(() => this.#clock.now());
    const write = options.log?.write ?? (() => {});
    this.#logger = new Logger({ level: options.log?.level ?? "warn", write }, { app: this.plan.appId });
    this.#bindings = new FunctionBindings(options.functions, remoteFunctions(module, handlersFor(module, options)));
    this.#bindings.checkTargets(this.plan);
    this.#exactlyOnce = (options.processingGuarantee ?? DEFAULT_PROCESSING_GUARANTEE) === "exactly-once";
    this.#limits = {
      ...DEFAULT_TASK_LIMITS,
      ...options.limits,
      commitIntervalMs: options.commitIntervalMs ?? DEFAULT_TASK_LIMITS.commitIntervalMs,
      transactionalEgress: this.#exactlyOnce,
      unroutableRecords: options.unroutableRecords ?? DEFAULT_TASK_LIMITS.unroutableRecords,
      failedMessages: options.failedMessages ?? DEFAULT_TASK_LIMITS.failedMessages,
    };
    for (const topic of [...this.plan.routes.keys(), this.plan.mailboxTopic, this.plan.changelogTopic]) {
      this.#log.create(topic, this.taskCount);
    }
    for (let p = 0; p < this.taskCount; p++) this.#slots.push(this.#startTask(p));
  }

  /** The virtual time, ms since the epoch. */
  get now(): number {
    return this.#clock.now();
  }

  /**
   * Writes records to an ingress's topic (partitioned by key, as Kafka's default partitioner does).
   *
   * @throws {TestAppError} for an unknown ingress id or topic, or a value its built-in valueType cannot read.
   */
  send(ingressId: string, ...records: SendRecord[]): void {
    const ingress = this.#module.ingresses.find((candidate) => candidate.id === ingressId);
    if (ingress === undefined) {
      const known = this.#module.ingresses.map((candidate) => candidate.id);
      throw new TestAppError(`no ingress ${ingressId}: the module defines ${known.join(", ") || "none"}`);
    }
    for (const record of records) {
      const topic = ingress.topics.find((candidate) => record.topic === undefined || candidate.topic === record.topic);
      if (topic === undefined) {
        throw new TestAppError(`ingress ${ingressId} does not read topic ${record.topic}`);
      }
      const value = typeof record.value === "string" ? UTF8.encode(record.value) : record.value;
      const type = BUILT_IN_TYPES.get(topic.valueType);
      if (type !== undefined) {
        try {
          type.deserialize(Buffer.from(value));
        } catch (error) {
          throw new TestAppError(
            `a value for ingress ${ingressId} (topic ${topic.topic}) does not read as ${topic.valueType}: ` +
              `${(error as Error).message}; built-in types are protobuf wrappers (write ${type.typename} values ` +
              `with its serialize)`,
          );
        }
      }
      const { key, headers, partition, timestamp } = record;
      if (timestamp !== undefined && !Number.isSafeInteger(timestamp)) {
        throw new TestAppError(`a record's timestamp must be an integer (ms since the epoch), got ${timestamp}`);
      }
      checkHeaders(headers);
      this.#log.append(
        { topic: topic.topic, key, value, headers, ...(partition === undefined ? {} : { partition }) },
        undefined,
        timestamp,
      );
    }
    this.#schedulePump();
  }

  /**
   * Runs until nothing is left to do: records delivered, messages processed, epochs committed. The virtual clock moves
   * in commit intervals meanwhile; delayed messages due later do not count (advance the clock for them).
   *
   * @throws {TestAppError} when work never ends (a day of virtual time): messages that keep making messages.
   */
  async run(): Promise<void> {
    const start = this.#clock.now();
    while (!this.#quiet()) {
      if (this.#clock.now() - start > MAX_RUN_MS) {
        throw new TestAppError("still busy after a day of virtual time: do the functions message each other forever?");
      }
      await this.#clock.advance(this.#limits.commitIntervalMs);
    }
  }

  /** Moves the virtual clock by `ms` (delayed messages fire, state expires), then runs until nothing is left. */
  async advance(ms: number): Promise<void> {
    await this.#clock.advance(ms);
    await this.run();
  }

  /**
   * Restarts every task from its last commit, as when the process dies: what was not committed is lost (and
   * redone from the committed offsets); open transactions abort.
   */
  async crash(): Promise<void> {
    for (const slot of this.#slots) await slot.task.close();
    this.#log.abortOpen();
    for (let p = 0; p < this.taskCount; p++) this.#slots[p] = this.#startTask(p);
    this.#schedulePump();
    await this.run();
  }

  /**
   * Makes the next commit of every task fail after writing its records (its transaction aborts, as when a producer
   * dies mid-commit): each task starts over from its last commit, as `eddy run` does. With `when`, each task's first
   * commit for which it holds fails instead (e.g. the one that writes an egress topic).
   */
  abortNextCommits(when: (commit: CommitView) => boolean = () => true): void {
    for (let p = 0; p < this.taskCount; p++) this.#abortWhen.set(p, when);
  }

  /**
   * The records functions sent to an egress, in partition and offset order; `uncommitted` shows what a
   * read_uncommitted reader sees (records of aborted transactions too).
   *
   * @throws {TestAppError} for an egress the module does not define.
   */
  egress(id: string, options: { uncommitted?: boolean } = {}): TestRecord[] {
    if (!this.plan.egresses.has(id)) {
      throw new TestAppError(
        `no egress ${id}: the module defines ${[...this.plan.egresses.keys()].join(", ") || "none"}`,
      );
    }
    const isolation = options.uncommitted ? "read_uncommitted" : "read_committed";
    return this.#log.topics().flatMap((topic) =>
      this.#log.readAll(topic, isolation).filter((record) => record.egress === id).map((record) =>
        testRecord(topic, record)
      )
    );
  }

  /** Every record of a topic (an egress topic, a dead-letter topic, the mailbox), as a reader at that isolation sees. */
  records(topic: string, options: { uncommitted?: boolean } = {}): TestRecord[] {
    const isolation = options.uncommitted ? "read_uncommitted" : "read_committed";
    return this.#log.readAll(topic, isolation).map((record) => testRecord(topic, record));
  }

  /**
   * An address's state, decoded as the control API shows it (`{ typename, value }`, or `base64` for types it cannot
   * decode), by state name.
   *
   * @throws {TestAppError} for a function type that is not bound.
   */
  state(typename: string, id: string): Record<string, DescribedValue> {
    const callable = this.#bindings.resolve(typename);
    if (callable === undefined) throw new TestAppError(`no function is bound for ${typename}`);
    const slash = typename.indexOf("/");
    const address = Address.fromParts(typename.slice(0, slash), typename.slice(slash + 1), id);
    const { task } = this.#slots[taskOfId(id, this.taskCount)];
    return describeState(task.state.peek(address, callable.valueSpecs), callable.valueSpecs);
  }

  /** Tasks that stopped, with why and where (a failed function, an unroutable record). */
  failures(): (TaskFailure & { task: number })[] {
    return this.#slots.flatMap(({ task }) => {
      const report = task.report();
      return report.failure === undefined ? [] : [{ task: report.task, ...report.failure }];
    });
  }

  /** What each task reports (as in `GET /v1/status`). */
  tasks(): TaskReport[] {
    return this.#slots.map(({ task }) => task.report());
  }

  /** Stops every task. */
  async close(): Promise<void> {
    for (const slot of this.#slots) await slot.task.close();
  }

  #startTask(p: number): Slot {
    const slot: Slot = { task: undefined as unknown as Task, positions: new Map(), paused: "none" };
    const task = new Task({
      task: p,
      taskCount: this.taskCount,
      plan: this.plan,
      functions: (typename) => this.#bindings.resolve(typename),
      committer: this.#committer(p),
      egress: {
        sendAndWait: (records) => {
          for (const { record } of records) this.#log.append(record);
          return Promise.resolve();
        },
        sendAndForget: (records) => {
          for (const { record } of records) this.#log.append(record);
        },
      },
      flow: {
        pauseIngress: () => slot.paused = slot.paused === "all" ? "all" : "ingress",
        resumeIngress: () => {
          if (slot.paused === "ingress") slot.paused = "none";
          this.#schedulePump();
        },
        pauseAll: () => slot.paused = "all",
      },
      log: this.#logger.with({ task: p }),
      onStopped: (outcome) => {
        // As the runtime's task manager: a failed commit starts the task over from its last commit.
        if (outcome !== "failed" && this.#slots[p] === slot) {
          void task.close().then(() => {
            this.#slots[p] = this.#startTask(p);
            this.#schedulePump();
          });
        }
      },
      limits: this.#limits,
      clock: this.#clock,
    });
    slot.task = task;
    const { records } = this.#log.read(this.plan.changelogTopic, p, 0, "read_committed");
    try {
      task.state.restoreRecords(records);
    } catch (error) {
      const at = error instanceof ChangelogRecordError ? records[error.index].offset : records.length;
      task.failRestore({
        reason: `a changelog record cannot be read: ${(error as Error).message}`,
        origin: { topic: this.plan.changelogTopic, partition: p, offset: at },
      });
      return slot;
    }
    const positions: GroupOffset[] = [];
    for (const [topic, route] of this.plan.routes) {
      positions.push({ groupId: route.groupId, topic, partition: p, offset: this.#committed(route.groupId, topic, p) });
    }
    const { appId, mailboxTopic } = this.plan;
    positions.push({
      groupId: appId,
      topic: mailboxTopic,
      partition: p,
      offset: this.#committed(appId, mailboxTopic, p),
    });
    for (const position of positions) slot.positions.set(position.topic, position.offset);
    task.start(positions);
    return slot;
  }

  #committed(groupId: string, topic: string, partition: number): number {
    return this.#log.committedOffset(groupId, topic, partition) ?? 0;
  }

  #committer(p: number): TaskCommitter {
    const name = `${this.plan.appId}-task-${p}`;
    return {
      init: () => Promise.resolve(),
      commit: (batch) => {
        const transaction = this.#exactlyOnce ? this.#log.begin() : undefined;
        for (const record of batch.records) this.#log.append(record, transaction);
        const when = this.#abortWhen.get(p);
        if (when !== undefined && when(commitView(p, batch))) {
          this.#abortWhen.delete(p);
          if (transaction !== undefined) this.#log.abort(transaction);
          return Promise.reject(new CommitError(name, false, new Error("the test aborted this commit")));
        }
        if (transaction !== undefined) this.#log.commit(transaction, batch.offsets);
        else this.#log.commitOffsets(batch.offsets);
        this.#schedulePump();
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Hands every task the records it has not seen, as its consumer would fetch them (read_committed). */
  #pump(): void {
    for (let p = 0; p < this.taskCount; p++) {
      const slot = this.#slots[p];
      if (slot.task.status !== "running") continue;
      for (const [topic, position] of slot.positions) {
        if (!this.#fetching(slot, topic)) continue;
        const { records, next } = this.#log.read(topic, p, position, "read_committed");
        if (next === position) continue;
        slot.positions.set(topic, next);
        slot.task.accept({
          topic,
          partition: p,
          task: p,
          records: records.map((record) => consumed(topic, p, record)),
          nextOffset: next,
        });
        if (this.#slots[p] !== slot || slot.task.status !== "running") break;
      }
    }
  }

  #quiet(): boolean {
    if (this.#pumpScheduled) return false;
    return this.#slots.every((slot, p) => {
      if (!slot.task.idle) return false;
      if (slot.task.status !== "running") return true;
      return [...slot.positions].every(([topic, position]) =>
        !this.#fetching(slot, topic) || this.#log.read(topic, p, position, "read_committed").next === position
      );
    });
  }

  /** Whether a task's consumer fetches a topic now (pauseIngress leaves the mailbox flowing). */
  #fetching(slot: Slot, topic: string): boolean {
    return slot.paused === "none" || (slot.paused === "ingress" && topic === this.plan.mailboxTopic);
  }
}

/** Headers a test may send: a string or bytes per name, or a list of them. */
function checkHeaders(headers: OutgoingHeaders | undefined): void {
  if (headers === undefined) return;
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    throw new TestAppError("a record's headers must be an object from header name to a string or a Uint8Array");
  }
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (typeof one !== "string" && !(one instanceof Uint8Array)) {
        throw new TestAppError(
          `header ${name} must be a string or a Uint8Array (or a list of them), not ${
            one === null ? "null" : typeof one
          }`,
        );
      }
    }
  }
}

function handlersFor(
  module: ModuleSpec,
  options: TestAppOptions,
): (endpoint: HttpEndpointSpec) => RemoteHandler | undefined {
  const given = new Map(Object.entries(options.remote ?? {}));
  const byEndpoint = new Map<HttpEndpointSpec, RemoteHandler>();
  for (const endpoint of module.endpoints) {
    const pattern = `${endpoint.functions.namespace}/${endpoint.functions.name}`;
    const handler = given.get(pattern) ?? given.get(endpoint.urlPathTemplate);
    if (handler === undefined) {
      throw new TestAppError(
        `the endpoint ${pattern} (${endpoint.at.file}:${endpoint.at.line}) has no handler: pass remote: ` +
          `{ ${JSON.stringify(pattern)}: handler }`,
      );
    }
    given.delete(pattern);
    given.delete(endpoint.urlPathTemplate);
    byEndpoint.set(endpoint, handler);
  }
  if (given.size > 0) {
    throw new TestAppError(`remote names no endpoint of the module: ${[...given.keys()].join(", ")}`);
  }
  return (endpoint) => byEndpoint.get(endpoint);
}

function commitView(task: number, batch: CommitBatch): CommitView {
  const text = (data: Uint8Array | string | null) =>
    typeof data === "string" || data === null ? data : TEXT.decode(data);
  return {
    task,
    records: batch.records.map((record) => ({ topic: record.topic, key: text(record.key), value: text(record.value) })),
    offsets: batch.offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
  };
}

function consumed(topic: string, partition: number, record: LogRecord): ConsumedRecord {
  return {
    topic,
    partition,
    offset: record.offset,
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers: record.headers,
  };
}

function testRecord(topic: string, record: LogRecord & { partition: number }): TestRecord {
  return {
    topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key === null ? null : TEXT.decode(record.key),
    value: record.value === null ? null : TEXT.decode(record.value),
    valueBytes: record.value,
    headers: decodeHeaders(record.headers),
    timestamp: record.timestamp,
  };
}

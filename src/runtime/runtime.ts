/**
 * The runtime of one instance: checks the cluster, creates the internal
 * topics, joins the app's group with one consumer and runs the tasks it is
 * given. For each assigned task it follows the assignment sequence: fence (the
 * task's producer), read the committed offsets, restore the changelog up to
 * its last-stable offset, seek, process.
 *
 * @module
 */

import { AppConsumer, type AssignmentChange, type RecordHandoff } from "../kafka/app_consumer.ts";
import { KafkaAdmin, TopicMismatchError } from "../kafka/admin.ts";
import { createKafka } from "../kafka/client.ts";
import type { ClientSettings } from "../kafka/client_properties.ts";
import { EgressProducer } from "../kafka/egress_producer.ts";
import type { Kafka } from "../kafka/kafkajs.ts";
import type { OutgoingRecord } from "../kafka/outgoing_records.ts";
import { PlainCommitter } from "../kafka/plain_committer.ts";
import { CommitError, type GroupOffset, TaskProducer } from "../kafka/task_producer.ts";
import type { FunctionSpec } from "../sdk/function_spec.ts";
import type { ModuleSpec } from "../spec/model.ts";
import { type AppPlan, brokerList, planApp } from "./app_plan.ts";
import { type AppKafkaSettings, appKafkaSettings } from "./kafka_settings.ts";
import type { EgressRecord } from "./egress_router.ts";
import { describeError, Logger } from "./logger.ts";
import { startOffset } from "./start_offsets.ts";
import { DEFAULT_TASK_LIMITS, type RecordPolicy, Task, type TaskLimits, type TaskReport } from "./task.ts";

/** Where in-process functions come from: a `StateFun` instance, or anything that resolves typenames. */
export interface FunctionSource {
  /** The binding of a function type, if any. */
  functionSpec(typename: string): FunctionSpec | undefined;
}

/** `exactly-once` (default): one transaction per task commit; `at-least-once`: no transactions. */
export type ProcessingGuarantee = "exactly-once" | "at-least-once";

/** Options of the runtime. */
export interface RuntimeOptions {
  /** The module. */
  module: ModuleSpec;
  /** In-process functions. */
  functions: FunctionSource;
  /** The app id (required when the ingresses' consumerGroupIds differ). */
  appId?: string;
  /** The processing guarantee (default exactly-once). */
  processingGuarantee?: ProcessingGuarantee;
  /** Commit interval in ms (default 100). */
  commitIntervalMs?: number;
  /** Transaction timeout in ms (default 60 s, capped by exactly-once egresses' transactionTimeout). */
  transactionTimeoutMs?: number;
  /** The log (default: text on stderr). */
  logger?: Logger;
  /** Task limits beyond the commit interval. */
  limits?: Partial<TaskLimits>;
  /** Session timeout of the app consumer (default 6 s). */
  sessionTimeoutMs?: number;
  /** Unroutable ingress records: stop the task (default), skip them, or write them to a dead-letter topic. */
  unroutableRecords?: RecordPolicy;
  /** Per ingress id, where it differs from `unroutableRecords`. */
  unroutableRecordsByIngress?: Record<string, RecordPolicy>;
  /** Messages whose function failed every attempt: stop the task (default) or write them to a dead-letter topic. */
  failedMessages?: Exclude<RecordPolicy, { type: "skip" }>;
  /**
   * Settings of the internal topics when they are created: replication factor (default: the broker's
   * `default.replication.factor`) and topic configs (e.g. `min.insync.replicas`), applied to both.
   */
  internalTopics?: { replicationFactor?: number; configs?: Record<string, string> };
}

/** What the runtime reports. */
export interface RuntimeStatus {
  /** The app id. */
  appId: string;
  /** `starting`, `running`, `stopping` or `stopped`. */
  state: "starting" | "running" | "stopping" | "stopped";
  /** N. */
  taskCount: number;
  /** The tasks on this instance. */
  tasks: TaskReport[];
}

/** One partition of an ingress as the control API shows it. */
export interface IngressPartitionOffsets {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** The ingress group's committed offset, or null. */
  committed: number | null;
  /** The high watermark. */
  logEnd: number;
  /** The last-stable offset. */
  lastStable: number;
  /** logEnd − committed, or null without a committed offset. */
  lag: number | null;
  /** The member of the app's group that owns the partition, or null. */
  owner: string | null;
  /** The task the partition belongs to. */
  task: number;
}

/** Where an offset reset moves an ingress. */
export type OffsetResetTarget =
  | { type: "earliest" }
  | { type: "latest" }
  | { type: "timestamp"; timestamp: number }
  | { type: "specific"; offsets: { topic: string; partition: number; offset: number }[] };

/** A control operation that cannot be done; `kind` maps to an HTTP status. */
export class ControlError extends Error {
  /**
   * @param kind `not-found` (404), `conflict` (409) or `bad-request` (400).
   * @param message What is wrong.
   */
  constructor(readonly kind: "not-found" | "conflict" | "bad-request", message: string) {
    super(message);
    this.name = "ControlError";
  }
}

/** Why the runtime could not start, or stopped. */
export class RuntimeError extends Error {
  /** @param message What happened. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

/** How a stop went. */
export interface StopReport {
  /** True when every task committed its work and the instance left the group in time. */
  clean: boolean;
  /** What was abandoned, one line per task, when not clean. */
  abandoned: string[];
}

/** Internal topics' creation configs: compaction works on closed segments, so they are kept small. */
const CHANGELOG_INITIAL_CONFIGS = { "segment.bytes": String(64 * 1024 * 1024), "min.cleanable.dirty.ratio": "0.2" };

/** A running instance of an app. */
export class Runtime {
  readonly plan: AppPlan;
  readonly #options: RuntimeOptions;
  readonly #settings: AppKafkaSettings;
  readonly #log: Logger;
  readonly #guarantee: ProcessingGuarantee;
  readonly #kafka: Kafka;
  readonly #admin: KafkaAdmin;
  readonly #tasks = new Map<number, Task>();
  readonly #egressProducers = new Map<string, EgressProducer>();
  #consumer: AppConsumer | undefined;
  #taskCount = 0;
  #state: RuntimeStatus["state"] = "starting";
  #ingressTopics: string[];
  #fatal: ((error: Error) => void) | undefined;
  #fireAndForget: Promise<void> = Promise.resolve();
  /** Failed egress writes outside transactions, per egress id. */
  readonly #egressErrors = new Map<string, number>();
  /** Tasks reading their changelog: where its records go, and how to give up when the task moves. */
  readonly #restoring = new Map<Task, { accept(handoff: RecordHandoff): void; abort(): void }>();
  /** Ingresses an operator paused (their topics are not fetched). */
  readonly #pausedIngresses = new Set<string>();
  /** When the instance started (epoch ms). */
  readonly startedAt = Date.now();
  /** Resolves with an error when the runtime cannot go on (the consumer crashed for good). */
  readonly failed: Promise<Error>;

  /**
   * Plans the app; `start()` connects.
   *
   * @throws {AppPlanError} when the module cannot run as one app.
   */
  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.plan = planApp(options.module, options.appId);
    this.#settings = appKafkaSettings(options.module);
    this.#log = (options.logger ?? new Logger()).with({ app: this.plan.appId });
    this.#guarantee = options.processingGuarantee ?? "exactly-once";
    this.#ingressTopics = [...this.plan.routes.keys()];
    this.#kafka = this.#client(this.plan.brokers, this.#settings.client);
    this.#admin = new KafkaAdmin(this.#kafka);
    this.failed = new Promise((resolve) => this.#fatal = resolve);
  }

  /** N, once started. */
  get taskCount(): number {
    return this.#taskCount;
  }

  /**
   * Connects, checks topics, creates the internal ones and joins the group.
   *
   * @throws {RuntimeError} naming what is missing or wrong.
   */
  async start(): Promise<void> {
    const { plan } = this;
    this.#checkFunctions();
    for (const warning of this.#settings.warnings) this.#log.warn(warning);
    try {
      await this.#admin.connect();
    } catch (error) {
      throw new RuntimeError(`cannot reach Kafka at ${plan.brokers.join(",")}: ${describeError(error)}`, {
        cause: error,
      });
    }
    const counts = new Map<string, number>();
    for (const [topic, route] of plan.routes) {
      const count = await this.#admin.partitionCount(topic);
      if (count === undefined) {
        throw new RuntimeError(
          `ingress ${route.ingress.id} (${route.ingress.at.file}:${route.ingress.at.line}) reads topic ${topic}, ` +
            `which does not exist on ${plan.brokers.join(",")}: create it first`,
        );
      }
      counts.set(topic, count);
    }
    for (const id of Object.keys(this.#options.unroutableRecordsByIngress ?? {})) {
      if (!this.#options.module.ingresses.some((ingress) => ingress.id === id)) {
        throw new RuntimeError(`--unroutable-records names ingress ${id}, which the module does not define`);
      }
    }
    for (
      const policy of [
        this.#options.unroutableRecords,
        ...Object.values(this.#options.unroutableRecordsByIngress ?? {}),
        this.#options.failedMessages,
      ]
    ) {
      if (policy?.type === "dead-letter" && await this.#admin.partitionCount(policy.topic) === undefined) {
        throw new RuntimeError(
          `the dead-letter topic ${policy.topic} does not exist on ${plan.brokers.join(",")}: create it first`,
        );
      }
    }
    // N is fixed at the first start: the mailbox's partition count records it.
    this.#taskCount = await this.#admin.partitionCount(plan.mailboxTopic) ?? Math.max(...counts.values());
    await this.#ensureInternalTopics();
    for (const egress of plan.egresses.values()) {
      if (egress.deliverySemantic.type === "exactly-once" && this.#guarantee === "exactly-once") continue;
      await this.#egressProducer(egress.id);
    }
    this.#consumer = new AppConsumer({
      kafka: this.#kafka,
      groupId: plan.appId,
      topics: [...this.#ingressTopics, plan.mailboxTopic, plan.changelogTopic],
      taskCount: this.#taskCount,
      sessionTimeoutMs: this.#options.sessionTimeoutMs,
      settings: this.#settings.consumer,
      onAssignment: (change) => this.#onAssignment(change),
      onRecords: (handoff) => this.#onRecords(handoff),
      onError: (error) => this.#onConsumerError(error),
    });
    this.#state = "running"; // before the first rebalance, which may come while start() runs
    await this.#consumer.start();
    this.#log.info(`started: ${this.#taskCount} tasks, processing guarantee ${this.#guarantee}`, {
      ingress: this.#ingressTopics.join(","),
    });
  }

  /** What the instance is doing. */
  status(): RuntimeStatus {
    return {
      appId: this.plan.appId,
      state: this.#state,
      taskCount: this.#taskCount,
      tasks: [...this.#tasks.values()].map((task) => task.report()).sort((a, b) => a.task - b.task),
    };
  }

  /** The task p if this instance runs it. */
  task(task: number): Task | undefined {
    return this.#tasks.get(task);
  }

  /** The processing guarantee. */
  get processingGuarantee(): ProcessingGuarantee {
    return this.#guarantee;
  }

  /** The module spec file. */
  get moduleFile(): string {
    return this.#options.module.file;
  }

  /** Joined the group, and every task of this instance is past its restore (an instance without tasks is ready). */
  isReady(): boolean {
    return this.#state === "running" && this.#consumer?.joined === true &&
      [...this.#tasks.values()].every((task) => task.status !== "restoring");
  }

  /** The binding of a function type. */
  functionSpec(typename: string): FunctionSpec | undefined {
    return this.#options.functions.functionSpec(typename);
  }

  /** Egresses with the records functions sent to them and the failed writes outside transactions. */
  egresses(): { id: string; delivery: string; address: string; records: number; errors: number }[] {
    const reports = [...this.#tasks.values()].map((task) => task.report().egressRecords);
    return [...this.plan.egresses.values()].map((egress) => ({
      id: egress.id,
      delivery: egress.deliverySemantic.type,
      address: egress.address,
      records: reports.reduce((sum, records) => sum + (records[egress.id] ?? 0), 0),
      errors: this.#egressErrors.get(egress.id) ?? 0,
    }));
  }

  /** The ingresses with whether an operator paused them. */
  ingresses(): { id: string; groupId: string; topics: string[]; state: "running" | "paused" }[] {
    return this.#options.module.ingresses.map((ingress) => ({
      id: ingress.id,
      groupId: ingress.consumerGroupId,
      topics: ingress.topics.map((topic) => topic.topic),
      state: this.#pausedIngresses.has(ingress.id) ? "paused" : "running",
    }));
  }

  /**
   * Stops fetching an ingress's topics on this instance, without leaving the group.
   *
   * @throws {ControlError} `not-found` for an unknown ingress.
   */
  pauseIngress(id: string): void {
    const topics = this.#ingressOf(id).topics.map((topic) => topic.topic);
    this.#pausedIngresses.add(id);
    for (const p of this.#tasks.keys()) this.#consumer?.pauseTask(p, topics);
    this.#log.info(`ingress ${id} paused`);
  }

  /**
   * Fetches an ingress's topics again.
   *
   * @throws {ControlError} `not-found` for an unknown ingress.
   */
  resumeIngress(id: string): void {
    const topics = this.#ingressOf(id).topics.map((topic) => topic.topic);
    this.#pausedIngresses.delete(id);
    for (const [p, task] of this.#tasks) if (task.status === "running") this.#consumer?.resumeTask(p, topics);
    this.#log.info(`ingress ${id} resumed`);
  }

  /**
   * Per partition of an ingress: committed offset (of the ingress's group), log-end and last-stable offsets,
   * lag = log-end − committed (as `kafka-consumer-groups` computes it) and the member that owns it.
   *
   * @throws {ControlError} `not-found` for an unknown ingress.
   */
  async ingressOffsets(id: string): Promise<IngressPartitionOffsets[]> {
    const ingress = this.#ingressOf(id);
    const owners = await this.#admin.groupOwners(this.plan.appId);
    const rows: IngressPartitionOffsets[] = [];
    for (const { topic } of ingress.topics) {
      const committed = await this.#admin.groupOffsets(ingress.consumerGroupId, topic);
      for (const offsets of await this.#admin.topicOffsets(topic)) {
        const offset = committed.get(offsets.partition) ?? -1;
        rows.push({
          topic,
          partition: offsets.partition,
          committed: offset >= 0 ? offset : null,
          logEnd: offsets.high,
          lastStable: offsets.lastStable,
          lag: offset >= 0 ? offsets.high - offset : null,
          owner: owners.get(`${topic}/${offsets.partition}`) ?? null,
          task: offsets.partition % this.#taskCount,
        });
      }
    }
    return rows;
  }

  /**
   * Moves a paused ingress's partitions owned by this instance to new offsets, committed with each task's next
   * commit (in its transaction under exactly-once). State is not rewound.
   *
   * @throws {ControlError} `not-found`, `conflict` (not paused, or a partition owned by another instance).
   */
  async resetIngressOffsets(
    id: string,
    target: OffsetResetTarget,
  ): Promise<{ topic: string; partition: number; offset: number }[]> {
    const ingress = this.#ingressOf(id);
    if (!this.#pausedIngresses.has(id)) {
      throw new ControlError("conflict", `ingress ${id} is running: pause it before resetting its offsets`);
    }
    const moves: { task: Task; offset: GroupOffset }[] = [];
    for (const { topic } of ingress.topics) {
      const offsets = await this.#admin.topicOffsets(topic);
      const dates = target.type === "timestamp"
        ? await this.#admin.offsetsForTimestamp(topic, target.timestamp)
        : undefined;
      for (const { partition, low, high } of offsets) {
        let offset: number | undefined;
        if (target.type === "earliest") offset = low;
        else if (target.type === "latest") offset = high;
        else if (target.type === "timestamp") {
          offset = (dates!.get(partition) ?? -1) >= 0 ? dates!.get(partition)! : high;
        } else offset = target.offsets.find((o) => o.topic === topic && o.partition === partition)?.offset;
        if (offset === undefined) continue;
        if (offset < low || offset > high) {
          throw new ControlError("bad-request", `offset ${offset} of ${topic}/${partition} is outside ${low}..${high}`);
        }
        const task = this.#tasks.get(partition % this.#taskCount);
        if (task === undefined || task.status !== "running") {
          throw new ControlError(
            "conflict",
            `${topic}/${partition} is not run by this instance: reset it where it runs`,
          );
        }
        moves.push({ task, offset: { groupId: ingress.consumerGroupId, topic, partition, offset } });
      }
    }
    for (const { task, offset } of moves) {
      task.resetOffsets([offset]);
      this.#consumer?.seek(offset.topic, offset.partition, offset.offset);
    }
    this.#log.info(`ingress ${id} offsets reset to ${target.type}`, { partitions: moves.length });
    return moves.map(({ offset }) => ({ topic: offset.topic, partition: offset.partition, offset: offset.offset }));
  }

  /**
   * Starts a stopped task over from its last commit (fence, restore, seek), e.g. after fixing what stopped it or
   * with its ingress paused to move its offsets past a bad record.
   *
   * @throws {ControlError} `not-found` when this instance does not run the task, `conflict` when it is not stopped.
   */
  restartTask(p: number): void {
    const task = this.#tasks.get(p);
    if (task === undefined) throw new ControlError("not-found", `this instance does not run task ${p}`);
    if (task.status !== "failed") throw new ControlError("conflict", `task ${p} is ${task.status}, not stopped`);
    this.#tasks.delete(p);
    this.#log.info("task restarted by an operator", { task: p });
    this.#startOver(task, 0);
  }

  #ingressOf(id: string) {
    const ingress = this.#options.module.ingresses.find((candidate) => candidate.id === id);
    if (ingress === undefined) throw new ControlError("not-found", `no ingress with id ${id}`);
    return ingress;
  }

  #activeIngressTopics(): string[] {
    return this.#options.module.ingresses.filter((ingress) => !this.#pausedIngresses.has(ingress.id))
      .flatMap((ingress) => ingress.topics.map((topic) => topic.topic));
  }

  /**
   * Stops fetching, lets every task finish and commit what it took, leaves the
   * group and disconnects; after `timeoutMs` it gives up and reports what it
   * abandoned.
   */
  async stop(timeoutMs = 30_000): Promise<StopReport> {
    if (this.#state === "stopped" || this.#state === "stopping") return { clean: true, abandoned: [] };
    this.#state = "stopping";
    const tasks = [...this.#tasks.values()];
    for (const task of tasks) {
      this.#consumer?.pauseTask(task.task);
      this.#restoring.get(task)?.abort();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), timeoutMs));
    const drained = await Promise.race([Promise.all(tasks.map((task) => task.drain())), timedOut]);
    clearTimeout(timer);
    const abandoned = drained === "timeout" ? tasks.map((task) => task.pendingWork()) : [];
    for (const task of tasks) await task.close();
    this.#tasks.clear();
    await this.#consumer?.stop().catch((error) => this.#log.warn(`leaving the group failed: ${describeError(error)}`));
    await this.#fireAndForget;
    for (const producer of this.#egressProducers.values()) await producer.disconnect().catch(() => {});
    await this.#admin.disconnect().catch(() => {});
    this.#state = "stopped";
    return { clean: abandoned.length === 0, abandoned };
  }

  #client(brokers: string[], settings: ClientSettings): Kafka {
    const log = this.#log.with({ component: "kafkajs" });
    try {
      return createKafka({
        brokers,
        settings,
        clientId: `eddy-${this.plan.appId}`,
        log: (level, message, namespace) => log[level](message, { namespace }),
      });
    } catch (error) {
      throw new RuntimeError(`cannot configure the Kafka client for ${brokers.join(",")}: ${describeError(error)}`);
    }
  }

  #checkFunctions(): void {
    for (const route of this.plan.routes.values()) {
      for (const target of route.targets) {
        if (this.#options.functions.functionSpec(target) !== undefined) continue;
        const at = `${route.ingress.at.file}:${route.ingress.at.line}`;
        throw new RuntimeError(
          `ingress ${route.ingress.id} (${at}) sends to ${target}, but no in-process function is bound for it ` +
            `(remote functions come with the HTTP endpoints)`,
        );
      }
    }
  }

  async #ensureInternalTopics(): Promise<void> {
    const { mailboxTopic, changelogTopic } = this.plan;
    try {
      for (
        const spec of [
          {
            topic: mailboxTopic,
            partitions: this.#taskCount,
            replicationFactor: this.#options.internalTopics?.replicationFactor,
            configs: { "cleanup.policy": "delete" },
            initialConfigs: { ...this.#options.internalTopics?.configs },
          },
          {
            topic: changelogTopic,
            partitions: this.#taskCount,
            replicationFactor: this.#options.internalTopics?.replicationFactor,
            configs: { "cleanup.policy": "compact" },
            initialConfigs: { ...CHANGELOG_INITIAL_CONFIGS, ...this.#options.internalTopics?.configs },
          },
        ]
      ) {
        if (await this.#admin.ensureTopic(spec)) {
          this.#log.info(`created internal topic ${spec.topic} with ${spec.partitions} partitions`);
        }
      }
    } catch (error) {
      if (error instanceof TopicMismatchError) {
        throw new RuntimeError(`refusing to start: ${error.message} (see \`eddy reset\` to start the app over)`);
      }
      throw error;
    }
  }

  /** The idempotent producer of an egress (by id), or of the app's own records under at-least-once (`""`). */
  async #egressProducer(egressId: string): Promise<EgressProducer> {
    let producer = this.#egressProducers.get(egressId);
    if (producer === undefined) {
      const egress = this.plan.egresses.get(egressId);
      const settings = this.#settings.egresses.get(egressId);
      const onAppCluster = egress === undefined ||
        brokerList(egress.address).join(",") === this.plan.brokers.join(",");
      const kafka = onAppCluster ? this.#kafka : this.#client(brokerList(egress.address), settings?.client ?? {});
      producer = new EgressProducer(kafka, settings?.producer);
      await producer.connect();
      this.#egressProducers.set(egressId, producer);
    }
    return producer;
  }

  #onAssignment(change: AssignmentChange): void {
    if (change.expelled) {
      this.#log.warn("rejoined the group after being expelled: every task starts over from its last commit");
    }
    for (const p of change.revoked) {
      const task = this.#tasks.get(p);
      this.#tasks.delete(p);
      if (task !== undefined) {
        this.#log.info("task revoked", { task: p });
        this.#restoring.get(task)?.abort();
        void task.close();
      }
    }
    for (const p of change.assigned) void this.#startTask(p);
  }

  #onRecords(handoff: RecordHandoff): void {
    const task = this.#tasks.get(handoff.task);
    if (task === undefined) return;
    if (handoff.topic === this.plan.changelogTopic) this.#restoring.get(task)?.accept(handoff);
    else task.accept(handoff);
  }

  #onConsumerError(error: unknown): void {
    this.#log.error(`consumer error: ${describeError(error)}`);
    // kafkajs restarts a crashed consumer when the error is retriable; anything else ends this instance.
    if (this.#state === "running" && (error as { restart?: boolean } | null)?.restart === false) {
      this.#fatal?.(new RuntimeError(`the consumer stopped: ${describeError(error)}`, { cause: error }));
    }
  }

  async #startTask(p: number, attempt = 1): Promise<void> {
    const log = this.#log.with({ task: p });
    const consumer = this.#consumer!;
    const committer = this.#guarantee === "exactly-once"
      ? new TaskProducer(this.#kafka, `${this.plan.appId}-task-${p}`, {
        transactionTimeoutMs: this.#transactionTimeoutMs(),
      })
      : new PlainCommitter(
        `${this.plan.appId}-task-${p}`,
        await this.#egressProducer(""),
        this.plan.appId,
        (offsets) => consumer.commitOffsets(offsets),
        this.#admin,
      );
    const task = new Task({
      task: p,
      taskCount: this.#taskCount,
      plan: this.plan,
      functions: (typename) => this.#options.functions.functionSpec(typename),
      committer,
      egress: {
        sendAndWait: (records) => this.#sendEgress(records),
        sendAndForget: (records) => {
          // Not awaited by any commit, but chained, so records keep their order.
          this.#fireAndForget = this.#fireAndForget.then(() => this.#sendEgress(records)).catch((error) =>
            log.warn(`a record for an egress with delivery none was not written: ${describeError(error)}`)
          );
        },
      },
      flow: {
        pauseIngress: () => consumer.pauseTask(p, this.#ingressTopics),
        resumeIngress: () => consumer.resumeTask(p, this.#activeIngressTopics()),
        pauseAll: () => consumer.pauseTask(p),
      },
      log,
      onStopped: (stopped, outcome) => this.#onTaskStopped(stopped, outcome),
      limits: {
        ...this.#options.limits,
        commitIntervalMs: this.#options.commitIntervalMs ?? DEFAULT_TASK_LIMITS.commitIntervalMs,
        transactionalEgress: this.#guarantee === "exactly-once",
        unroutableRecords: this.#options.unroutableRecords ?? DEFAULT_TASK_LIMITS.unroutableRecords,
        unroutableRecordsByIngress: this.#options.unroutableRecordsByIngress ?? {},
        failedMessages: this.#options.failedMessages ?? DEFAULT_TASK_LIMITS.failedMessages,
      },
    });
    this.#tasks.set(p, task);
    const current = () => this.#state === "running" && this.#tasks.get(p) === task && task.status === "restoring";
    try {
      await committer.init(); // fences the task's previous producer and aborts what it left open
      if (!current()) return;
      const positions = await this.#startPositions(p, log);
      if (!current()) return;
      const restored = await this.#restore(task, p);
      if (!current()) return;
      task.restoredRecords = restored;
      consumer.startTask(p, positions, [...this.#activeIngressTopics(), this.plan.mailboxTopic]);
      task.start(positions);
      log.info(`task started (${restored} changelog records restored)`, {
        addresses: task.state.addressCount,
        timers: task.state.timerCount,
      });
    } catch (error) {
      if (this.#tasks.get(p) !== task) return;
      this.#tasks.delete(p);
      if (this.#state !== "running" || (error instanceof CommitError && error.fenced)) {
        if (this.#state === "running") log.warn("another instance took this task over");
        await task.close();
        return;
      }
      const delay = Math.min(30_000, 500 * 2 ** (attempt - 1));
      log.error(`task start failed (attempt ${attempt}), retrying in ${delay} ms: ${describeError(error)}`);
      this.#startOver(task, delay, attempt + 1);
    }
  }

  #onTaskStopped(task: Task, outcome: "failed" | "commit-failed" | "fenced"): void {
    if (this.#tasks.get(task.task) !== task) return;
    const report = task.report();
    const p = task.task;
    if (outcome === "failed") {
      this.#log.error(`task stopped: ${report.failure?.reason}`, {
        task: p,
        ...report.failure?.origin,
        address: report.failure?.address,
      });
      return;
    }
    this.#tasks.delete(p);
    this.#consumer?.pauseTask(p);
    // Started over: a new producer, the committed offsets, the changelog, as at assignment. A fenced task
    // belongs to a newer producer: this instance is likely a zombie about to learn from the group that the task
    // moved; initialising its producer now would fence the task's real owner. It starts over only if the group
    // still gives it the task after two session timeouts.
    const delay = outcome === "fenced" ? 2 * (this.#options.sessionTimeoutMs ?? 6_000) : 0;
    if (outcome === "fenced") {
      this.#log.warn(`task fenced by a newer producer; waiting ${delay} ms for the group`, { task: p });
    }
    this.#startOver(task, delay);
  }

  /** Closes a task this instance no longer runs and, after `delayMs`, starts it again if the group still gives it here. */
  #startOver(task: Task, delayMs: number, attempt = 1): void {
    void task.close().then(() => new Promise((resolve) => setTimeout(resolve, delayMs))).then(() => {
      if (this.#state === "running" && this.#consumer?.tasks.includes(task.task) && !this.#tasks.has(task.task)) {
        return this.#startTask(task.task, attempt);
      }
    });
  }

  #transactionTimeoutMs(): number {
    const ceilings = [...this.plan.egresses.values()].flatMap((egress) =>
      egress.deliverySemantic.type === "exactly-once" ? [egress.deliverySemantic.transactionTimeoutMs] : []
    );
    return Math.min(this.#options.transactionTimeoutMs ?? 60_000, ...ceilings);
  }

  async #sendEgress(records: EgressRecord[]): Promise<void> {
    const byEgress = new Map<string, OutgoingRecord[]>();
    for (const { egress, record } of records) {
      const batch = byEgress.get(egress.id);
      if (batch === undefined) byEgress.set(egress.id, [record]);
      else batch.push(record);
    }
    try {
      await Promise.all([...byEgress].map(async ([id, batch]) => (await this.#egressProducer(id)).send(batch)));
    } catch (error) {
      for (const id of new Set(records.map(({ egress }) => egress.id))) {
        this.#egressErrors.set(id, (this.#egressErrors.get(id) ?? 0) + 1);
      }
      throw error;
    }
  }

  /** The committed offsets of the task's partitions, or where the startup position puts them. */
  async #startPositions(p: number, log: Logger): Promise<GroupOffset[]> {
    const consumer = this.#consumer!;
    const positions: GroupOffset[] = [];
    for (const [topic, route] of this.plan.routes) {
      const partitions = consumer.partitionsOfTask(p, topic);
      if (partitions.length === 0) continue;
      const committed = await this.#admin.groupOffsets(route.groupId, topic);
      const offsets = new Map((await this.#admin.topicOffsets(topic)).map((o) => [o.partition, o]));
      const position = route.ingress.startupPosition;
      const dates = position.type === "date"
        ? await this.#admin.offsetsForTimestamp(topic, position.epochMillis)
        : undefined;
      for (const partition of partitions) {
        const facts = offsets.get(partition)!;
        const start = startOffset(position, route.ingress.autoOffsetResetPosition, topic, partition, {
          committed: committed.get(partition) ?? -1,
          low: facts.low,
          high: facts.high,
          offsetForDate: dates?.get(partition),
        });
        if (start.reason !== "committed") {
          log.info(`starting at ${start.reason}`, { topic, partition, offset: start.offset });
        }
        positions.push({ groupId: route.groupId, topic, partition, offset: start.offset });
      }
    }
    const mailbox = this.plan.mailboxTopic;
    const committed = (await this.#admin.groupOffsets(this.plan.appId, mailbox)).get(p) ?? -1;
    const low = (await this.#admin.stableOffsets(mailbox)).find((o) => o.partition === p)?.low ?? 0;
    positions.push({ groupId: this.plan.appId, topic: mailbox, partition: p, offset: Math.max(committed, low) });
    return positions;
  }

  /** Reads the task's changelog partition up to its last-stable offset through the app consumer. */
  async #restore(task: Task, p: number): Promise<number> {
    const topic = this.plan.changelogTopic;
    const offsets = (await this.#admin.stableOffsets(topic)).find((o) => o.partition === p);
    if (offsets === undefined || offsets.lastStable <= offsets.low) return 0;
    const consumer = this.#consumer!;
    let restored = 0;
    task.restoreProgress = { position: offsets.low, until: offsets.lastStable };
    try {
      await new Promise<void>((resolve, reject) => {
        this.#restoring.set(task, {
          accept: (handoff) => {
            try {
              task.restore(topic, handoff.records);
              restored += handoff.records.length;
              task.restoreProgress = { position: handoff.nextOffset, until: offsets.lastStable };
              if (handoff.nextOffset >= offsets.lastStable) resolve();
            } catch (error) {
              reject(error);
            }
          },
          abort: () => resolve(), // the caller sees the task is no longer current
        });
        consumer.seek(topic, p, offsets.low);
        consumer.resumeTask(p, [topic]);
      });
    } finally {
      this.#restoring.delete(task);
      consumer.pauseTask(p, [topic]);
    }
    return restored;
  }
}

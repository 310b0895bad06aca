/**
 * The runtime of one instance of an app: it checks the cluster, creates the internal topics, joins the app's group
 * with one consumer and hands what the group assigns to its task manager; it answers for the instance (status,
 * readiness, lag) and carries out operators' operations (pause, resume, offset resets, task restarts). Kafka comes
 * in through runtime/ports.ts; the pieces: task_manager.ts (tasks and their starts), changelog_restorer.ts,
 * internal_topics.ts, egress_sinks.ts, task/ (one task).
 *
 * @module
 */

import type { CallableFunction } from "./task/callable.ts";
import { FunctionBindings } from "./function_bindings.ts";
import type { GroupMember, MemberInfo } from "./group_member.ts";
import {
  type AppFingerprint,
  appFingerprint,
  blocking,
  classifyChanges,
  formatChanges,
  incompatible,
  versionName,
} from "./module_version.ts";
import { type AppPlan, planApp } from "./app_plan.ts";
import { ChangelogRestorer } from "./changelog_restorer.ts";
import { EgressSinks } from "./egress_sinks.ts";
import { HistorySampler, type RecentHistory } from "./history_sampler.ts";
import { OperationError, RuntimeError } from "./errors.ts";
import { offsetsOfReset, readIngressOffsets } from "./ingress_offsets.ts";
import { ensureInternalTopics } from "./internal_topics.ts";
import { describeError, Logger } from "./logger.ts";
import {
  DEFAULT_HISTORY_INTERVAL_MS,
  DEFAULT_PROCESSING_GUARANTEE,
  DEFAULT_SESSION_TIMEOUT_MS,
  DEFAULT_TRANSACTION_TIMEOUT_MS,
  type ProcessingGuarantee,
  type RuntimeOptions,
} from "./options.ts";
import type { AppConsumerPort, AppKafka } from "./ports.ts";
import type { IngressPartitionOffsets, OffsetResetTarget, RuntimeStatus, StopReport, TaskView } from "./status.ts";
import { DEFAULT_TASK_LIMITS, type TaskLimits } from "./task/types.ts";
import { TaskManager } from "./task_manager.ts";
import { MemoryStateStore } from "../state/memory_store.ts";
import { StateDirectory } from "../state/sqlite_store.ts";

export type { AppOptions, FunctionSource, ProcessingGuarantee, RuntimeOptions } from "./options.ts";
export type { IngressPartitionOffsets, OffsetResetTarget, RuntimeStatus, StopReport, TaskView } from "./status.ts";
export type { RecentHistory } from "./history_sampler.ts";

/** A running instance of an app. */
export class Runtime {
  /** The app's plan: app id, brokers, internal topics, routes and egresses. */
  readonly plan: AppPlan;
  readonly #options: RuntimeOptions;
  readonly #log: Logger;
  readonly #guarantee: ProcessingGuarantee;
  readonly #kafka: AppKafka;
  /** The app consumer's session timeout: the ingresses' `session.timeout.ms`, else the option, else 6 s. */
  readonly #sessionTimeoutMs: number;
  #consumer: AppConsumerPort | undefined;
  #restorer: ChangelogRestorer | undefined;
  #stateDirectory: StateDirectory | undefined;
  #sinks: EgressSinks | undefined;
  #manager: TaskManager | undefined;
  #taskCount = 0;
  #state: RuntimeStatus["state"] = "starting";
  #ingressTopics: string[];
  #fatal: ((error: Error) => void) | undefined;
  /** Ingresses an operator paused (their topics are not fetched). */
  readonly #pausedIngresses = new Set<string>();
  /** Functions by type, in-process or remote, as first looked up. */
  readonly #bindings: FunctionBindings;
  /** When the instance started (epoch ms). */
  readonly startedAt: number = Date.now();
  /** This instance's id in the app's group (its members show it). */
  readonly instanceId: string = crypto.randomUUID();
  /** Where this instance's control API answers, told to the other members (set before `start()`). */
  controlUrl: string | undefined;
  #fingerprint: AppFingerprint | undefined;
  /** Samples the recent history (from start() to stop()). */
  readonly #history: HistorySampler;
  /** Resolves with an error when the runtime cannot go on (the consumer crashed for good). */
  readonly failed: Promise<Error>;

  /**
   * Plans the app; `start()` connects.
   *
   * @throws {AppPlanError} when the module cannot run as one app.
   */
  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.#bindings = new FunctionBindings(options.functions, options.remote);
    this.plan = planApp(options.module, options.appId);
    this.#log = (options.logger ?? new Logger()).with({ app: this.plan.appId });
    this.#guarantee = options.processingGuarantee ?? DEFAULT_PROCESSING_GUARANTEE;
    this.#ingressTopics = [...this.plan.routes.keys()];
    this.#kafka = options.kafka(options.module, this.plan, this.#log);
    this.#sessionTimeoutMs = this.#kafka.sessionTimeoutMs ?? options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.failed = new Promise((resolve) => this.#fatal = resolve);
    this.#history = new HistorySampler({
      ingresses: options.module.ingresses.map((ingress) => ({
        id: ingress.id,
        topics: ingress.topics.map((topic) => topic.topic),
      })),
      egresses: [...this.plan.egresses.keys()],
      tasks: () => this.#tasks.all(),
      ingressLag: (id) => this.#ingressLag(id),
    }, { intervalMs: options.historyIntervalMs ?? DEFAULT_HISTORY_INTERVAL_MS });
  }

  /** N, once started. */
  get taskCount(): number {
    return this.#taskCount;
  }

  /** The tasks (none before start). */
  get #tasks(): Pick<TaskManager, "all" | "get" | "restart"> {
    return this.#manager ?? { all: () => [], get: () => undefined, restart: () => false };
  }

  /**
   * Connects, checks topics, creates the internal ones and joins the group.
   *
   * @throws {RuntimeError} naming what is missing or wrong.
   */
  async start(): Promise<void> {
    const { plan } = this;
    const admin = this.#kafka.admin;
    this.#bindings.checkTargets(this.plan);
    for (const warning of this.#kafka.warnings) this.#log.warn(warning);
    try {
      await admin.connect();
    } catch (error) {
      throw new RuntimeError(`cannot reach Kafka at ${plan.brokers.join(",")}: ${describeError(error)}`, {
        cause: error,
      });
    }
    const counts = new Map<string, number>();
    for (const [topic, route] of plan.routes) {
      const count = await admin.partitionCount(topic);
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
      if (policy?.type === "dead-letter" && await admin.partitionCount(policy.topic) === undefined) {
        throw new RuntimeError(
          `the dead-letter topic ${policy.topic} does not exist on ${plan.brokers.join(",")}: create it first`,
        );
      }
    }
    await this.#checkInternalTopicsKept();
    // N is fixed at the first start: the mailbox's partition count records it.
    this.#taskCount = await admin.partitionCount(plan.mailboxTopic) ?? Math.max(...counts.values());
    await ensureInternalTopics(admin, plan, this.#taskCount, this.#options.internalTopics ?? {}, this.#log);
    this.#fingerprint = this.#versionOf(this.#taskCount);
    await this.#checkVersion();
    const stateDir = this.#options.stateDir;
    if (stateDir !== undefined) {
      try {
        this.#stateDirectory = StateDirectory.open(stateDir, plan.changelogTopic);
      } catch (error) {
        throw new RuntimeError((error as Error).message, { cause: error }); // in use, or not writable: named
      }
    }
    const sinks = new EgressSinks(this.#kafka);
    this.#sinks = sinks;
    for (const egress of plan.egresses.values()) {
      if (egress.deliverySemantic.type === "exactly-once" && this.#guarantee === "exactly-once") continue;
      await sinks.writer(egress.id);
    }
    const consumer = this.#kafka.consumer({
      groupId: plan.appId,
      topics: [...this.#ingressTopics, plan.mailboxTopic, plan.changelogTopic],
      taskCount: this.#taskCount,
      sessionTimeoutMs: this.#sessionTimeoutMs,
      member: () => this.member(),
      onAssignment: (change) => {
        this.#manager?.onAssignment(change);
        if (this.#consumer?.tasks.length === 0) void this.#checkRefused();
      },
      onRecords: (handoff) => this.#manager?.onRecords(handoff),
      onError: (error) => this.#onConsumerError(error),
    });
    this.#consumer = consumer;
    this.#restorer = new ChangelogRestorer(admin, consumer, plan.changelogTopic);
    this.#manager = new TaskManager({
      plan,
      taskCount: this.#taskCount,
      kafka: this.#kafka,
      consumer,
      restorer: this.#restorer,
      sinks,
      functions: (typename) => this.functionSpec(typename),
      exactlyOnce: this.#guarantee === "exactly-once",
      transactionTimeoutMs: this.#transactionTimeoutMs(),
      limits: this.#taskLimits(),
      sessionTimeoutMs: this.#sessionTimeoutMs,
      activeIngressTopics: () => this.#activeIngressTopics(),
      running: () => this.#state === "running",
      log: this.#log,
      openStore: (p, log) =>
        this.#stateDirectory?.openTask(p, (message) => log.warn(message)) ?? new MemoryStateStore(),
      onFatal: (error) => this.#fatal?.(error),
    });
    this.#state = "running"; // before the first rebalance, which may come while start() runs
    await consumer.start();
    this.#history.start();
    this.#log.info(`started: ${this.#taskCount} tasks, processing guarantee ${this.#guarantee}`, {
      ingress: this.#ingressTopics.join(","),
    });
  }

  /**
   * Refuses to create one internal topic while the other exists and shows that the app ran (the app committed mailbox
   * offsets, or the existing topic holds records): the missing one was deleted — an empty changelog would silently
   * start every address over, an empty mailbox lose messages in flight. Both missing is a first start (or one after
   * `eddy reset`); one missing with no sign of a run is a first start of instances starting together (one has created
   * the mailbox, not yet the changelog) or of one that stopped between the two.
   *
   * @throws {RuntimeError} naming the missing topic.
   */
  async #checkInternalTopicsKept(): Promise<void> {
    const { plan } = this;
    const admin = this.#kafka.admin;
    const changelog = await admin.partitionCount(plan.changelogTopic) !== undefined;
    const mailbox = await admin.partitionCount(plan.mailboxTopic) !== undefined;
    if (changelog === mailbox) return;
    const [missing, what, kept] = changelog
      ? [plan.mailboxTopic, "the mailbox", plan.changelogTopic]
      : [plan.changelogTopic, "the changelog", plan.mailboxTopic];
    // One that is not Eddy's (another cleanup policy) is refused by ensureInternalTopics, naming the difference.
    const policy = await admin.topicConfig(kept, "cleanup.policy").catch(() => undefined);
    if (policy !== (changelog ? "compact" : "delete")) return;
    const records = (await admin.stableOffsets(kept)).some(({ lastStable }) => lastStable > 0);
    const committed = !changelog && [...(await admin.groupOffsets(plan.appId, kept)).values()].some((o) => o >= 0);
    if (!records && !committed) return;
    throw new RuntimeError(
      `refusing to start: ${what} ${missing} does not exist, but ${kept} does and ` +
        `${committed ? `the app's group ${plan.appId} has committed offsets on it` : "holds records"} — the app has ` +
        `run and ${what} was ` +
        `deleted; creating it empty would lose ${
          changelog ? "the messages between functions in flight" : "the app's state"
        }` +
        " without a word. Restore the topic, or start the app over with `eddy reset`",
    );
  }

  /** Who this instance is in the app's group, and which app it runs. */
  member(): MemberInfo {
    return {
      instanceId: this.instanceId,
      ...(this.controlUrl === undefined ? {} : { controlUrl: this.controlUrl }),
      fingerprint: this.#fingerprint ?? this.#versionOf(this.#taskCount),
    };
  }

  /** The module version this instance runs. */
  get version(): AppFingerprint {
    return this.#fingerprint ?? this.#versionOf(this.#taskCount);
  }

  #versionOf(taskCount: number): AppFingerprint {
    return appFingerprint(this.plan, this.#options.module, taskCount, {
      functionTypes: this.#options.functions?.typenames,
      label: this.#options.versionLabel,
    });
  }

  /**
   * Before joining the group: refuses to start when a member runs a version this one cannot roll from (a change that
   * needs a full stop or a reset), naming each difference — before any task moves.
   *
   * @throws {RuntimeError} listing the differences and their classes.
   */
  async #checkVersion(): Promise<void> {
    let members: GroupMember[] = [];
    try {
      // A group in a rebalance describes its members without their metadata: wait for it to settle (a few seconds).
      for (let attempt = 0; attempt < 10; attempt++) {
        members = await this.#kafka.admin.groupView(this.plan.appId, this.#taskCount);
        if (members.every((member) => member.info !== undefined)) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } catch (error) {
      // The group's leader checks again when it assigns: a describe that fails only makes this check late.
      this.#log.warn(`could not describe the app's group to compare versions: ${describeError(error)}`);
      return;
    }
    const mine = this.version;
    for (const member of members) {
      if (member.info === undefined) continue; // still rebalancing, or not an Eddy: the group's leader checks it
      const theirs = member.info.fingerprint;
      const who = `member ${member.info.instanceId} (${member.client})`;
      if (theirs === undefined) {
        throw new RuntimeError(
          `refusing to start: ${who} of the app's group ${this.plan.appId} does not say which module version it ` +
            "runs (an Eddy without module versions): stop the app, then start this version",
        );
      }
      const changes = blocking(classifyChanges(theirs, mine));
      if (changes.length === 0) continue;
      throw new RuntimeError(
        `refusing to start: the app's group ${this.plan.appId} runs version ${versionName(theirs)} (${who}), and ` +
          `this version ${versionName(mine)} cannot roll from it:\n${formatChanges(changes)}\n` +
          "(eddy validate --against <the running module.yaml> lists every difference)",
      );
    }
  }

  /** The members of the app's group, with the tasks each owns (as of the group's current generation). */
  async group(): Promise<GroupMember[]> {
    if (this.#state === "starting" || this.#taskCount === 0) return [];
    return await this.#kafka.admin.groupView(this.plan.appId, this.#taskCount);
  }

  /**
   * After a rebalance that gave this instance no task: if a member that owns tasks runs a version that cannot share
   * the group with this one, the group's leader refused this instance (task_assignor.ts) and it would idle: it stops,
   * saying what differs. A member of an older version of a roll waits (it owns tasks again if the newer ones leave).
   */
  async #checkRefused(): Promise<void> {
    try {
      const members = await this.group();
      const mine = this.version;
      for (const member of members) {
        if (member.tasks.length === 0 || member.info?.instanceId === this.instanceId) continue;
        const theirs = member.info?.fingerprint;
        if (theirs !== undefined && !incompatible(theirs, mine)) {
          if (theirs.hash !== mine.hash) {
            this.#log.info(
              `a roll is in progress: the tasks go to version ${versionName(theirs)}, this instance runs ` +
                `${versionName(mine)} and waits without tasks`,
            );
            return;
          }
          continue;
        }
        const changes = theirs === undefined ? [] : blocking(classifyChanges(theirs, mine));
        this.#fatal?.(
          new RuntimeError(
            `the app's group runs a version that cannot share the group with this one (member ` +
              `${member.info?.instanceId ?? member.memberId} at ${member.client}), so this instance gets no task: ` +
              (theirs === undefined
                ? "it does not say which module version it runs"
                : changes.map((change) => `${change.change} (${change.class})`).join("; ")),
          ),
        );
        return;
      }
    } catch (error) {
      this.#log.warn(`could not describe the app's group: ${describeError(error)}`);
    }
  }

  /** What the instance is doing. */
  status(): RuntimeStatus {
    return {
      appId: this.plan.appId,
      state: this.#state,
      taskCount: this.#taskCount,
      tasks: this.#tasks.all().map((task) => task.report()),
    };
  }

  /** The last 15 minutes of records in and out per second, lag and commit time, sampled every few seconds. */
  history(): RecentHistory {
    return this.#history.read();
  }

  /** The lag of an ingress over all its partitions, as its offsets show it (null: no partition has a commit). */
  async #ingressLag(id: string): Promise<number | null> {
    const rows = await this.ingressOffsets(id);
    const known = rows.filter((row) => row.lag !== null);
    return known.length === 0 ? null : known.reduce((sum, row) => sum + row.lag!, 0);
  }

  /** The task p if this instance runs it. */
  task(task: number): TaskView | undefined {
    return this.#manager?.get(task);
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
      this.#tasks.all().every((task) => task.status !== "restoring");
  }

  /** The binding of a function type. */
  functionSpec(typename: string): CallableFunction | undefined {
    return this.#bindings.resolve(typename);
  }

  /** The remote functions called so far, with their endpoint URL and calls. */
  remoteFunctions(): { typename: string; url: string; calls: number; failures: number; seconds: number }[] {
    return this.#bindings.resolved().flatMap((callable) =>
      callable.remote === undefined
        ? []
        : [{ typename: callable.typename, url: callable.remote.url, ...callable.remote.stats }]
    ).sort((a, b) => a.typename.localeCompare(b.typename));
  }

  /** Egresses with the records functions sent to them and the failed writes outside transactions. */
  egresses(): { id: string; delivery: string; address: string; records: number; errors: number }[] {
    const reports = this.#tasks.all().map((task) => task.report().egressRecords);
    return [...this.plan.egresses.values()].map((egress) => ({
      id: egress.id,
      delivery: egress.deliverySemantic.type,
      address: egress.address,
      records: reports.reduce((sum, records) => sum + (records[egress.id] ?? 0), 0),
      errors: this.#sinks?.errors(egress.id) ?? 0,
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
   * @throws {OperationError} `not-found` for an unknown ingress.
   */
  pauseIngress(id: string): void {
    const topics = this.#ingressOf(id).topics.map((topic) => topic.topic);
    this.#pausedIngresses.add(id);
    for (const task of this.#tasks.all()) this.#consumer?.pauseTask(task.task, topics);
    this.#log.info(`ingress ${id} paused`);
  }

  /**
   * Fetches an ingress's topics again.
   *
   * @throws {OperationError} `not-found` for an unknown ingress.
   */
  resumeIngress(id: string): void {
    const topics = this.#ingressOf(id).topics.map((topic) => topic.topic);
    this.#pausedIngresses.delete(id);
    for (const task of this.#tasks.all()) if (task.status === "running") this.#consumer?.resumeTask(task.task, topics);
    this.#log.info(`ingress ${id} resumed`);
  }

  /**
   * Per partition of an ingress: committed offset (of the ingress's group), log-end and last-stable offsets,
   * lag = log-end − committed (as `kafka-consumer-groups` computes it) and the member that owns it.
   *
   * @throws {OperationError} `not-found` for an unknown ingress.
   */
  ingressOffsets(id: string): Promise<IngressPartitionOffsets[]> {
    return readIngressOffsets(this.#kafka.admin, this.plan.appId, this.#ingressOf(id), this.#taskCount);
  }

  /**
   * Moves a paused ingress's partitions owned by this instance to new offsets, committed with each task's next
   * commit (in its transaction under exactly-once). State is not rewound.
   *
   * @throws {OperationError} `not-found`, `conflict` (not paused, or a partition owned by another instance).
   */
  async resetIngressOffsets(
    id: string,
    target: OffsetResetTarget,
  ): Promise<{ topic: string; partition: number; offset: number }[]> {
    const ingress = this.#ingressOf(id);
    if (!this.#pausedIngresses.has(id)) {
      throw new OperationError("conflict", `ingress ${id} is running: pause it before resetting its offsets`);
    }
    const moves = await offsetsOfReset(this.#kafka.admin, ingress, target);
    const tasks = moves.map((offset) => {
      const task = this.#tasks.get(offset.partition % this.#taskCount);
      if (task === undefined || task.status !== "running") {
        throw new OperationError(
          "conflict",
          `${offset.topic}/${offset.partition} is not run by this instance: reset it where it runs`,
        );
      }
      return task;
    });
    moves.forEach((offset, i) => {
      tasks[i].resetOffsets([offset]);
      this.#consumer?.seek(offset.topic, offset.partition, offset.offset);
    });
    this.#log.info(`ingress ${id} offsets reset to ${target.type}`, { partitions: moves.length });
    return moves.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
  }

  /**
   * Starts a stopped task over from its last commit (fence, restore, seek), e.g. after fixing what stopped it or
   * with its ingress paused to move its offsets past a bad record.
   *
   * @throws {OperationError} `not-found` when this instance does not run the task, `conflict` when it is not stopped.
   */
  restartTask(p: number): void {
    const task = this.#tasks.get(p);
    if (task === undefined) throw new OperationError("not-found", `this instance does not run task ${p}`);
    if (task.status !== "failed") throw new OperationError("conflict", `task ${p} is ${task.status}, not stopped`);
    this.#log.info("task restarted by an operator", { task: p });
    this.#tasks.restart(p);
  }

  #ingressOf(id: string) {
    const ingress = this.#options.module.ingresses.find((candidate) => candidate.id === id);
    if (ingress === undefined) throw new OperationError("not-found", `no ingress with id ${id}`);
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
    this.#history.stop();
    const tasks = this.#tasks.all();
    for (const task of tasks) {
      this.#consumer?.pauseTask(task.task);
      this.#restorer?.abort(task);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), timeoutMs));
    const drained = await Promise.race([Promise.all(tasks.map((task) => task.drain())), timedOut]);
    clearTimeout(timer);
    const abandoned = drained === "timeout" ? tasks.map((task) => task.pendingWork()) : [];
    for (const task of tasks) await task.close();
    this.#manager?.clear();
    await this.#consumer?.stop().catch((error) => this.#log.warn(`leaving the group failed: ${describeError(error)}`));
    await this.#sinks?.close();
    await this.#kafka.admin.disconnect().catch(() => {});
    this.#stateDirectory?.close();
    this.#state = "stopped";
    return { clean: abandoned.length === 0, abandoned };
  }

  #taskLimits(): TaskLimits {
    return {
      ...DEFAULT_TASK_LIMITS,
      ...this.#options.limits,
      commitIntervalMs: this.#options.commitIntervalMs ?? DEFAULT_TASK_LIMITS.commitIntervalMs,
      traceEvery: this.#options.traceEvery ?? DEFAULT_TASK_LIMITS.traceEvery,
      transactionalEgress: this.#guarantee === "exactly-once",
      unroutableRecords: this.#options.unroutableRecords ?? DEFAULT_TASK_LIMITS.unroutableRecords,
      unroutableRecordsByIngress: this.#options.unroutableRecordsByIngress ?? {},
      failedMessages: this.#options.failedMessages ?? DEFAULT_TASK_LIMITS.failedMessages,
    };
  }

  #onConsumerError(error: unknown): void {
    this.#log.error(`consumer error: ${describeError(error)}`);
    // kafkajs restarts a crashed consumer when the error is retriable; anything else ends this instance.
    if (this.#state === "running" && (error as { restart?: boolean } | null)?.restart === false) {
      this.#fatal?.(new RuntimeError(`the consumer stopped: ${describeError(error)}`, { cause: error }));
    }
  }

  #transactionTimeoutMs(): number {
    const ceilings = [...this.plan.egresses.values()].flatMap((egress) =>
      egress.deliverySemantic.type === "exactly-once" ? [egress.deliverySemantic.transactionTimeoutMs] : []
    );
    return Math.min(this.#options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS, ...ceilings);
  }
}

/**
 * The tasks of this instance: what a rebalance gives and takes, and the assignment sequence of every start — fence
 * (the task's producer), read the committed offsets, restore the changelog, seek, process. Also the ways a task
 * starts over: after a failed start (backoff), a failed commit (at once), a fenced commit (after two session
 * timeouts, in case this instance is a zombie about to lose the task) and an operator's restart. A failure no start
 * over mends (a topic deleted or recreated under the app, a transaction timeout the broker refuses) stops the
 * instance instead (`onFatal`), naming it.
 *
 * @module
 */

import type { CallableFunction } from "./task/callable.ts";
import type { AppPlan } from "./app_plan.ts";
import { AtLeastOnceCommitter } from "./at_least_once_committer.ts";
import { type ChangelogRestorer, CorruptChangelogError } from "./changelog_restorer.ts";
import type { EgressSinks } from "./egress_sinks.ts";
import { describeError, type Logger } from "./logger.ts";
import {
  type AppConsumerPort,
  type AppKafka,
  type AssignmentChange,
  CommitError,
  type GroupOffset,
  type RecordHandoff,
  type TaskCommitter,
} from "./ports.ts";
import { RuntimeError } from "./errors.ts";
import { startOffset } from "./start_offsets.ts";
import { Task } from "./task/task.ts";
import type { TaskLimits } from "./task/types.ts";
import type { StateStore } from "../state/state_store.ts";
import { MemoryStateStore } from "../state/memory_store.ts";
import { StateStoreWriteError } from "../state/sqlite_store.ts";

/** What the task manager needs from its runtime. */
export interface TaskManagerOptions {
  /** The app. */
  plan: AppPlan;
  /** N. */
  taskCount: number;
  /** The Kafka side (task producers, admin). */
  kafka: AppKafka;
  /** The app consumer. */
  consumer: AppConsumerPort;
  /** Changelog reads. */
  restorer: ChangelogRestorer;
  /** Egress records outside transactions. */
  sinks: EgressSinks;
  /** The function of a type (in-process or remote). */
  functions(typename: string): CallableFunction | undefined;
  /** Under exactly-once, one transaction per commit; otherwise records then offsets. */
  exactlyOnce: boolean;
  /** The transaction timeout of task producers. */
  transactionTimeoutMs: number;
  /** Task limits (the commit interval and policies included). */
  limits: TaskLimits;
  /** The app consumer's session timeout (a fenced task waits two of them). */
  sessionTimeoutMs: number;
  /** The ingress topics whose ingress is not paused by an operator. */
  activeIngressTopics(): string[];
  /** Whether the runtime still runs (tasks are started only then). */
  running(): boolean;
  /** The runtime's log. */
  log: Logger;
  /** Opens task p's state store (in memory, or the local store of `--state-dir`). */
  openStore(p: number, log: Logger): StateStore;
  /** Told of a failure that starting the task over cannot mend: the instance should stop with it. */
  onFatal?(error: RuntimeError): void;
}

/** The protocol error types of an error and of the errors it wraps (kafkajs' `type`, `cause`, `originalError`). */
function errorTypes(error: unknown, depth = 0): string {
  if (error === null || typeof error !== "object" || depth > 5) return "";
  const e = error as { type?: unknown; cause?: unknown; originalError?: unknown };
  return [String(e.type ?? ""), errorTypes(e.cause, depth + 1), errorTypes(e.originalError, depth + 1)].join(" ");
}

/** A committer's reason to stop the instance, when it has one (the task producer's `stopReason`). */
function stopReasonOf(committer: TaskCommitter | undefined): RuntimeError | undefined {
  const reason = (committer as { stopReason?: unknown } | undefined)?.stopReason;
  return reason instanceof RuntimeError ? reason : undefined;
}

/** The tasks of this instance. */
export class TaskManager {
  readonly #options: TaskManagerOptions;
  readonly #tasks = new Map<number, Task>();
  readonly #committers = new WeakMap<Task, TaskCommitter>();
  /** Consecutive stops of a task at an endpoint that did not answer (the restart backoff grows with them). */
  readonly #transientStops = new Map<number, number>();
  /** Pending restarts of those tasks (cleared when the instance stops). */
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  /** @param options What it needs. */
  constructor(options: TaskManagerOptions) {
    this.#options = options;
  }

  /** The task p, if this instance runs it. */
  get(p: number): Task | undefined {
    return this.#tasks.get(p);
  }

  /** Every task of this instance, by number. */
  all(): Task[] {
    return [...this.#tasks.values()].sort((a, b) => a.task - b.task);
  }

  /** Forgets every task (the runtime stopped them). */
  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#tasks.clear();
  }

  /** A rebalance: revoked tasks close, assigned ones start. */
  onAssignment(change: AssignmentChange): void {
    const { log, restorer } = this.#options;
    if (change.expelled) {
      log.warn("rejoined the group after being expelled: every task starts over from its last commit");
    }
    for (const p of change.revoked) {
      const task = this.#tasks.get(p);
      this.#tasks.delete(p);
      if (task !== undefined) {
        log.info("task revoked", { task: p });
        restorer.abort(task);
        void task.close();
      }
    }
    for (const p of change.assigned) void this.#startTask(p);
  }

  /** Fetched records: the changelog to a restoring task, the rest to its task. */
  onRecords(handoff: RecordHandoff): void {
    const task = this.#tasks.get(handoff.task);
    if (task === undefined) return;
    if (handoff.topic === this.#options.plan.changelogTopic) this.#options.restorer.accept(task, handoff);
    else task.accept(handoff);
  }

  /**
   * Starts a stopped task over from its last commit (fence, restore, seek).
   *
   * @returns false when the task is not stopped.
   */
  restart(p: number): boolean {
    const task = this.#tasks.get(p);
    if (task === undefined || task.status !== "failed") return false;
    this.#tasks.delete(p);
    this.#startOver(task, 0);
    return true;
  }

  async #startTask(p: number, attempt = 1): Promise<void> {
    const { consumer, plan, log: runtimeLog } = this.#options;
    const log = runtimeLog.with({ task: p });
    const committer = await this.#committer(p);
    // A local store that cannot be opened stops the task (below) before anything is read into it.
    let storeError: unknown;
    let store: StateStore;
    try {
      store = this.#options.openStore(p, log);
    } catch (error) {
      storeError = error;
      store = new MemoryStateStore();
    }
    const task = new Task({
      task: p,
      taskCount: this.#options.taskCount,
      plan,
      functions: this.#options.functions,
      committer,
      egress: {
        sendAndWait: (records) => this.#options.sinks.sendAndWait(records),
        sendAndForget: (records) => this.#options.sinks.sendAndForget(records, log),
      },
      flow: {
        pauseIngress: () => consumer.pauseTask(p, [...plan.routes.keys()]),
        resumeIngress: () => consumer.resumeTask(p, this.#options.activeIngressTopics()),
        pauseAll: () => consumer.pauseTask(p),
      },
      log,
      onStopped: (outcome) => this.#onTaskStopped(task, outcome),
      limits: this.#options.limits,
      store,
    });
    this.#tasks.set(p, task);
    this.#committers.set(task, committer);
    if (storeError !== undefined) {
      this.#stopAtStore(task, storeError, log);
      return;
    }
    const current = () => this.#options.running() && this.#tasks.get(p) === task && task.status === "restoring";
    try {
      await committer.init(); // fences the task's previous producer and aborts what it left open
      if (!current()) return;
      const positions = await this.#startPositions(p, log);
      if (!current()) return;
      const restoreStarted = performance.now();
      const { restored, from, full, reason } = await this.#options.restorer.restore(task, p, log);
      const restoreMs = Math.round(performance.now() - restoreStarted);
      if (!current()) return;
      task.restoredRecords = restored;
      consumer.startTask(p, positions, [...this.#options.activeIngressTopics(), plan.mailboxTopic]);
      task.start(positions);
      const how = task.state.store.kind === "memory"
        ? "from the start: state in memory"
        : full
        ? `from the start, ${reason}`
        : `from offset ${from}, ${reason}`;
      log.info(`task started (${restored} changelog records restored ${how})`, {
        store: task.state.store.kind,
        stateValues: task.state.valueCount,
        timers: task.state.timerCount,
        restoreMs,
      });
    } catch (error) {
      if (this.#tasks.get(p) !== task) return;
      if (error instanceof CorruptChangelogError) {
        // Not transient: retrying reads the same record. The task stays, stopped at the record, until an operator
        // restarts it (control API) after repairing the changelog.
        task.failRestore({ reason: error.message, origin: error.origin });
        consumer.pauseTask(p);
        log.error(`task stopped: ${error.message}`, { ...error.origin });
        return;
      }
      if (error instanceof StateStoreWriteError) {
        this.#stopAtStore(task, error, log);
        return;
      }
      this.#tasks.delete(p);
      const fatal = await this.#unmendable(committer, error);
      if (fatal !== undefined && this.#options.running()) {
        log.error(`task stopped: ${fatal.message}`);
        await task.close();
        this.#options.onFatal?.(fatal);
        return;
      }
      if (!this.#options.running() || (error instanceof CommitError && error.fenced)) {
        if (this.#options.running()) log.warn("another instance took this task over");
        await task.close();
        return;
      }
      const delay = Math.min(30_000, 500 * 2 ** (attempt - 1));
      log.error(`task start failed (attempt ${attempt}), retrying in ${delay} ms: ${describeError(error)}`);
      this.#startOver(task, delay, attempt + 1);
    }
  }

  async #committer(p: number): Promise<TaskCommitter> {
    const { plan, kafka, consumer } = this.#options;
    const name = `${plan.appId}-task-${p}`;
    if (this.#options.exactlyOnce) {
      return kafka.taskProducer(name, { transactionTimeoutMs: this.#options.transactionTimeoutMs });
    }
    return new AtLeastOnceCommitter(
      name,
      await this.#options.sinks.writer(""),
      plan.appId,
      (offsets) => consumer.commitOffsets(offsets),
      kafka.admin,
    );
  }

  #onTaskStopped(task: Task, outcome: "failed" | "commit-failed" | "fenced"): void {
    if (this.#tasks.get(task.task) !== task) return;
    const report = task.report();
    const p = task.task;
    const { log } = this.#options;
    if (outcome === "failed") {
      const transient = report.failure?.transient === true;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.min(this.#transientStops.get(p) ?? 0, 5));
      log.error(`task stopped: ${report.failure?.reason}${transient ? `; it starts over in ${delay} ms` : ""}`, {
        task: p,
        ...report.failure?.origin,
        address: report.failure?.address,
      });
      // An endpoint that did not answer may come back (StateFun restarts the job): start over from the last commit,
      // backing off while it stays away. The task shows as stopped, with the reason, meanwhile.
      if (transient) {
        this.#transientStops.set(p, (this.#transientStops.get(p) ?? 0) + 1);
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          if (this.#tasks.get(p) === task && task.status === "failed" && this.#options.running()) this.restart(p);
        }, delay);
        this.#timers.add(timer);
      }
      return;
    }
    const fatal = outcome === "commit-failed" ? stopReasonOf(this.#committers.get(task)) : undefined;
    if (fatal !== undefined) {
      this.#options.consumer.pauseTask(p);
      log.error(`task stopped: ${fatal.message}`, { task: p });
      this.#options.onFatal?.(fatal);
      return;
    }
    this.#transientStops.delete(p);
    this.#tasks.delete(p);
    this.#options.consumer.pauseTask(p);
    // Started over: a new producer, the committed offsets, the changelog, as at assignment. A fenced task
    // belongs to a newer producer: this instance is likely a zombie about to learn from the group that the task
    // moved; initialising its producer now would fence the task's real owner. It starts over only if the group
    // still gives it the task after two session timeouts.
    const delay = outcome === "fenced" ? 2 * this.#options.sessionTimeoutMs : 0;
    if (outcome === "fenced") {
      log.warn(`task fenced by a newer producer; waiting ${delay} ms for the group`, { task: p });
    }
    this.#startOver(task, delay);
  }

  /**
   * Stops a task whose local store cannot be written (full or read-only file system): visibly, naming the folder —
   * not retried, as that would rewrite the same records into the same folder. The changelog still holds the state;
   * a restart (control API, or the next start) reads it again.
   */
  #stopAtStore(task: Task, error: unknown, log: Logger): void {
    task.failRestore({ reason: describeError(error) });
    this.#options.consumer.pauseTask(task.task);
    log.error(`task stopped: ${describeError(error)}`);
  }

  /** Why a failed start cannot be mended by starting over: a RuntimeError, the committer's reason, a lost internal topic. */
  async #unmendable(committer: TaskCommitter, error: unknown): Promise<RuntimeError | undefined> {
    if (error instanceof RuntimeError) return error;
    const reason = stopReasonOf(committer);
    if (reason !== undefined) return reason;
    // Only a failure that says a topic is unknown is checked (after others, e.g. a broker restarting, the metadata
    // request would only hold up the retry).
    if (!/UNKNOWN_TOPIC|does not host this topic-partition/i.test(`${describeError(error)} ${errorTypes(error)}`)) {
      return undefined;
    }
    const { plan, kafka } = this.#options;
    for (const [topic, what] of [[plan.changelogTopic, "changelog"], [plan.mailboxTopic, "mailbox"]]) {
      const partitions = await kafka.admin.partitionCount(topic).catch(() => -1);
      if (partitions !== undefined) continue;
      return new RuntimeError(
        `the ${what} ${topic} does not exist (deleted while the app ran?): the task cannot start ` +
          `(${describeError(error)}). Restore the topic, or start the app over with \`eddy reset\``,
      );
    }
    return undefined;
  }

  /** Closes a task this instance no longer runs and, after `delayMs`, starts it again if the group still gives it here. */
  #startOver(task: Task, delayMs: number, attempt = 1): void {
    void task.close().then(() => new Promise((resolve) => setTimeout(resolve, delayMs))).then(() => {
      if (this.#options.running() && this.#options.consumer.tasks.includes(task.task) && !this.#tasks.has(task.task)) {
        return this.#startTask(task.task, attempt);
      }
    });
  }

  /** The committed offsets of the task's partitions, or where the startup position puts them. */
  async #startPositions(p: number, log: Logger): Promise<GroupOffset[]> {
    const { consumer, plan } = this.#options;
    const admin = this.#options.kafka.admin;
    const positions: GroupOffset[] = [];
    for (const [topic, route] of plan.routes) {
      const partitions = consumer.partitionsOfTask(p, topic);
      if (partitions.length === 0) continue;
      const committed = await admin.groupOffsets(route.groupId, topic);
      const offsets = new Map((await admin.topicOffsets(topic)).map((o) => [o.partition, o]));
      const position = route.ingress.startupPosition;
      const dates = position.type === "date" ? await admin.offsetsForTimestamp(topic, position.epochMillis) : undefined;
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
    const mailbox = plan.mailboxTopic;
    const committed = (await admin.groupOffsets(plan.appId, mailbox)).get(p) ?? -1;
    const low = (await admin.stableOffsets(mailbox)).find((o) => o.partition === p)?.low ?? 0;
    positions.push({ groupId: plan.appId, topic: mailbox, partition: p, offset: Math.max(committed, low) });
    return positions;
  }
}

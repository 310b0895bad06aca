/**
 * A task: partition p of every ingress topic, of the mailbox and of the changelog, with the state of the addresses
 * that hash to p. Its status machine (restoring → running → halting/failed/draining → closed) and its commit cycle:
 * records it takes are routed to address queues or forwarded, invocations run (invoker.ts) and their effects become
 * records (effects.ts) in the epoch of their message; on every tick the open epoch closes and commits once its
 * messages are done, through the task's committer, with the offsets after its records (the consistent cut,
 * epoch.ts).
 *
 * @module
 */

import type { FunctionSpec } from "../../sdk/function_spec.ts";
import { TaskState } from "../../state/task_state.ts";
import type { AppPlan } from "../app_plan.ts";
import { describeError, type Logger } from "../logger.ts";
import { decodeMailboxMessage, type MailboxMessage } from "../mailbox_record.ts";
import { partitionOfKey } from "../partitioner.ts";
import {
  CommitError,
  type ConsumedRecord,
  type GroupOffset,
  type OutgoingRecord,
  type RecordHandoff,
  type TaskCommitter,
} from "../ports.ts";
import { type RecordOrigin, routeIngressRecord, taskOfId } from "../routing.ts";
import { AddressQueues, type Envelope } from "./address_queues.ts";
import { type Clock, systemClock } from "./clock.ts";
import { applyEffects, deadLetter, type EffectTarget, mailboxRecord } from "./effects.ts";
import { Epoch } from "./epoch.ts";
import { invokeWithRetries } from "./invoker.ts";
import {
  DEFAULT_TASK_LIMITS,
  type EgressSink,
  type FunctionCounters,
  type TaskFailure,
  type TaskFlow,
  type TaskLimits,
  type TaskReport,
  type TaskStatus,
} from "./types.ts";

/** Everything a task needs. */
export interface TaskOptions {
  /** The task number p. */
  task: number;
  /** N. */
  taskCount: number;
  /** The app. */
  plan: AppPlan;
  /** The in-process function of a type, if bound. */
  functions(typename: string): FunctionSpec | undefined;
  /** Commits epochs. */
  committer: TaskCommitter;
  /** Egress records outside the transaction. */
  egress: EgressSink;
  /** Consumer control. */
  flow: TaskFlow;
  /** The task's log. */
  log: Logger;
  /**
   * Called once when the task stops: `failed` (a function or record it cannot get past), `commit-failed` (start
   * it over from its last commit), or `fenced` (a newer producer of its transactional id exists).
   */
  onStopped(task: Task, outcome: "failed" | "commit-failed" | "fenced"): void;
  /** Limits (defaults: DEFAULT_TASK_LIMITS). */
  limits?: Partial<TaskLimits>;
  /** Time (default: the system clock). */
  clock?: Clock;
}

/** Offsets are re-committed this often even when idle: groups without members lose offsets after a retention time. */
const RECOMMIT_INTERVAL_MS = 10 * 60_000;
/** Expired state of idle addresses is swept this often. */
const SWEEP_INTERVAL_MS = 60_000;
/** Timers fired per tick at most, so a burst of due timers does not starve the rest. */
const TIMERS_PER_TICK = 10_000;

const UTF8 = new TextEncoder();

/** One task of the app on this instance. */
export class Task {
  readonly task: number;
  readonly #options: TaskOptions;
  readonly #limits: TaskLimits;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #state = new TaskState();
  readonly #queues = new AddressQueues();
  readonly #effects: EffectTarget;
  #inFlight = 0;
  #open = new Epoch();
  #closed: Epoch | undefined;
  #committing = false;
  #status: TaskStatus = "restoring";
  #failure: TaskFailure | undefined;
  #ingressPaused = false;
  #invocations = 0;
  #commits = 0;
  #ingressPauses = 0;
  readonly #functions = new Map<string, FunctionCounters>();
  #commitSeconds = 0;
  restoredRecords = 0;
  /** Set by the runtime while it restores the task. */
  restoreProgress: { position: number; until: number } | undefined;
  readonly #egressRecords = new Map<string, number>();
  #skipped = 0;
  #deadLettered = 0;
  #stopTicker: (() => void) | undefined;
  #lastRecommit: number;
  #lastSweep: number;
  /** The latest offset of every partition of the task, for re-commits and reports. */
  readonly #positions = new Map<string, GroupOffset>();
  readonly #committed = new Map<string, number>();
  #drained: (() => void) | undefined;

  /** @param options What the task needs. */
  constructor(options: TaskOptions) {
    this.task = options.task;
    this.#options = options;
    this.#limits = { ...DEFAULT_TASK_LIMITS, ...options.limits };
    this.#log = options.log;
    this.#clock = options.clock ?? systemClock;
    this.#lastRecommit = this.#lastSweep = this.#clock.now();
    this.#effects = {
      task: options.task,
      taskCount: options.taskCount,
      plan: options.plan,
      state: this.#state,
      transactionalEgress: this.#limits.transactionalEgress,
      egress: options.egress,
      counters: (typename) => this.#counters(typename),
      egressRecords: this.#egressRecords,
    };
  }

  /** The task's status. */
  get status(): TaskStatus {
    return this.#status;
  }

  /** The task's state (read-only use: control API and tests). */
  get state(): TaskState {
    return this.#state;
  }

  /**
   * Applies changelog records while restoring.
   *
   * @throws {Error} naming the changelog record that cannot be read.
   */
  restore(topic: string, records: ConsumedRecord[]): void {
    for (const record of records) {
      try {
        if (record.key === null) throw new Error("a changelog record without key");
        this.#state.restore(record.key, record.value);
      } catch (error) {
        throw new Error(
          `cannot restore task ${this.task}: the record at ${topic}/${this.task}@${record.offset} is not an Eddy ` +
            `changelog record (${describeError(error)})`,
        );
      }
    }
  }

  /**
   * Starts processing: the given start positions are committed with the first
   * epoch (so a first start's startup positions hold from then on).
   */
  start(positions: GroupOffset[]): void {
    if (this.#status !== "restoring") return;
    this.#status = "running";
    for (const position of positions) {
      this.#positions.set(`${position.topic}/${position.partition}`, position);
      this.#open.commitOffset(position);
    }
    this.#stopTicker = this.#clock.every(this.#limits.commitIntervalMs, () => this.#tick());
  }

  /** Takes records fetched for the task. */
  accept(handoff: RecordHandoff): void {
    if (this.#status !== "running") return;
    const { plan } = this.#options;
    const isMailbox = handoff.topic === plan.mailboxTopic;
    const route = plan.routes.get(handoff.topic);
    const groupId = isMailbox ? plan.appId : route?.groupId;
    if (groupId === undefined) return;
    for (const record of handoff.records) {
      const origin = { topic: handoff.topic, partition: handoff.partition, offset: record.offset };
      let messages: MailboxMessage[];
      try {
        if (record.value === null && isMailbox) throw new Error("a mailbox record without value");
        messages = isMailbox
          ? [decodeMailboxMessage(record.value!)]
          : routeIngressRecord(record, route!, origin).map(({ target, argument }) => ({
            target,
            caller: null,
            argument,
          }));
      } catch (error) {
        const reason = describeError(error);
        const policy = (route && this.#limits.unroutableRecordsByIngress[route.ingress.id]) ??
          this.#limits.unroutableRecords;
        if (policy.type === "stop") {
          this.#haltAt(origin, groupId, reason);
          this.#dispatch(); // what came before the record is processed and committed
          return;
        }
        this.#log.warn(
          `${policy.type === "skip" ? "skipped" : "dead-lettered"} an unroutable record: ${reason}`,
          origin,
        );
        if (policy.type === "skip") this.#skipped++;
        else {
          this.#deadLettered++;
          this.#open.records.push(deadLetter(policy.topic, record.key, record.value, origin, { reason }));
        }
        continue;
      }
      // An ingress record's key bytes are its id's UTF-8 bytes: hash them once for all its targets.
      const owner = isMailbox
        ? taskOfId(messages[0].target.id, this.#options.taskCount)
        : partitionOfKey(record.key!, this.#options.taskCount);
      for (const message of messages) {
        if (owner === this.task) this.#enqueue({ ...message, epoch: this.#open, origin });
        else this.#open.records.push(this.#mailboxRecord(message)); // hashed elsewhere: forward to its task
      }
    }
    this.#setOffset({ groupId, topic: handoff.topic, partition: handoff.partition, offset: handoff.nextOffset });
    if (!this.#ingressPaused && this.#queues.queued > this.#limits.maxQueued) {
      this.#ingressPaused = true;
      this.#ingressPauses++;
      this.#options.flow.pauseIngress();
    }
    this.#dispatch();
  }

  /**
   * Stops taking records and resolves once everything taken is processed and
   * committed (graceful shutdown).
   */
  drain(): Promise<void> {
    if (this.#status === "running" || this.#status === "halting") this.#status = "draining";
    return new Promise((resolve) => {
      this.#drained = resolve;
      this.#checkDrained();
    });
  }

  /** Stops at once, dropping whatever was not committed (the task moved, or shutdown). */
  async close(): Promise<void> {
    this.#status = "closed";
    this.#stopTicker?.();
    this.#queues.clear();
    await this.#options.committer.close();
  }

  /**
   * Moves partitions to new offsets (an operator's reset, while their ingress is paused): the offsets are
   * committed with the next epoch; state is not rewound.
   */
  resetOffsets(offsets: GroupOffset[]): void {
    for (const offset of offsets) this.#setOffset(offset);
  }

  /** The offset the task will commit next for each of its partitions. */
  positions(): GroupOffset[] {
    return [...this.#positions.values()];
  }

  /** What the task reports. */
  report(): TaskReport {
    return {
      task: this.task,
      status: this.#status,
      ...(this.#failure === undefined ? {} : { failure: this.#failure }),
      queued: this.#queues.queued,
      inFlight: this.#inFlight,
      invocations: this.#invocations,
      commits: this.#commits,
      ingressPauses: this.#ingressPauses,
      addresses: this.#state.addressCount,
      timers: this.#state.timerCount,
      committedOffsets: Object.fromEntries(this.#committed),
      functions: Object.fromEntries([...this.#functions].map(([typename, counters]) => [typename, { ...counters }])),
      commitSeconds: { sum: this.#commitSeconds, count: this.#commits },
      restoredRecords: this.restoredRecords,
      ...(this.#status === "restoring" && this.restoreProgress ? { restore: { ...this.restoreProgress } } : {}),
      egressRecords: Object.fromEntries(this.#egressRecords),
      skipped: this.#skipped,
      deadLettered: this.#deadLettered,
    };
  }

  /** Describes what a shutdown would abandon now. */
  pendingWork(): string {
    const epochs = [this.#closed, this.#open].filter((epoch) => epoch !== undefined && !epoch.empty).length;
    return `task ${this.task}: ${this.#queues.queued} queued messages, ${this.#inFlight} running invocations, ` +
      `${epochs} uncommitted epochs`;
  }

  #enqueue(envelope: Envelope): void {
    this.#queues.enqueue(envelope);
    this.#counters(envelope.target.typename).backlog++;
  }

  #dispatch(): void {
    while (this.#inFlight < this.#limits.maxInFlight && this.#processing()) {
      const next = this.#queues.take();
      if (next === undefined) break;
      this.#inFlight++;
      void this.#run(next.key, next.envelope);
    }
  }

  #processing(): boolean {
    return this.#status === "running" || this.#status === "halting" || this.#status === "draining";
  }

  async #run(key: string, envelope: Envelope): Promise<void> {
    const ok = await this.#invoke(envelope);
    this.#inFlight--;
    if (!ok || !this.#processing()) return;
    this.#queues.done(key);
    this.#invocations++;
    const counters = this.#counters(envelope.target.typename);
    counters.backlog--;
    counters.in++;
    if (this.#ingressPaused && this.#queues.queued <= this.#limits.maxQueued / 2 && this.#status === "running") {
      this.#ingressPaused = false;
      this.#options.flow.resumeIngress();
    }
    this.#dispatch();
    if (envelope.epoch === this.#closed && envelope.epoch.outstanding === 0) this.#commitClosed();
  }

  /** Invokes with retries and applies the effects; false when the task failed or stopped meanwhile. */
  async #invoke(envelope: Envelope): Promise<boolean> {
    const { target } = envelope;
    const spec = this.#options.functions(target.typename);
    if (spec === undefined) {
      this.#fail({
        reason: `no function is bound for ${target.typename} (remote functions come with the HTTP endpoints)`,
        origin: envelope.origin,
        address: target.toString(),
      });
      return false;
    }
    const outcome = await invokeWithRetries(
      {
        plan: this.#options.plan,
        state: this.#state,
        clock: this.#clock,
        log: this.#log,
        maxAttempts: this.#limits.maxAttempts,
        retryBackoffMs: this.#limits.retryBackoffMs,
        processing: () => this.#processing(),
      },
      envelope,
      spec,
      (result, egress, read, now) => {
        envelope.epoch.log(read.writes);
        applyEffects(this.#effects, envelope, result, egress, now);
      },
    );
    if (outcome.kind === "applied") return true;
    if (outcome.kind === "abandoned") return false;
    const { error, attempts } = outcome;
    this.#counters(target.typename).failures++;
    this.#log.error(`function failed ${attempts} times: ${describeError(error)}`, {
      address: target.toString(),
      ...envelope.origin,
      attempt: attempts,
    });
    const policy = this.#limits.failedMessages;
    if (policy.type === "dead-letter") {
      this.#deadLettered++;
      const { argument } = envelope;
      envelope.epoch.records.push(
        deadLetter(policy.topic, UTF8.encode(target.id), argument.value, envelope.origin, {
          reason: `${target.typename} failed ${attempts} times: ${describeError(error)}`,
          address: target.toString(),
          typename: argument.typename,
          ...(envelope.caller === null ? {} : { caller: envelope.caller.toString() }),
        }),
      );
      return true;
    }
    this.#fail({
      reason: `${target.typename} failed ${attempts} times: ${describeError(error)}`,
      origin: envelope.origin,
      address: target.toString(),
    });
    return false;
  }

  #counters(typename: string): FunctionCounters {
    let counters = this.#functions.get(typename);
    if (counters === undefined) {
      counters = { in: 0, outLocal: 0, outRemote: 0, outEgress: 0, failures: 0, backlog: 0 };
      this.#functions.set(typename, counters);
    }
    return counters;
  }

  #mailboxRecord(message: MailboxMessage): OutgoingRecord {
    return mailboxRecord(this.#options, message);
  }

  #setOffset(offset: GroupOffset): void {
    this.#positions.set(`${offset.topic}/${offset.partition}`, offset);
    this.#open.commitOffset(offset);
  }

  #tick(): void {
    const now = this.#clock.now();
    if (this.#status === "running") {
      this.#fireTimers(now);
      if (now - this.#lastSweep >= SWEEP_INTERVAL_MS) {
        this.#lastSweep = now;
        this.#open.log(this.#state.sweepExpired((typename) => this.#options.functions(typename)?.valueSpecs, now));
      }
      if (now - this.#lastRecommit >= RECOMMIT_INTERVAL_MS) {
        this.#lastRecommit = now;
        for (const offset of this.#positions.values()) this.#open.commitOffset(offset);
      }
    }
    if (this.#closed === undefined && !this.#open.empty && this.#processing()) {
      this.#closed = this.#open;
      this.#open = new Epoch();
    }
    this.#commitClosed();
  }

  #fireTimers(now: number): void {
    for (const { timer, write } of this.#state.popDueTimers(now, TIMERS_PER_TICK)) {
      this.#open.log([write]);
      this.#open.records.push(
        this.#mailboxRecord({ target: timer.target, caller: timer.sender, argument: timer.argument }),
      );
    }
  }

  #commitClosed(): void {
    const epoch = this.#closed;
    if (this.#committing || epoch === undefined || epoch.outstanding > 0) return;
    this.#committing = true;
    void this.#commit(epoch);
  }

  async #commit(epoch: Epoch): Promise<void> {
    const started = performance.now();
    try {
      if (epoch.atLeastOnce.length > 0) await this.#options.egress.sendAndWait(epoch.atLeastOnce);
      const changelog: OutgoingRecord[] = [...epoch.changelog.values()].map((write) => ({
        topic: this.#options.plan.changelogTopic,
        partition: this.task,
        key: write.key,
        value: write.value,
      }));
      await this.#options.committer.commit({
        records: [...changelog, ...epoch.records],
        offsets: [...epoch.offsets.values()],
      });
      this.#commits++;
      this.#commitSeconds += (performance.now() - started) / 1000;
      for (const [key, offset] of epoch.offsets) this.#committed.set(key, offset.offset);
      this.#log.debug("committed", {
        records: changelog.length + epoch.records.length,
        atLeastOnce: epoch.atLeastOnce.length,
        offsets: epoch.offsets.size,
        ms: Math.round(performance.now() - started),
      });
    } catch (error) {
      this.#committing = false;
      if (this.#status === "closed") return;
      const fenced = error instanceof CommitError && error.fenced;
      this.#log.error(`commit failed: ${describeError(error)}`);
      this.#stop();
      this.#options.onStopped(this, fenced ? "fenced" : "commit-failed");
      return;
    }
    this.#committing = false;
    if (this.#closed === epoch) this.#closed = undefined;
    if (this.#status === "halting" && this.#closed === undefined && this.#open.empty) {
      this.#status = "failed";
      this.#stopTicker?.();
      this.#options.onStopped(this, "failed");
    }
    this.#checkDrained();
    // An epoch that closed while this one committed may be ready already.
    this.#tick();
  }

  #checkDrained(): void {
    if (this.#drained === undefined) return;
    const idle = !this.#committing && this.#closed === undefined && this.#open.empty && this.#queues.queued === 0;
    if (idle || !this.#processing()) {
      this.#stopTicker?.();
      this.#drained();
      this.#drained = undefined;
    }
  }

  /** Commits everything before a record that cannot be processed, then stops there. */
  #haltAt(origin: RecordOrigin, groupId: string, reason: string): void {
    this.#status = "halting";
    this.#failure = { reason, origin };
    this.#log.error(`task stops at an unprocessable record: ${reason}`, { ...origin });
    this.#setOffset({ groupId, ...origin });
    this.#options.flow.pauseAll();
  }

  /** Stops processing for good; nothing after the last commit is kept. */
  #fail(failure: TaskFailure): void {
    if (!this.#processing()) return;
    this.#failure = failure;
    this.#stop();
    this.#status = "failed";
    this.#options.onStopped(this, "failed");
  }

  #stop(): void {
    this.#status = "failed";
    this.#stopTicker?.();
    this.#options.flow.pauseAll();
    this.#open = new Epoch();
    if (!this.#committing) this.#closed = undefined;
    this.#queues.clear();
    this.#checkDrained();
  }
}

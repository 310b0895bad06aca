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

import { addressKey, TaskState } from "../../state/task_state.ts";
import { describeError, type Logger } from "../logger.ts";
import type { MailboxMessage } from "../mailbox_record.ts";
import { CommitError, type GroupOffset, type OutgoingRecord, type RecordHandoff } from "../ports.ts";
import type { RecordOrigin } from "../routing.ts";
import { AddressQueues, CARRIED, type Envelope } from "./address_queues.ts";
import { type Clock, systemClock } from "./clock.ts";
import { applyEffects, deadLetter, type EffectTarget, failedMessageRecord, mailboxRecord } from "./effects.ts";
import { type CallableFunction, FinalFailure } from "./callable.ts";
import { CommitCycle } from "./commit_cycle.ts";
import type { Epoch } from "./epoch.ts";
import { intakeSource, readRecord } from "./intake.ts";
import { type InvokerContext, invokeWithRetries } from "./invoker.ts";
import {
  DEFAULT_TASK_LIMITS,
  type FunctionCounters,
  type RestoreProgress,
  type TaskFailure,
  type TaskLimits,
  type TaskOptions,
  type TaskReport,
  type TaskStatus,
} from "./types.ts";

export type { TaskOptions };

/** Offsets are re-committed this often even when idle: groups without members lose offsets after a retention time. */
const RECOMMIT_INTERVAL_MS = 10 * 60_000;
/** Expired state of idle addresses is swept this often. */
const SWEEP_INTERVAL_MS = 60_000;
/** Timers fired per tick at most, so a burst of due timers does not starve the rest. */
const TIMERS_PER_TICK = 10_000;

/** How long invocations may run back to back before the task lets the event loop turn (timers, I/O, heartbeats). */
const YIELD_AFTER_MS = 20;

/**
 * Fetched records a task takes in at most while this many messages (or more: what it works off in half the carry-over
 * time, measured) are queued; the rest waits, outside any epoch, until the queues are shorter. Taking in a whole fetch
 * at once made epochs hold seconds of work behind a backlog: each then waited the carry-over time and persisted all
 * its queued messages as pending (two changelog records each).
 */
const MIN_INTAKE_AHEAD = 500;

/** The batch of a function that takes one message a call. */
const NO_BATCH: readonly Envelope[] = [];

/** One task of the app on this instance. */
export class Task {
  readonly task: number;
  readonly #options: TaskOptions;
  readonly #limits: TaskLimits;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #state: TaskState;
  readonly #queues = new AddressQueues();
  readonly #effects: EffectTarget;
  #inFlight = 0;
  readonly #cycle: CommitCycle;
  readonly #invoker: InvokerContext;
  #status: TaskStatus = "restoring";
  #failure: TaskFailure | undefined;
  #ingressPaused = false;
  /** Addresses with more messages waiting than their function's batch limit (StateFun's back-pressure). */
  readonly #overfull = new Set<string>();
  #invocations = 0;
  #ingressPauses = 0;
  #carriedOver = 0;
  /** When the current run of invocations without a turn of the event loop began. */
  #burstStarted: number | undefined;
  #yielding = false;
  /** Queued messages persisted as pending (carried past a commit, or restored). */
  #pendingQueued = 0;
  readonly #functions = new Map<string, FunctionCounters>();
  restoredRecords = 0;
  /** Set by the runtime while it restores the task. */
  restoreProgress: RestoreProgress | undefined;
  readonly #egressRecords = new Map<string, number>();
  #skipped = 0;
  #deadLettered = 0;
  #stopTicker: (() => void) | undefined;
  #lastRecommit: number;
  #lastSweep: number;
  /** The latest offset of every partition of the task, for re-commits and reports. */
  readonly #positions = new Map<string, GroupOffset>();
  #drained: (() => void) | undefined;
  /** Fetched records not taken in yet (they belong to no epoch: their offsets advance when they are). */
  #held: RecordHandoff[] = [];
  /** How many records of the first held fetch were taken already. */
  #heldFrom = 0;
  /** Messages done per second (smoothed over ticks), which sets how much the task takes in ahead. */
  #rate = 0;
  #rateSampledAt: number;
  #rateSampledInvocations = 0;

  /** @param options What the task needs. */
  constructor(options: TaskOptions) {
    this.task = options.task;
    this.#options = options;
    this.#limits = { ...DEFAULT_TASK_LIMITS, ...options.limits };
    this.#log = options.log;
    this.#clock = options.clock ?? systemClock;
    this.#lastRecommit = this.#lastSweep = this.#rateSampledAt = this.#clock.now();
    this.#state = new TaskState(options.store, () => this.#cycle.unflushed());
    this.#invoker = {
      plan: options.plan,
      state: this.#state,
      clock: this.#clock,
      log: this.#log,
      maxAttempts: this.#limits.maxAttempts,
      retryBackoffMs: this.#limits.retryBackoffMs,
      processing: () => this.#processing(),
    };
    this.#cycle = new CommitCycle({
      task: options.task,
      plan: options.plan,
      committer: options.committer,
      egress: options.egress,
      log: options.log,
      // A task closed meanwhile has released its store; the store stays behind, which is safe (restore_start.ts).
      flush: (writes, checkpoint) => {
        if (this.#status !== "closed") this.#state.flush(writes, checkpoint);
      },
      onCommitted: () => this.#afterCommit(),
      onFailed: (error) => this.#commitFailed(error),
    });
    this.#effects = {
      task: options.task,
      taskCount: options.taskCount,
      plan: options.plan,
      state: this.#state,
      transactionalEgress: this.#limits.transactionalEgress,
      egress: options.egress,
      counters: (typename) => this.#counters(typename),
      egressRecords: this.#egressRecords,
      deliverLocal: (envelope) => this.#enqueue(envelope),
      canDeliverLocal: (target, epoch) => {
        const open = this.#cycle.open;
        if (epoch === open) return true;
        const key = addressKey(target);
        return !open.touched.has(key) && this.#queues.lastEpoch(key) !== open;
      },
    };
  }

  /** The task's status. */
  get status(): TaskStatus {
    return this.#status;
  }

  /** Whether nothing is held, queued, running or waiting to be committed (or the task stopped: it does nothing more). */
  get idle(): boolean {
    return !this.#processing() ||
      (this.#cycle.idle && this.#queues.queued === 0 && this.#inFlight === 0 && this.#held.length === 0);
  }

  /** The task's state (read-only use: control API and tests). */
  get state(): TaskState {
    return this.#state;
  }

  /** Gives up a restore that cannot go on (a corrupt changelog record): the task stops there, visibly. */
  failRestore(failure: TaskFailure): void {
    if (this.#status !== "restoring") return;
    this.#failure = failure;
    this.#status = "failed";
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
      this.#cycle.open.commitOffset(position);
    }
    // Messages a previous owner carried past its last commit come first: they precede anything not committed.
    for (const { seq, entry } of this.#state.takeRestoredPending()) {
      const { target, caller, argument, origin } = entry;
      this.#enqueue({ target, caller, argument, origin, epoch: CARRIED, pendingSeq: seq });
      this.#pendingQueued++;
    }
    this.#stopTicker = this.#clock.every(this.#limits.commitIntervalMs, () => this.#tick());
    this.#dispatch();
  }

  /** Takes records fetched for the task: now, or once the queues are short enough (MIN_INTAKE_AHEAD). */
  accept(handoff: RecordHandoff): void {
    if (this.#status !== "running") return;
    this.#held.push(handoff);
    this.#takeHeld();
    this.#pauseIngressIfFull();
  }

  /** Held records not taken in (a few fetches at most). */
  #heldRecords(): number {
    let records = -this.#heldFrom;
    for (const handoff of this.#held) records += handoff.records.length;
    return records;
  }

  #intakeAhead(): number {
    return Math.max(MIN_INTAKE_AHEAD, Math.round(this.#rate * this.#limits.carryOverAfterMs / 2000));
  }

  /**
   * Takes held records in while the queues are short enough — part of a fetch when only part fits (a fetch can
   * hold thousands of records: seconds of work).
   */
  #takeHeld(): void {
    const ahead = this.#intakeAhead();
    // Only once half the room is free: records are taken in chunks, not one per finished message.
    if (this.#held.length === 0 || this.#queues.queued > ahead / 2) return;
    while (this.#held.length > 0 && this.#status === "running") {
      const room = ahead - this.#queues.queued;
      if (room <= 0) return;
      const handoff = this.#held[0];
      const from = this.#heldFrom;
      const left = handoff.records.length - from;
      if (left <= room) {
        this.#held.shift();
        this.#heldFrom = 0;
        this.#take(from === 0 ? handoff : { ...handoff, records: handoff.records.slice(from) });
        continue;
      }
      this.#heldFrom = from + room;
      this.#take({
        ...handoff,
        records: handoff.records.slice(from, from + room),
        nextOffset: handoff.records[from + room].offset,
      });
    }
  }

  #pauseIngressIfFull(): void {
    const waiting = this.#queues.queued + this.#heldRecords();
    if (!this.#ingressPaused && (waiting > this.#limits.maxQueued || this.#overfull.size > 0)) {
      this.#ingressPaused = true;
      this.#ingressPauses++;
      this.#options.flow.pauseIngress();
    }
  }

  #take(handoff: RecordHandoff): void {
    const { plan } = this.#options;
    const source = intakeSource(plan, handoff.topic);
    if (source === undefined) return;
    const groupId = source.isMailbox ? plan.appId : source.route!.groupId;
    for (const record of handoff.records) {
      const origin = { topic: handoff.topic, partition: handoff.partition, offset: record.offset };
      const intake = readRecord(record, source, origin, this.#options.taskCount, this.#limits);
      if (intake.kind === "unroutable") {
        const { reason, policy } = intake;
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
          this.#cycle.open.records.push(deadLetter(policy.topic, record.key, record.value, origin, { reason }));
        }
        continue;
      }
      for (const message of intake.messages) {
        if (intake.owner === this.task) this.#enqueue({ ...message, epoch: this.#cycle.open, origin });
        else this.#cycle.open.records.push(this.#mailboxRecord(message)); // hashed elsewhere: forward to its task
      }
    }
    this.#setOffset({ groupId, topic: handoff.topic, partition: handoff.partition, offset: handoff.nextOffset });
    this.#pauseIngressIfFull();
    this.#dispatch();
  }

  /**
   * Stops taking records and resolves once everything taken is processed and
   * committed (graceful shutdown).
   */
  drain(): Promise<void> {
    if (this.#status === "running" || this.#status === "halting") this.#status = "draining";
    this.#dropHeld(); // not taken in: their offsets were not committed, the next owner reads them
    return new Promise((resolve) => {
      this.#drained = resolve;
      this.#checkDrained();
    });
  }

  /** Stops at once, dropping whatever was not committed (the task moved, or shutdown). */
  async close(): Promise<void> {
    this.#status = "closed";
    this.#stopTicker?.();
    this.#dropHeld();
    this.#queues.clear();
    this.#pendingQueued = 0;
    this.#overfull.clear();
    this.#state.store.close();
    await this.#options.committer.close();
  }

  /**
   * Moves partitions to new offsets (an operator's reset, while their ingress is paused): the offsets are
   * committed with the next epoch; state is not rewound.
   */
  resetOffsets(offsets: GroupOffset[]): void {
    // Held records of those partitions were fetched before the reset: never taken in.
    const reset = new Set(offsets.map(({ topic, partition }) => `${topic}/${partition}`));
    const first = this.#held[0];
    this.#held = this.#held.filter(({ topic, partition }) => !reset.has(`${topic}/${partition}`));
    if (this.#held[0] !== first) this.#heldFrom = 0;
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
      queued: this.#queues.queued + this.#heldRecords(),
      inFlight: this.#inFlight,
      invocations: this.#invocations,
      commits: this.#cycle.commits,
      ingressPauses: this.#ingressPauses,
      carriedOver: this.#carriedOver,
      stateValues: this.#state.valueCount,
      timers: this.#state.timerCount,
      committedOffsets: Object.fromEntries(this.#cycle.committed),
      functions: Object.fromEntries([...this.#functions].map(([typename, counters]) => [typename, { ...counters }])),
      commitSeconds: { sum: this.#cycle.commitSeconds, count: this.#cycle.commits },
      restoredRecords: this.restoredRecords,
      ...(this.#status === "restoring" && this.restoreProgress ? { restore: { ...this.restoreProgress } } : {}),
      egressRecords: Object.fromEntries(this.#egressRecords),
      skipped: this.#skipped,
      deadLettered: this.#deadLettered,
    };
  }

  /** Describes what a shutdown would abandon now. */
  pendingWork(): string {
    const epochs = this.#cycle.pendingEpochs();
    return `task ${this.task}: ${this.#queues.queued} queued messages, ${this.#inFlight} running invocations, ` +
      `${epochs} uncommitted epochs`;
  }

  #enqueue(envelope: Envelope): void {
    const { key, length } = this.#queues.enqueue(envelope);
    this.#counters(envelope.target.typename).backlog++;
    if (length > 1 && this.#batchFull(this.#options.functions(envelope.target.typename), length)) {
      this.#overfull.add(key); // accept() pauses the ingress
    }
  }

  /** Whether as many messages wait behind an address's call as its next request may carry (maxNumBatchRequests). */
  #batchFull(callable: CallableFunction | undefined, length: number): boolean {
    const limit = callable?.callBatch === undefined ? 0 : callable.batchLimit ?? 0;
    return limit > 0 && length - 1 >= limit;
  }

  #dispatch(): void {
    while (this.#inFlight < this.#limits.maxInFlight && this.#processing()) {
      const key = this.#queues.take();
      if (key === undefined) break;
      this.#inFlight++;
      const envelope = this.#queues.head(key);
      const callable = this.#options.functions(envelope.target.typename);
      const batch = callable?.callBatch === undefined
        ? NO_BATCH
        : this.#queues.following(key, callable.batchLimit ?? 0);
      void this.#run(key, envelope, callable, batch);
    }
  }

  #processing(): boolean {
    return this.#status === "running" || this.#status === "halting" || this.#status === "draining";
  }

  async #run(
    key: string,
    envelope: Envelope,
    callable: CallableFunction | undefined,
    batch: readonly Envelope[],
  ): Promise<void> {
    const ok = await this.#invoke(envelope, callable, batch);
    this.#inFlight--;
    if (!ok || !this.#processing()) return;
    const count = 1 + batch.length;
    this.#queues.done(key, count);
    this.#invocations += count;
    const counters = this.#counters(envelope.target.typename);
    counters.backlog -= count;
    counters.in += count;
    if (this.#overfull.has(key) && !this.#batchFull(callable, this.#queues.length(key))) this.#overfull.delete(key);
    this.#takeHeld();
    if (
      this.#ingressPaused && this.#overfull.size === 0 &&
      this.#queues.queued + this.#heldRecords() <= this.#limits.maxQueued / 2 && this.#status === "running"
    ) {
      this.#ingressPaused = false;
      this.#options.flow.resumeIngress();
    }
    this.#dispatchOrYield();
    if (envelope.epoch.outstanding === 0) this.#cycle.commitIfReady();
  }

  /**
   * Starts the next invocations — unless this burst has held the event loop for YIELD_AFTER_MS: in-process functions
   * that do not await anything finish in microtasks, so a backlog would run for seconds without timers or I/O (the
   * consumer's heartbeats among them: an instance was expelled from its group so). Then the rest starts after the
   * loop's turn.
   */
  #dispatchOrYield(): void {
    const now = performance.now();
    if (this.#burstStarted === undefined) {
      this.#burstStarted = now;
      setTimeout(() => this.#burstStarted = undefined, 0); // runs once the loop gets a turn: the burst is over
    }
    if (now - this.#burstStarted < YIELD_AFTER_MS) {
      this.#dispatch();
      return;
    }
    if (this.#yielding) return;
    this.#yielding = true;
    setTimeout(() => {
      this.#yielding = false;
      this.#dispatch();
    }, 0);
  }

  /** Invokes with retries and applies the effects; false when the task failed or stopped meanwhile. */
  async #invoke(envelope: Envelope, spec: CallableFunction | undefined, batch: readonly Envelope[]): Promise<boolean> {
    const { target } = envelope;
    if (spec === undefined) {
      this.#fail({
        reason: `no function is bound for ${target.typename}: neither an in-process one nor an HTTP endpoint`,
        origin: envelope.origin,
        address: target.toString(),
      });
      return false;
    }
    const outcome = await invokeWithRetries(
      this.#invoker,
      envelope,
      spec,
      batch,
      (result, egress, read, now) => {
        this.#settlePending(envelope, batch).log(read.writes);
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
      this.#settlePending(envelope, batch);
      for (const failed of [envelope, ...batch]) {
        this.#deadLettered++;
        envelope.epoch.records.push(
          failedMessageRecord(
            policy.topic,
            failed,
            `${target.typename} failed ${attempts} times: ${describeError(error)}`,
          ),
        );
      }
      return true;
    }
    this.#fail({
      reason: `${target.typename} failed ${attempts} times: ${describeError(error)}`,
      origin: envelope.origin,
      address: target.toString(),
      ...(error instanceof FinalFailure && error.transient ? { transient: true } : {}),
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
    this.#cycle.open.commitOffset(offset);
  }

  #tick(): void {
    const now = this.#clock.now();
    if (now > this.#rateSampledAt) {
      const rate = (this.#invocations - this.#rateSampledInvocations) * 1000 / (now - this.#rateSampledAt);
      this.#rate = this.#rate === 0 ? rate : 0.7 * this.#rate + 0.3 * rate;
      this.#rateSampledAt = now;
      this.#rateSampledInvocations = this.#invocations;
    }
    if (this.#status === "running") {
      this.#takeHeld();
      this.#fireTimers(now);
      if (now - this.#lastSweep >= SWEEP_INTERVAL_MS) {
        this.#lastSweep = now;
        this.#cycle.open.log(
          this.#state.sweepExpired((typename) => this.#options.functions(typename)?.valueSpecs, now),
        );
      }
      if (now - this.#lastRecommit >= RECOMMIT_INTERVAL_MS) {
        this.#lastRecommit = now;
        for (const offset of this.#positions.values()) this.#cycle.open.commitOffset(offset);
      }
    }
    const closed = this.#cycle.closed;
    if (
      closed !== undefined && closed.outstanding > 0 && this.#processing() &&
      now - closed.closedAt! >= this.#limits.carryOverAfterMs
    ) this.#carryOver(closed);
    this.#cycle.tick(this.#processing(), now);
  }

  /**
   * Lets a closed epoch commit without the messages still not done (a slow remote call, or those queued behind it):
   * they move to the open epoch, and each is persisted as pending in the closed epoch's changelog. Its offsets then
   * commit with the messages kept: a restore queues them again, before anything newer (DESIGN.md: the consistent cut
   * with work carried over, as StateFun keeps in-flight requests in its checkpoint).
   */
  #carryOver(closed: Epoch): void {
    const carried = this.#queues.carry(closed);
    for (const envelope of carried) {
      const { target, caller, argument, origin } = envelope;
      const { seq, write } = this.#state.addPending({ target, caller, argument, origin });
      envelope.pendingSeq = seq;
      closed.log([write]);
    }
    this.#pendingQueued += carried.length;
    this.#carriedOver += carried.length;
    this.#log.debug("carried messages past a commit", { messages: carried.length });
  }

  /**
   * The epoch a call's effects go to: its message's, or for carried messages the one open now, which also takes the
   * tombstones of their pending entries.
   */
  #settlePending(envelope: Envelope, batch: readonly Envelope[]): Epoch {
    if (envelope.epoch !== CARRIED) return envelope.epoch;
    // The oldest epoch still taking effects: the closed one unless it is committing (then none of its messages is
    // queued behind this one), so a carried message's effects never land in a newer epoch than those of the messages
    // behind it for its address — which would read its value first and commit before it.
    const epoch = this.#cycle.closed ?? this.#cycle.open;
    for (const done of [envelope, ...batch]) {
      done.epoch = epoch;
      epoch.log([this.#state.pendingDone(done.pendingSeq!)]);
      this.#pendingQueued--;
    }
    epoch.outstanding += 1 + batch.length; // counted until done, like its own messages
    return epoch;
  }

  #fireTimers(now: number): void {
    for (const { timer, write } of this.#state.popDueTimers(now, TIMERS_PER_TICK)) {
      this.#cycle.open.log([write]);
      this.#cycle.open.records.push(
        this.#mailboxRecord({ target: timer.target, caller: timer.sender, argument: timer.argument }),
      );
    }
  }

  /** After a commit: a halting task whose work is committed stops; a draining one may be done; go on. */
  #afterCommit(): void {
    if (this.#status === "halting" && this.#cycle.settled) {
      this.#status = "failed";
      this.#stopTicker?.();
      this.#options.onStopped("failed");
    }
    this.#checkDrained();
    // An epoch that closed while this one committed may be ready already.
    this.#tick();
  }

  #commitFailed(error: unknown): void {
    if (this.#status === "closed") return;
    const fenced = error instanceof CommitError && error.fenced;
    this.#log.error(`commit failed: ${describeError(error)}`);
    this.#stop();
    this.#options.onStopped(fenced ? "fenced" : "commit-failed");
  }

  #checkDrained(): void {
    if (this.#drained === undefined) return;
    // Messages persisted as pending need not be waited for: the next owner runs them.
    const idle = this.#cycle.idle && this.#queues.queued === this.#pendingQueued;
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
    this.#options.onStopped("failed");
  }

  #stop(): void {
    this.#status = "failed";
    this.#stopTicker?.();
    this.#options.flow.pauseAll();
    this.#cycle.discard();
    this.#dropHeld();
    this.#queues.clear();
    this.#pendingQueued = 0;
    this.#overfull.clear();
    this.#checkDrained();
  }

  #dropHeld(): void {
    this.#held = [];
    this.#heldFrom = 0;
  }
}

/**
 * A task (Kafka Streams' StreamTask): partition p of every ingress topic, of the mailbox and of the changelog, with
 * the state of the addresses that hash to p. It wires its parts and runs its turns:
 *
 * - `accept` only holds fetched records in the intake (record_intake.ts) and asks for a turn;
 * - a turn runs the processing loop (processing_loop.ts: records in → messages queued → invocations → effects in the
 *   epoch of their message), then commits the closed epoch if its messages are done (commit_cycle.ts);
 * - the tick (every commit interval) closes the open epoch, fires due timers, sweeps expired state, re-commits
 *   offsets and carries messages past an epoch that waited too long.
 *
 * Its status is a state machine with checked transitions (task_status.ts); what it counts is task_counters.ts.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { TaskState } from "../../state/task_state.ts";
import { describeError, type Logger } from "../logger.ts";
import { CommitError, type GroupOffset, type RecordHandoff } from "../ports.ts";
import { type Clock, systemClock } from "./clock.ts";
import { mailboxRecord } from "./effects.ts";
import { CommitCycle } from "./commit_cycle.ts";
import { ProcessingLoop, YIELD_AFTER_MS } from "./processing_loop.ts";
import { RecordIntake } from "./record_intake.ts";
import { TaskCounters } from "./task_counters.ts";
import { type TaskStatus, TaskStatusMachine } from "./task_status.ts";
import {
  DEFAULT_TASK_LIMITS,
  type RestoreProgress,
  type TaskFailure,
  type TaskLimits,
  type TaskOptions,
  type TaskReport,
} from "./types.ts";

export type { TaskOptions };

/** Offsets are re-committed this often even when idle: groups without members lose offsets after a retention time. */
const RECOMMIT_INTERVAL_MS = 10 * 60_000;
/** Expired state of idle addresses is swept this often. */
const SWEEP_INTERVAL_MS = 60_000;
/** Timers fired per tick at most, so a burst of due timers does not starve the rest. */
const TIMERS_PER_TICK = 10_000;
/** The longest an epoch runs while its task is behind (BENCHMARKS.md: transactions where they pay). */
const MAX_EPOCH_MS = 1_000;
/** A task is behind while more records than this wait for it: fetched and not taken in, or left to fetch. */
const BEHIND_RECORDS = 1_000;

/** One task of the app on this instance. */
export class Task {
  readonly task: number;
  readonly #options: TaskOptions;
  readonly #limits: TaskLimits;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #status: TaskStatusMachine;
  readonly #state: TaskState;
  readonly #counters = new TaskCounters();
  readonly #intake: RecordIntake;
  readonly #cycle: CommitCycle;
  readonly #loop: ProcessingLoop;
  #stopTicker: (() => void) | undefined;
  #lastRecommit: number;
  #lastSweep: number;
  #drained: (() => void) | undefined;
  #turnRequested = false;
  /**
   * How long the open epoch runs before it closes: the commit interval while the task keeps up (and then the next
   * epoch also closes as soon as a commit ends, for latency); doubled at each close while it is behind — records
   * waiting in the intake or in Kafka (record_intake.ts) — up to MAX_EPOCH_MS, so a backlog commits in fewer, larger
   * transactions.
   */
  #epochMs: number;
  /** When the current run of turns without a turn of the event loop began. */
  #burstStarted: number | undefined;
  /** Changelog records read by the last restore (set by the runtime). */
  restoredRecords = 0;
  /** Set by the runtime while it restores the task. */
  restoreProgress: RestoreProgress | undefined;

  /** @param options What the task needs. */
  constructor(options: TaskOptions) {
    this.task = options.task;
    this.#options = options;
    this.#limits = { ...DEFAULT_TASK_LIMITS, ...options.limits };
    this.#log = options.log;
    this.#clock = options.clock ?? systemClock;
    this.#status = new TaskStatusMachine(options.task);
    const now = this.#clock.now();
    this.#lastRecommit = this.#lastSweep = now;
    this.#epochMs = this.#limits.commitIntervalMs;
    this.#state = new TaskState(options.store, () => this.#cycle.unflushed());
    this.#intake = new RecordIntake(options.flow, this.#limits, now);
    this.#cycle = new CommitCycle({ ...options, state: this.#state });
    this.#loop = new ProcessingLoop({
      ...options,
      limits: this.#limits,
      clock: this.#clock,
      state: this.#state,
      cycle: this.#cycle,
      counters: this.#counters,
      status: this.#status,
      intake: this.#intake,
      events: { requestTurn: () => this.#requestTurn(), failed: (failure) => this.#fail(failure) },
    });
  }

  /** The task's status. */
  get status(): TaskStatus {
    return this.#status.status;
  }

  /** Whether nothing is held, queued, running or waiting to be committed (or the task stopped: it does nothing more). */
  get idle(): boolean {
    return !this.#status.processing ||
      (this.#cycle.idle && this.#loop.queued === 0 && this.#loop.inFlight === 0 && this.#intake.heldRecords === 0);
  }

  /** The task's state (read-only use: control API and tests). */
  get state(): TaskState {
    return this.#state;
  }

  /** Gives up a restore that cannot go on (a corrupt changelog record): the task stops there, visibly. */
  failRestore(failure: TaskFailure): void {
    if (this.#status.status === "restoring") this.#status.to("failed", failure);
  }

  /** Starts processing: the given start positions are committed with the first epoch (so a first start's hold). */
  start(positions: GroupOffset[]): void {
    if (this.#status.status !== "restoring") return;
    this.#status.to("running");
    for (const position of positions) this.#loop.setOffset(position);
    // Messages a previous owner carried past its last commit come first: they precede anything not committed.
    this.#loop.queueRestoredPending();
    this.#stopTicker = this.#clock.every(this.#limits.commitIntervalMs, () => this.#tick());
    this.#requestTurn();
  }

  /** Holds records fetched for the task; they are taken in on its turn, as its queues have room (record_intake.ts). */
  accept(handoff: RecordHandoff): void {
    if (this.#status.status !== "running") return;
    this.#intake.hold(handoff);
    this.#requestTurn();
  }

  /** Stops taking records and resolves once everything taken is processed and committed (graceful shutdown). */
  drain(): Promise<void> {
    if (this.#status.status === "running" || this.#status.status === "halting") this.#status.to("draining");
    this.#intake.drop(); // not taken in: their offsets were not committed, the next owner reads them
    return new Promise((resolve) => {
      this.#drained = resolve;
      this.#checkDrained();
    });
  }

  /** Stops at once, dropping whatever was not committed (the task moved, or shutdown). */
  async close(): Promise<void> {
    this.#status.to("closed");
    this.#stopTicker?.();
    this.#intake.drop();
    this.#loop.clear();
    this.#cycle.release();
    this.#state.store.close();
    await this.#options.committer.close();
  }

  /**
   * Moves partitions to new offsets (an operator's reset, while their ingress is paused): the offsets are committed
   * with the next epoch; state is not rewound.
   */
  resetOffsets(offsets: GroupOffset[]): void {
    // Held records of those partitions were fetched before the reset: never taken in.
    this.#intake.dropPartitions(new Set(offsets.map(({ topic, partition }) => `${topic}/${partition}`)));
    for (const offset of offsets) this.#loop.setOffset(offset);
  }

  /** The offset the task will commit next for each of its partitions. */
  positions(): GroupOffset[] {
    return [...this.#intake.positions.values()];
  }

  /** What the task reports. */
  report(): TaskReport {
    const counters = this.#counters;
    const failure = this.#status.failure;
    const status = this.#status.status;
    return {
      task: this.task,
      status,
      ...(failure === undefined ? {} : { failure }),
      queued: this.#loop.queued + this.#intake.heldRecords,
      inFlight: this.#loop.inFlight,
      invocations: counters.invocations,
      commits: this.#cycle.commits,
      ingressPauses: this.#intake.pauses,
      carriedOver: counters.carriedOver,
      stateValues: this.#state.valueCount,
      timers: this.#state.timerCount,
      committedOffsets: Object.fromEntries(this.#cycle.committed),
      functions: Object.fromEntries([...counters.functions].map(([typename, each]) => [typename, { ...each }])),
      commitSeconds: { sum: this.#cycle.commitSeconds, count: this.#cycle.commits },
      restoredRecords: this.restoredRecords,
      ...(status === "restoring" && this.restoreProgress ? { restore: { ...this.restoreProgress } } : {}),
      egressRecords: Object.fromEntries(counters.egressRecords),
      skipped: counters.skipped,
      deadLettered: counters.deadLettered,
    };
  }

  /** Describes what a shutdown would abandon now. */
  pendingWork(): string {
    return `task ${this.task}: ${this.#loop.queued} queued messages, ${this.#loop.inFlight} running invocations, ` +
      `${this.#cycle.pendingEpochs()} uncommitted epochs`;
  }

  /**
   * Asks for a turn: at once after the current work (a microtask) — or, once turns have held the event loop for
   * YIELD_AFTER_MS, after the event loop's turn (timers, I/O, the consumer's heartbeats: an instance was expelled
   * from its group by a backlog of functions that await nothing).
   */
  #requestTurn(): void {
    if (this.#turnRequested) return;
    this.#turnRequested = true;
    const burst = this.#burstStarted;
    if (burst !== undefined && performance.now() - burst >= YIELD_AFTER_MS) setImmediate(this.#turn);
    else queueMicrotask(this.#turn);
  }

  readonly #turn = (): void => {
    this.#turnRequested = false;
    if (!this.#status.processing) return;
    if (this.#burstStarted === undefined) {
      this.#burstStarted = performance.now();
      setImmediate(() => this.#burstStarted = undefined); // runs once the event loop turns: the burst is over
    }
    if (this.#loop.run(this.#burstStarted)) this.#requestTurn();
    this.#commitIfReady();
  };

  #tick(): void {
    const now = this.#clock.now();
    this.#intake.sampleRate(this.#counters.invocations, now);
    if (this.#status.status === "running") {
      this.#fireTimers(now);
      if (now - this.#lastSweep >= SWEEP_INTERVAL_MS) {
        this.#lastSweep = now;
        this.#cycle.open.log(
          this.#state.sweepExpired((typename) => this.#options.functions(typename)?.valueSpecs, now),
        );
      }
      if (now - this.#lastRecommit >= RECOMMIT_INTERVAL_MS) {
        this.#lastRecommit = now;
        for (const offset of this.#intake.positions.values()) this.#cycle.open.commitOffset(offset);
      }
    }
    const closed = this.#cycle.closed;
    if (closed !== undefined && closed.outstanding > 0 && this.#status.processing) {
      const carried = this.#loop.carryOver(
        closed,
        now - closed.closedAt! >= this.#limits.carryOverAfterMs ? "all" : "slow",
      );
      if (carried > 0) {
        this.#counters.carriedOver += carried;
        this.#log.debug("carried messages past a commit", { messages: carried });
      }
    }
    this.#closeEpoch(now);
    this.#commitIfReady();
    if (this.#status.status === "running") this.#requestTurn(); // held records may fit now (the rate changed)
  }

  /**
   * Closes the open epoch: while the task keeps up, at every tick and as soon as a commit ends (for latency); while
   * it is behind, once the epoch ran `#epochMs`, which then doubles.
   */
  #closeEpoch(now: number): void {
    const behind = this.#intake.behind > BEHIND_RECORDS;
    if (!behind) this.#epochMs = this.#limits.commitIntervalMs;
    const due = behind ? now - this.#cycle.openedAt >= this.#epochMs : true;
    if (due && this.#cycle.close(this.#status.processing, now) && behind) {
      this.#epochMs = Math.min(this.#epochMs * 2, Math.max(MAX_EPOCH_MS, this.#limits.commitIntervalMs));
    }
  }

  #commitIfReady(): void {
    this.#cycle.commitIfReady()?.then(() => this.#afterCommit(), (error) => this.#commitFailed(error));
  }

  #fireTimers(now: number): void {
    for (const { timer, write } of this.#state.popDueTimers(now, TIMERS_PER_TICK)) {
      this.#cycle.open.log([write]);
      this.#cycle.open.records.push(
        mailboxRecord(this.#options, {
          target: timer.target,
          caller: timer.sender,
          argument: timer.argument,
          carried: timer.carried,
        }),
      );
    }
  }

  /** After a commit: a halting task whose work is committed stops; a draining one may be done; go on. */
  #afterCommit(): void {
    if (this.#status.status === "halting" && this.#cycle.settled) {
      this.#status.to("failed");
      this.#stopTicker?.();
      this.#options.onStopped("failed");
    }
    this.#checkDrained();
    // The next epoch may be due, or ready already.
    this.#closeEpoch(this.#clock.now());
    this.#commitIfReady();
  }

  #commitFailed(error: unknown): void {
    if (this.#status.status === "closed") return;
    const fenced = error instanceof CommitError && error.fenced;
    this.#log.error(`commit failed: ${describeError(error)}`);
    this.#stop();
    this.#options.onStopped(fenced ? "fenced" : "commit-failed");
  }

  #checkDrained(): void {
    if (this.#drained === undefined) return;
    // Messages persisted as pending need not be waited for: the next owner runs them.
    const idle = this.#cycle.idle && this.#loop.queued === this.#loop.pendingQueued;
    if (idle || !this.#status.processing) {
      this.#stopTicker?.();
      this.#drained();
      this.#drained = undefined;
    }
  }

  /** Stops processing for good; nothing after the last commit is kept. */
  #fail(failure: TaskFailure): void {
    if (!this.#status.processing) return;
    this.#status.to("failed", failure);
    this.#stop();
    this.#options.onStopped("failed");
  }

  #stop(): void {
    this.#status.to("failed");
    this.#stopTicker?.();
    this.#intake.pauseAll();
    this.#cycle.discard();
    this.#intake.drop();
    this.#loop.clear();
    this.#checkDrained();
  }
}

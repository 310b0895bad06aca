/**
 * The task's processing loop, run on the task's own turn: take fetched records in from the intake (as much as there
 * is room for), read each into messages (intake.ts) and queue them for their address or forward them to their task's
 * mailbox partition, then invoke ready addresses (invoker.ts) and apply their effects (effects.ts) — in one walk, in
 * batches. An in-process function that returns synchronously is invoked, applied and done inside the walk, without a
 * promise; one that returns a promise (remote, async) stays in flight and wakes the task when it settles. Messages
 * carried past a commit are carried_messages.ts's.
 *
 * @module
 */

import type { TaskState } from "../../state/task_state.ts";
import type { AppPlan } from "../app_plan.ts";
import { describeError, type Logger } from "../logger.ts";
import type { GroupOffset, RecordHandoff } from "../ports.ts";
import { AddressQueues, type Envelope } from "./address_queues.ts";
import { CarriedMessages } from "./carried_messages.ts";
import type { CallableFunction } from "./callable.ts";
import { FinalFailure } from "./callable.ts";
import type { Clock } from "./clock.ts";
import type { CommitCycle } from "./commit_cycle.ts";
import { applyEffects, deadLetter, type EffectsContext, failedMessageRecord, mailboxRecord } from "./effects.ts";
import type { Epoch } from "./epoch.ts";
import { intakeSource, readRecord } from "./intake.ts";
import { type ApplyResult, type InvocationOutcome, invoke, type InvokerContext } from "./invoker.ts";
import { RecordTrace } from "./record_trace.ts";
import type { RecordIntake } from "./record_intake.ts";
import type { TaskCounters } from "./task_counters.ts";
import type { TaskStatusMachine } from "./task_status.ts";
import type { EgressSink, TaskFailure, TaskLimits } from "./types.ts";

/** How long one turn may run invocations before the task lets the event loop turn (timers, I/O, heartbeats). */
export const YIELD_AFTER_MS = 20;

/** The batch of a function that takes one message a call. */
const NO_BATCH: readonly Envelope[] = [];

/** What the loop tells its task. */
export interface ProcessingEvents {
  /** An invocation settled asynchronously: the task should take a turn. */
  requestTurn(): void;
  /** A message failed for good, or its function is not bound: the task stops. */
  failed(failure: TaskFailure): void;
}

/** What the loop needs. */
export interface ProcessingLoopOptions {
  /** The task number. */
  task: number;
  /** N. */
  taskCount: number;
  /** The app. */
  plan: AppPlan;
  /** The function of a type, if bound. */
  functions(typename: string): CallableFunction | undefined;
  /** The task's limits. */
  limits: TaskLimits;
  /** The task's log. */
  log: Logger;
  /** The task's clock. */
  clock: Clock;
  /** The task's state. */
  state: TaskState;
  /** The task's epochs. */
  cycle: CommitCycle;
  /** The task's counters. */
  counters: TaskCounters;
  /** The task's status. */
  status: TaskStatusMachine;
  /** The task's fetched records. */
  intake: RecordIntake;
  /** Egress records outside the transaction. */
  egress: EgressSink;
  /** What the loop tells its task. */
  events: ProcessingEvents;
}

/** Takes records in, invokes and applies; counts what it does. */
export class ProcessingLoop {
  readonly #options: ProcessingLoopOptions;
  readonly #queues = new AddressQueues();
  readonly #effects: EffectsContext;
  readonly #invoker: InvokerContext;
  /** Messages to addresses of this task that one invocation sent (queued right after it is applied). */
  readonly #local: Envelope[] = [];
  /** Addresses with more messages waiting than their function's batch limit (StateFun's back-pressure). */
  readonly #overfull = new Set<string>();
  #inFlight = 0;
  readonly #carried: CarriedMessages;
  /** Function types whose last call took the carry-over time or longer: a closed epoch need not wait for them. */
  readonly #slowTypes = new Set<string>();

  /** @param options What it needs. */
  constructor(options: ProcessingLoopOptions) {
    this.#options = options;
    const { task, taskCount, plan, state, cycle, counters, limits, egress, clock, log, status } = options;
    this.#carried = new CarriedMessages(this.#queues, state, cycle);
    this.#effects = {
      task,
      taskCount,
      plan,
      state,
      transactionalEgress: limits.transactionalEgress,
      egress,
      counters,
      queues: this.#queues,
      cycle,
    };
    this.#invoker = {
      plan,
      state,
      clock,
      log,
      maxAttempts: limits.maxAttempts,
      retryBackoffMs: limits.retryBackoffMs,
      processing: () => status.processing,
    };
  }

  /** Messages queued (the ones in flight included). */
  get queued(): number {
    return this.#queues.queued;
  }

  /** Invocations running (asynchronous ones: a synchronous one is done within the walk). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Queued messages persisted as pending: a drain need not wait for them (the next owner runs them). */
  get pendingQueued(): number {
    return this.#carried.queued;
  }

  /**
   * One walk: records in, invocations started (and the synchronous ones done) until nothing is ready, the in-flight
   * limit is reached, or the turn has run YIELD_AFTER_MS since `burstStarted`. True when it stopped for time (more is
   * ready: the task should take another turn after the event loop's).
   */
  run(burstStarted: number): boolean {
    const { status, limits, intake } = this.#options;
    let started = 0;
    let yielded = false;
    while (status.processing) {
      if (status.status === "running") this.#takeIn();
      if (this.#inFlight >= limits.maxInFlight) break;
      const key = this.#queues.take();
      if (key === undefined) break;
      this.#start(key);
      if ((++started & 31) === 0 && performance.now() - burstStarted >= YIELD_AFTER_MS) {
        yielded = true;
        break;
      }
    }
    intake.updateFlow(this.#queues.queued, this.#overfull.size > 0, status.status === "running");
    return yielded;
  }

  /** Queues the pending messages a restore found (a previous owner carried them past its last commit): first. */
  queueRestoredPending(): void {
    for (const envelope of this.#carried.restored()) this.#enqueue(envelope);
  }

  /**
   * Lets a closed epoch commit without its messages still not done (carried_messages.ts): all of them, or only those of
   * function types whose last call took the carry-over time or longer (waiting for those would hold every other
   * address's outputs back by the whole carry-over time, epoch after epoch). How many it carried.
   */
  carryOver(closed: Epoch, only: "all" | "slow"): number {
    if (only === "slow") return this.#slowTypes.size === 0 ? 0 : this.#carried.carry(closed, this.#slowTypes);
    return this.#carried.carry(closed);
  }

  /** Drops every queued message (the task stopped). */
  clear(): void {
    this.#queues.clear();
    this.#carried.clear();
    this.#overfull.clear();
  }

  /** Held records, chunk by chunk, while the queues have room. */
  #takeIn(): void {
    const { intake, status } = this.#options;
    for (;;) {
      const chunk = intake.next(this.#queues.queued);
      if (chunk === undefined) return;
      this.#route(chunk);
      if (status.status !== "running") return;
    }
  }

  /** Reads a chunk's records: messages queued for addresses of this task, forwarded to others' mailbox partitions. */
  #route(handoff: RecordHandoff): void {
    const { plan, taskCount, task, limits, cycle, counters, log } = this.#options;
    const { traceEvery } = limits;
    const source = intakeSource(plan, handoff.topic);
    if (source === undefined) return;
    const groupId = source.isMailbox ? plan.appId : source.route!.groupId;
    const epoch = cycle.open;
    const { topic, partition } = handoff;
    for (const record of handoff.records) {
      const origin = { topic, partition, offset: record.offset };
      const intake = readRecord(record, source, origin, taskCount, limits);
      if (intake.kind === "unroutable") {
        const { reason, policy } = intake;
        if (policy.type === "stop") {
          this.#haltAt({ groupId, ...origin }, reason); // what came before the record is processed and committed
          return;
        }
        log.warn(`${policy.type === "skip" ? "skipped" : "dead-lettered"} an unroutable record: ${reason}`, origin);
        if (policy.type === "skip") counters.skipped++;
        else {
          counters.deadLettered++;
          epoch.records.push(deadLetter(policy.topic, record.key, record.value, origin, { reason }, record.headers));
        }
        continue;
      }
      const { messages } = intake;
      if (intake.owner === task) {
        const trace = traceEvery > 0 && record.offset % traceEvery === 0
          ? new RecordTrace(
            origin,
            performance.now() - (this.#options.intake.heldSince ?? performance.now()),
            performance.now(),
          )
          : undefined;
        if (trace !== undefined) (epoch.traces ??= new Set()).add(trace);
        for (const { target, caller, argument, kafka, carried } of messages) {
          const envelope: Envelope = { target, caller, argument, epoch, origin, kafka, carried };
          if (trace !== undefined) envelope.trace = trace;
          this.#enqueue(envelope);
        }
      } else {
        for (const message of messages) epoch.records.push(mailboxRecord(this.#options, message)); // its task's
      }
    }
    this.setOffset({ groupId, topic, partition, offset: handoff.nextOffset });
  }

  /** Moves a partition's offset: committed with the open epoch. */
  setOffset(offset: GroupOffset): void {
    this.#options.intake.setPosition(offset);
    this.#options.cycle.open.commitOffset(offset);
  }

  /** Commits everything before a record that cannot be processed, then stops there. */
  #haltAt(offset: GroupOffset, reason: string): void {
    const { topic, partition } = offset;
    const origin = { topic, partition, offset: offset.offset };
    this.#options.status.to("halting", { reason, origin });
    this.#options.log.error(`task stops at an unprocessable record: ${reason}`, { ...origin });
    this.setOffset(offset);
    this.#options.intake.pauseAll();
  }

  #enqueue(envelope: Envelope): void {
    const length = this.#queues.enqueue(envelope);
    this.#options.counters.of(envelope.target.typename).backlog++;
    if (length > 1 && batchFull(this.#options.functions(envelope.target.typename), length)) {
      this.#overfull.add(envelope.key!); // the ingress pauses at the end of the walk
    }
  }

  /** Starts an address's next call; a synchronous one is done when this returns. */
  #start(key: string): void {
    const envelope = this.#queues.head(key);
    const callable = this.#options.functions(envelope.target.typename);
    if (callable === undefined) {
      this.#options.events.failed({
        reason: `no function is bound for ${envelope.target.typename}: neither an in-process one nor an HTTP endpoint`,
        origin: envelope.origin,
        address: envelope.target.toString(),
      });
      return;
    }
    const batch = callable.callBatch === undefined ? NO_BATCH : this.#queues.following(key, callable.batchLimit ?? 0);
    this.#inFlight++;
    envelope.trace?.mark(
      `${envelope.target.typename} call${batch.length > 0 ? ` (${1 + batch.length} messages)` : ""}`,
    );
    const outcome = invoke(this.#invoker, envelope, callable, batch, this.#apply);
    if (outcome instanceof Promise) {
      const startedAt = this.#options.clock.now();
      void outcome.then((settled) => {
        const { typename } = envelope.target;
        if (this.#options.clock.now() - startedAt >= this.#options.limits.carryOverAfterMs) {
          this.#slowTypes.add(typename);
        } else if (this.#slowTypes.size > 0) this.#slowTypes.delete(typename);
        this.#done(key, envelope, callable, batch, settled);
        this.#options.events.requestTurn();
      });
    } else this.#done(key, envelope, callable, batch, outcome);
  }

  /** A call's result: its effects go to its message's epoch; messages to this task's addresses are queued. */
  readonly #apply: ApplyResult = (envelope, batch, result, egress, read, now) => {
    const epoch = this.#carried.settle(envelope, batch);
    if (envelope.trace !== undefined) {
      envelope.trace.mark(`${envelope.target.typename} applied`);
      (epoch.traces ??= new Set()).add(envelope.trace);
    }
    if (read.writes.length > 0) epoch.log(read.writes);
    applyEffects(this.#effects, envelope, result, egress, now, this.#local);
    for (const local of this.#local) this.#enqueue(local);
    this.#local.length = 0;
  };

  /** After a call: its messages leave their queue and epoch, or the task stops. */
  #done(
    key: string,
    envelope: Envelope,
    callable: CallableFunction,
    batch: readonly Envelope[],
    outcome: InvocationOutcome,
  ): void {
    this.#inFlight--;
    if (outcome.kind === "abandoned") return;
    if (outcome.kind === "failed" && !this.#failed(envelope, batch, outcome.error, outcome.attempts)) return;
    if (!this.#options.status.processing) return;
    const count = 1 + batch.length;
    this.#queues.done(key, count);
    const { counters } = this.#options;
    counters.invocations += count;
    const functionCounters = counters.of(envelope.target.typename);
    functionCounters.backlog -= count;
    functionCounters.in += count;
    if (this.#overfull.size > 0 && this.#overfull.has(key) && !batchFull(callable, this.#queues.length(key))) {
      this.#overfull.delete(key);
    }
  }

  /** A message that failed every attempt: dead-lettered (true: done) or the task stops (false). */
  #failed(envelope: Envelope, batch: readonly Envelope[], error: unknown, attempts: number): boolean {
    const { target } = envelope;
    const { counters, log, limits } = this.#options;
    counters.of(target.typename).failures++;
    log.error(`function failed ${attempts} times: ${describeError(error)}`, {
      address: target.toString(),
      ...envelope.origin,
      attempt: attempts,
    });
    const reason = `${target.typename} failed ${attempts} times: ${describeError(error)}`;
    const policy = limits.failedMessages;
    if (policy.type === "dead-letter") {
      this.#carried.settle(envelope, batch);
      for (const failed of [envelope, ...batch]) {
        counters.deadLettered++;
        envelope.epoch.records.push(failedMessageRecord(policy.topic, failed, reason));
      }
      return true;
    }
    this.#options.events.failed({
      reason,
      origin: envelope.origin,
      address: target.toString(),
      ...(error instanceof FinalFailure && error.transient ? { transient: true } : {}),
    });
    return false;
  }
}

/** Whether as many messages wait behind an address's call as its next request may carry (maxNumBatchRequests). */
function batchFull(callable: CallableFunction | undefined, length: number): boolean {
  const limit = callable?.callBatch === undefined ? 0 : callable.batchLimit ?? 0;
  return limit > 0 && length - 1 >= limit;
}

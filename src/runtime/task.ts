/**
 * A task: partition p of every ingress topic, of the mailbox and of the
 * changelog, with the state of the addresses that hash to p. It queues
 * messages per address (FIFO, one invocation at a time per address, many
 * addresses at once), invokes functions, turns their effects into records and
 * commits them in epochs (see epoch.ts) through its committer.
 *
 * @module
 */

import type { ConsumedRecord, RecordHandoff } from "../kafka/app_consumer.ts";
import type { OutgoingRecord } from "../kafka/outgoing_records.ts";
import { type CommitBatch, CommitError, type GroupOffset } from "../kafka/task_producer.ts";
import type { Address } from "../sdk/address.ts";
import type { FunctionSpec } from "../sdk/function_spec.ts";
import { type InvocationResult, invokeFunction } from "../sdk/invoke.ts";
import { addressKey, TaskState } from "../state/task_state.ts";
import type { AppPlan } from "./app_plan.ts";
import { type EgressRecord, routeEgressMessage } from "./egress_router.ts";
import { Epoch } from "./epoch.ts";
import { describeError, type Logger } from "./logger.ts";
import { decodeMailboxMessage, encodeMailboxMessage, type MailboxMessage } from "./mailbox_record.ts";
import { partitionOfKey } from "./partitioner.ts";
import { type RecordOrigin, routeIngressRecord, taskOfId } from "./routing.ts";

/** Commits a task's epochs: a transactional producer, or the at-least-once committer. */
export interface TaskCommitter {
  /** Prepares (and, for transactions, fences older producers of the task). */
  init(): Promise<void>;
  /** Writes records and commits offsets. */
  commit(batch: CommitBatch): Promise<void>;
  /** Releases the committer. */
  close(): Promise<void>;
}

/** Where egress records outside the task's transaction go. */
export interface EgressSink {
  /** Writes records and resolves when every broker acknowledged them. */
  sendAndWait(records: EgressRecord[]): Promise<void>;
  /** Writes records without waiting (delivery `none`). */
  sendAndForget(records: EgressRecord[]): void;
}

/** How a task asks the consumer to stop or go on fetching. */
export interface TaskFlow {
  /** Stops fetching the task's ingress partitions (back-pressure; never the mailbox). */
  pauseIngress(): void;
  /** Fetches them again. */
  resumeIngress(): void;
  /** Stops fetching every partition of the task. */
  pauseAll(): void;
}

/** Limits and intervals of a task. */
export interface TaskLimits {
  /** How often an epoch is closed and committed (default 100 ms). */
  commitIntervalMs: number;
  /** Invocations running at once (default 64). */
  maxInFlight: number;
  /** Queued messages above which the ingress partitions pause (default 10 000). */
  maxQueued: number;
  /** Attempts of a throwing function before its task stops (default 5). */
  maxAttempts: number;
  /** First retry delay, doubled per attempt (default 100 ms). */
  retryBackoffMs: number;
  /** Whether exactly-once egresses write in the task's transaction (the exactly-once processing guarantee). */
  transactionalEgress: boolean;
  /** What happens to an ingress record that cannot be routed (null or non-UTF-8 key): default stop. */
  unroutableRecords: RecordPolicy;
  /** Per ingress id, where it differs from `unroutableRecords`. */
  unroutableRecordsByIngress: Readonly<Record<string, RecordPolicy>>;
  /** What happens to a message whose function failed every attempt: default stop. */
  failedMessages: Exclude<RecordPolicy, { type: "skip" }>;
}

/** `stop` the task at the record, `skip` it (counted and logged), or write it to a `dead-letter` topic. */
export type RecordPolicy = { type: "stop" } | { type: "skip" } | { type: "dead-letter"; topic: string };

/** Defaults of TaskLimits. */
export const DEFAULT_TASK_LIMITS: TaskLimits = {
  commitIntervalMs: 100,
  maxInFlight: 64,
  maxQueued: 10_000,
  maxAttempts: 5,
  retryBackoffMs: 100,
  transactionalEgress: true,
  unroutableRecords: { type: "stop" },
  unroutableRecordsByIngress: {},
  failedMessages: { type: "stop" },
};

/** Why a task stopped processing. */
export interface TaskFailure {
  /** What happened. */
  reason: string;
  /** The record it stopped at, if one. */
  origin?: RecordOrigin;
  /** The address whose function failed, if one. */
  address?: string;
}

/** A task's life: restoring, running, halting (committing up to a bad record), failed, draining, closed. */
export type TaskStatus = "restoring" | "running" | "halting" | "failed" | "draining" | "closed";

/** Counters of one function type in one task, named after StateFun's metrics. */
export interface FunctionCounters {
  /** Messages the function received (invocations done). */
  in: number;
  /** Messages it sent to addresses of the same task. */
  outLocal: number;
  /** Messages it sent to addresses of other tasks. */
  outRemote: number;
  /** Records it sent to egresses. */
  outEgress: number;
  /** Invocations that failed for good. */
  failures: number;
  /** Messages waiting for it. */
  backlog: number;
}

/** What a task reports. */
export interface TaskReport {
  /** The task number. */
  task: number;
  /** Its status. */
  status: TaskStatus;
  /** Why it stopped, when failed or halting. */
  failure?: TaskFailure;
  /** Messages waiting. */
  queued: number;
  /** Invocations running. */
  inFlight: number;
  /** Invocations done. */
  invocations: number;
  /** Epochs committed. */
  commits: number;
  /** Times the ingress partitions were paused for back-pressure. */
  ingressPauses: number;
  /** Addresses with state. */
  addresses: number;
  /** Pending timers. */
  timers: number;
  /** Offsets committed last, by `topic/partition`. */
  committedOffsets: Record<string, number>;
  /** Counters per function type. */
  functions: Record<string, FunctionCounters>;
  /** Total commit time and count (for a mean commit latency). */
  commitSeconds: { sum: number; count: number };
  /** Changelog records read by the last restore. */
  restoredRecords: number;
  /** While restoring: the changelog position reached and the offset to reach. */
  restore?: { position: number; until: number };
  /** Records functions sent, per egress id. */
  egressRecords: Record<string, number>;
  /** Unroutable records skipped. */
  skipped: number;
  /** Records and messages written to a dead-letter topic. */
  deadLettered: number;
}

interface Envelope extends MailboxMessage {
  epoch: Epoch;
  origin: RecordOrigin;
}

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
}

/** Offsets are re-committed this often even when idle: groups without members lose offsets after a retention time. */
const RECOMMIT_INTERVAL_MS = 10 * 60_000;
/** Expired state of idle addresses is swept this often. */
const SWEEP_INTERVAL_MS = 60_000;

/** One task of the app on this instance. */
export class Task {
  readonly task: number;
  readonly #options: TaskOptions;
  readonly #limits: TaskLimits;
  readonly #log: Logger;
  readonly #state = new TaskState();
  readonly #queues = new Map<string, Envelope[]>();
  #ready: string[] = [];
  #readyHead = 0;
  #queued = 0;
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
  #ticker: ReturnType<typeof setInterval> | undefined;
  #lastRecommit = Date.now();
  #lastSweep = Date.now();
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
    this.#ticker = setInterval(() => this.#tick(), this.#limits.commitIntervalMs);
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
    if (!this.#ingressPaused && this.#queued > this.#limits.maxQueued) {
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
    clearInterval(this.#ticker);
    this.#queues.clear();
    this.#ready = [];
    this.#readyHead = 0;
    this.#queued = 0;
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
      queued: this.#queued,
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
    return `task ${this.task}: ${this.#queued} queued messages, ${this.#inFlight} running invocations, ` +
      `${epochs} uncommitted epochs`;
  }

  #enqueue(envelope: Envelope): void {
    const key = addressKey(envelope.target);
    const queue = this.#queues.get(key);
    envelope.epoch.outstanding++;
    this.#queued++;
    this.#counters(envelope.target.typename).backlog++;
    if (queue === undefined) {
      this.#queues.set(key, [envelope]);
      this.#ready.push(key);
    } else {
      queue.push(envelope);
    }
  }

  #dispatch(): void {
    while (this.#inFlight < this.#limits.maxInFlight && this.#readyHead < this.#ready.length && this.#processing()) {
      const key = this.#ready[this.#readyHead++];
      this.#inFlight++;
      void this.#run(key);
    }
    if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
  }

  #processing(): boolean {
    return this.#status === "running" || this.#status === "halting" || this.#status === "draining";
  }

  async #run(key: string): Promise<void> {
    const queue = this.#queues.get(key)!;
    const envelope = queue[0];
    const ok = await this.#invoke(envelope);
    this.#inFlight--;
    if (!ok || !this.#processing()) return;
    this.#queued--;
    this.#invocations++;
    const counters = this.#counters(envelope.target.typename);
    counters.backlog--;
    counters.in++;
    envelope.epoch.outstanding--;
    queue.shift();
    if (queue.length === 0) this.#queues.delete(key);
    else this.#ready.push(key);
    if (this.#ingressPaused && this.#queued <= this.#limits.maxQueued / 2 && this.#status === "running") {
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
    for (let attempt = 1;; attempt++) {
      const now = Date.now();
      try {
        const read = this.#state.read(target, spec.valueSpecs, now);
        const result = await invokeFunction(spec, {
          self: target,
          caller: envelope.caller,
          argument: envelope.argument,
          state: read.values,
        });
        if (!this.#processing()) return false;
        const egress = result.egress.map((message) => routeEgressMessage(message, this.#options.plan.egresses));
        this.#checkTimers(target, result);
        envelope.epoch.log(read.writes);
        this.#apply(envelope, result, egress, now);
        return true;
      } catch (error) {
        if (!this.#processing()) return false;
        const fields = { address: target.toString(), ...envelope.origin, attempt };
        if (attempt >= this.#limits.maxAttempts) {
          this.#counters(target.typename).failures++;
          this.#log.error(`function failed ${attempt} times: ${describeError(error)}`, fields);
          const policy = this.#limits.failedMessages;
          if (policy.type === "dead-letter") {
            this.#deadLettered++;
            const { argument } = envelope;
            envelope.epoch.records.push(
              deadLetter(policy.topic, UTF8.encode(target.id), argument.value, envelope.origin, {
                reason: `${target.typename} failed ${attempt} times: ${describeError(error)}`,
                address: target.toString(),
                typename: argument.typename,
                ...(envelope.caller === null ? {} : { caller: envelope.caller.toString() }),
              }),
            );
            return true;
          }
          this.#fail({
            reason: `${target.typename} failed ${attempt} times: ${describeError(error)}`,
            origin: envelope.origin,
            address: target.toString(),
          });
          return false;
        }
        this.#log.warn(`function failed, retrying: ${describeError(error)}`, fields);
        await new Promise((resolve) => setTimeout(resolve, this.#limits.retryBackoffMs * 2 ** (attempt - 1)));
        if (!this.#processing()) return false;
      }
    }
  }

  /** A duplicate pending cancellation token of the same sender is an error, as in StateFun. */
  #checkTimers(sender: Address, result: InvocationResult): void {
    const overlay = new Map<string, boolean>();
    for (const effect of result.delayed) {
      if (effect.kind === "cancel") {
        overlay.set(effect.cancellationToken, false);
      } else if (effect.cancellationToken !== undefined) {
        const token = effect.cancellationToken;
        if (overlay.get(token) ?? this.#state.hasTimer(sender, token)) {
          throw new Error(`${sender} already has a pending delayed message with cancellation token "${token}"`);
        }
        overlay.set(token, true);
      }
    }
  }

  #counters(typename: string): FunctionCounters {
    let counters = this.#functions.get(typename);
    if (counters === undefined) {
      counters = { in: 0, outLocal: 0, outRemote: 0, outEgress: 0, failures: 0, backlog: 0 };
      this.#functions.set(typename, counters);
    }
    return counters;
  }

  #apply(envelope: Envelope, result: InvocationResult, egress: EgressRecord[], now: number): void {
    const { epoch, target } = envelope;
    const counters = this.#counters(target.typename);
    counters.outEgress += egress.length;
    for (const { egress: spec } of egress) {
      this.#egressRecords.set(spec.id, (this.#egressRecords.get(spec.id) ?? 0) + 1);
    }
    epoch.log(this.#state.write(target, result.mutations, now));
    for (const message of result.sent) {
      const record = this.#mailboxRecord({
        target: message.targetAddress,
        caller: target,
        argument: message.typedValue,
      });
      if (record.partition === this.task) counters.outLocal++;
      else counters.outRemote++;
      epoch.records.push(record);
    }
    for (const effect of result.delayed) {
      if (effect.kind === "cancel") {
        const write = this.#state.cancelTimer(target, effect.cancellationToken);
        if (write !== undefined) epoch.log([write]);
        continue;
      }
      epoch.log([this.#state.addTimer({
        sender: target,
        id: effect.cancellationToken ?? `~${crypto.randomUUID()}`,
        fireAt: now + effect.delayMs,
        target: effect.message.targetAddress,
        argument: effect.message.typedValue,
      })]);
    }
    const forget: EgressRecord[] = [];
    for (const routed of egress) {
      const semantic = routed.egress.deliverySemantic.type;
      if (semantic === "none") forget.push(routed);
      else if (semantic === "exactly-once" && this.#limits.transactionalEgress) epoch.records.push(routed.record);
      else epoch.atLeastOnce.push(routed);
    }
    if (forget.length > 0) this.#options.egress.sendAndForget(forget);
  }

  #mailboxRecord(message: MailboxMessage): OutgoingRecord {
    const { key, value } = encodeMailboxMessage(message);
    // The key is the target id's UTF-8 bytes, so its hash is the target's task.
    return {
      topic: this.#options.plan.mailboxTopic,
      partition: partitionOfKey(key, this.#options.taskCount),
      key,
      value,
    };
  }

  #setOffset(offset: GroupOffset): void {
    this.#positions.set(`${offset.topic}/${offset.partition}`, offset);
    this.#open.commitOffset(offset);
  }

  #tick(): void {
    const now = Date.now();
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
    for (const { timer, write } of this.#state.popDueTimers(now, 10_000)) {
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
      clearInterval(this.#ticker);
      this.#options.onStopped(this, "failed");
    }
    this.#checkDrained();
    // An epoch that closed while this one committed may be ready already.
    this.#tick();
  }

  #checkDrained(): void {
    if (this.#drained === undefined) return;
    const idle = !this.#committing && this.#closed === undefined && this.#open.empty && this.#queued === 0;
    if (idle || !this.#processing()) {
      clearInterval(this.#ticker);
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
    clearInterval(this.#ticker);
    this.#options.flow.pauseAll();
    this.#open = new Epoch();
    if (!this.#committing) this.#closed = undefined;
    this.#queues.clear();
    this.#ready = [];
    this.#readyHead = 0;
    this.#queued = 0;
    this.#checkDrained();
  }
}

const UTF8 = new TextEncoder();

/** A dead-letter record: the original key and value, and headers saying why and where from. */
function deadLetter(
  topic: string,
  key: Uint8Array | null,
  value: Uint8Array | null,
  origin: RecordOrigin,
  reasons: Record<string, string>,
): OutgoingRecord {
  const headers: Record<string, string> = {
    "eddy.origin.topic": origin.topic,
    "eddy.origin.partition": String(origin.partition),
    "eddy.origin.offset": String(origin.offset),
  };
  for (const [name, text] of Object.entries(reasons)) headers[`eddy.${name}`] = text;
  return { topic, key, value, headers };
}

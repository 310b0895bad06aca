/**
 * A task's types and ports: its limits and record policies, its status and report, and what it needs from outside —
 * an egress sink for records outside its transaction and flow control of the consumer. Its committer is
 * runtime/ports.ts `TaskCommitter`; its clock is clock.ts.
 *
 * @module
 */

import type { AppPlan } from "../app_plan.ts";
import type { EgressRecord } from "../egress_router.ts";
import type { Logger } from "../logger.ts";
import type { TaskCommitter } from "../ports.ts";
import type { RecordOrigin } from "../routing.ts";
import type { CallableFunction } from "./callable.ts";
import type { Clock } from "./clock.ts";
import type { StateStore } from "../../state/state_store.ts";
import type { TaskStatus } from "./task_status.ts";

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
  /**
   * How long a closed epoch waits for its messages before those still not done are carried past its commit
   * (persisted as pending in its changelog, their effects going to a later epoch): a slow remote call then delays
   * no other address's commit by more than this (default 1000 ms). A function type whose last call took this long
   * or longer has its messages carried at the first tick after their epoch closed.
   */
  carryOverAfterMs: number;
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
  /** Every nth record of a partition (by offset) has its walk logged, stage by stage (record_trace.ts); 0: none. */
  traceEvery: number;
}

/** `stop` the task at the record, `skip` it (counted and logged), or write it to a `dead-letter` topic. */
export type RecordPolicy = { type: "stop" } | { type: "skip" } | { type: "dead-letter"; topic: string };

/** Defaults of TaskLimits. */
export const DEFAULT_TASK_LIMITS: TaskLimits = {
  commitIntervalMs: 100,
  carryOverAfterMs: 1000,
  maxInFlight: 64,
  maxQueued: 10_000,
  maxAttempts: 5,
  retryBackoffMs: 100,
  transactionalEgress: true,
  unroutableRecords: { type: "stop" },
  unroutableRecordsByIngress: {},
  failedMessages: { type: "stop" },
  traceEvery: 0,
};

/** Why a task stopped processing. */
export interface TaskFailure {
  /** What happened. */
  reason: string;
  /** The record it stopped at, if one. */
  origin?: RecordOrigin;
  /** The address whose function failed, if one. */
  address?: string;
  /** The failure may pass by itself (a remote endpoint that did not answer): the task starts over after a while. */
  transient?: boolean;
}

export type { TaskStatus } from "./task_status.ts";

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
  /** Messages carried past a commit (persisted as pending while their call ran on). */
  carriedOver: number;
  /** State values committed (each address holds one per state it has). */
  stateValues: number;
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
  restore?: RestoreProgress;
  /** Records functions sent, per egress id. */
  egressRecords: Record<string, number>;
  /** Unroutable records skipped. */
  skipped: number;
  /** Records and messages written to a dead-letter topic. */
  deadLettered: number;
}

/** How far a task's restore got: the changelog offset reached and the one to reach, its rate and what is left. */
export interface RestoreProgress {
  /** The changelog offset reached. */
  position: number;
  /** The last-stable offset it reads to. */
  until: number;
  /** Changelog records left to read. */
  remaining: number;
  /** Records read per second so far. */
  recordsPerSecond: number;
}

/** Everything a task needs. */
export interface TaskOptions {
  /** The task number p. */
  task: number;
  /** N. */
  taskCount: number;
  /** The app. */
  plan: AppPlan;
  /** The function of a type (in-process or remote), if bound. */
  functions(typename: string): CallableFunction | undefined;
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
  onStopped(outcome: "failed" | "commit-failed" | "fenced"): void;
  /** Limits (defaults: DEFAULT_TASK_LIMITS). */
  limits?: Partial<TaskLimits>;
  /** Time (default: the system clock). */
  clock?: Clock;
  /** The committed state (default: a new in-memory store). */
  store?: StateStore;
}

/**
 * A task's status as a small state machine: restoring → running → halting (committing up to a record it cannot
 * process) / draining (a graceful stop) / failed → closed. Every change goes through `to`, which refuses a transition
 * the table does not allow — a task that is closed never runs again, a failed one never drains.
 *
 * @module
 */

import type { TaskFailure } from "./types.ts";

/** A task's life: restoring, running, halting (committing up to a bad record), failed, draining, closed. */
export type TaskStatus = "restoring" | "running" | "halting" | "failed" | "draining" | "closed";

/** The allowed transitions (staying in a status is always allowed). */
const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  restoring: ["running", "failed", "closed"],
  running: ["halting", "draining", "failed", "closed"],
  halting: ["draining", "failed", "closed"],
  draining: ["failed", "closed"],
  failed: ["closed"],
  closed: [],
};

/** A transition the table does not allow: a defect of the runtime, never an input's fault. */
export class TaskStatusError extends Error {
  /**
   * @param task The task.
   * @param from Its status.
   * @param to The status asked for.
   */
  constructor(readonly task: number, readonly from: TaskStatus, readonly to: TaskStatus) {
    super(`task ${task}: ${from} → ${to} is not an allowed transition`);
    this.name = "TaskStatusError";
  }
}

/** The status of one task, and why it stopped. */
export class TaskStatusMachine {
  #status: TaskStatus = "restoring";
  #failure: TaskFailure | undefined;

  /** @param task The task number (for errors). */
  constructor(readonly task: number) {}

  /** The status now. */
  get status(): TaskStatus {
    return this.#status;
  }

  /** Why the task stopped (failed or halting), if it did. */
  get failure(): TaskFailure | undefined {
    return this.#failure;
  }

  /** Whether it runs invocations and commits: running, halting or draining. */
  get processing(): boolean {
    const status = this.#status;
    return status === "running" || status === "halting" || status === "draining";
  }

  /** Whether `to(next)` would be allowed. */
  can(next: TaskStatus): boolean {
    return next === this.#status || TRANSITIONS[this.#status].includes(next);
  }

  /**
   * Moves to `next`, with the failure that caused it (halting, failed).
   *
   * @throws {TaskStatusError} for a transition the table does not allow.
   */
  to(next: TaskStatus, failure?: TaskFailure): void {
    if (!this.can(next)) throw new TaskStatusError(this.task, this.#status, next);
    this.#status = next;
    if (failure !== undefined) this.#failure = failure;
  }
}

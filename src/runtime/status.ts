/**
 * What the runtime reports about an instance: its tasks, the ingresses' offsets and lag, how a stop went, and where
 * an operator's offset reset moves an ingress.
 *
 * @module
 */

import type { Address } from "../sdk/address.ts";
import type { ValueSpec } from "../sdk/function_spec.ts";
import type { TypedValue } from "../sdk/typed_value.ts";
import type { TaskReport, TaskStatus } from "./task/types.ts";

/** What the runtime shows of one of its tasks. */
export interface TaskView {
  /** The task number. */
  readonly task: number;
  /** Its status. */
  readonly status: TaskStatus;
  /** Its counters, offsets and failure. */
  report(): TaskReport;
  /** Its state: an address's values for the given states, as stored. */
  readonly state: { peek(address: Address, specs: readonly ValueSpec[]): Map<string, TypedValue> };
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

/** How a stop went. */
export interface StopReport {
  /** True when every task committed its work and the instance left the group in time. */
  clean: boolean;
  /** What was abandoned, one line per task, when not clean. */
  abandoned: string[];
}

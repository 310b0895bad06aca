/**
 * What a task counts for its report and metrics: invocations, pauses, carried messages, skipped and dead-lettered
 * records, and per function type and egress. One object the task's parts increment; the report copies it.
 *
 * @module
 */

import type { FunctionCounters } from "./types.ts";

/** A task's counters. */
export class TaskCounters {
  /** Invocations done (a batch counts its messages). */
  invocations = 0;
  /** Times the ingress partitions were paused for back-pressure. */
  ingressPauses = 0;
  /** Messages carried past a commit. */
  carriedOver = 0;
  /** Unroutable records skipped. */
  skipped = 0;
  /** Records and messages written to a dead-letter topic. */
  deadLettered = 0;
  /** Per function type. */
  readonly functions = new Map<string, FunctionCounters>();
  /** Records sent per egress id. */
  readonly egressRecords = new Map<string, number>();

  /** The counters of a function type (made on first use). */
  of(typename: string): FunctionCounters {
    let counters = this.functions.get(typename);
    if (counters === undefined) {
      counters = { in: 0, outLocal: 0, outRemote: 0, outEgress: 0, failures: 0, backlog: 0 };
      this.functions.set(typename, counters);
    }
    return counters;
  }

  /** Counts a record sent to an egress. */
  egressRecord(egressId: string): void {
    this.egressRecords.set(egressId, (this.egressRecords.get(egressId) ?? 0) + 1);
  }
}

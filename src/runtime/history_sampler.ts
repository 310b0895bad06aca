/**
 * The instance's recent history, for the dashboard's charts: every `intervalMs` (default 5 s) it samples records in
 * per second per ingress, records out per second per egress, the mean commit time and the lag of each ingress, into a
 * fixed ring (history_ring.ts) holding the last 15 minutes. It adds no work per record: the rates are differences of
 * what the tasks already keep — each partition's position (the offset after the records taken in, which the next
 * commit commits), the records sent per egress and the time spent committing (TaskReport) — and the lag is one
 * offsets read per ingress and sample (`ingressLag`, as the control API's offsets route computes it).
 *
 * @module
 */

import { HistoryRing } from "./history_ring.ts";
import { type Clock, systemClock } from "./task/clock.ts";
import type { TaskReport } from "./task/types.ts";

/** How far back the history goes. */
export const HISTORY_WINDOW_MS = 15 * 60_000;

/** The most samples kept: below a 1 s interval the ring covers 900 intervals, not 15 minutes (memory stays bounded). */
export const MAX_HISTORY_SAMPLES = 900;

/** The shortest sampling interval: each sample reads every ingress's offsets from Kafka. */
export const MIN_HISTORY_INTERVAL_MS = 100;

/** A task as the sampler reads it; the object's identity tells a task started over (its counters anew) from the same. */
export interface HistoryTask {
  /** Its counters. */
  report(): Pick<TaskReport, "egressRecords" | "commitSeconds">;
  /** Each partition's position: the offset after the records taken in (from the start position on). */
  positions(): readonly { topic: string; partition: number; offset: number }[];
}

/** What the sampler reads. */
export interface HistorySource {
  /** The ingresses, with the topics each reads. */
  readonly ingresses: readonly { readonly id: string; readonly topics: readonly string[] }[];
  /** The egress ids. */
  readonly egresses: readonly string[];
  /** The tasks on this instance now. */
  tasks(): readonly HistoryTask[];
  /** The ingress's lag over all its partitions (log-end − committed), or null when unknown. */
  ingressLag(id: string): Promise<number | null>;
}

/** The recent history as the control API serves it: per series, one value per sample time (null where unknown). */
export interface RecentHistory {
  /** The sampling interval. */
  intervalMs: number;
  /** Samples kept at most. */
  capacity: number;
  /** The time the ring covers when full: capacity × interval. */
  windowMs: number;
  /** Bytes of the ring's arrays: 8 × capacity × (2 + 2 × ingresses + egresses), fixed. */
  bytes: number;
  /** Sample times (ms since the epoch), oldest first. */
  at: number[];
  /** Mean time of the commits that ended in each interval, in ms (null: no commit). */
  commitMs: (number | null)[];
  /** Per ingress: records taken in per second (the offsets its partitions' positions advanced) and its lag. */
  ingresses: { id: string; recordsPerSecond: (number | null)[]; lag: (number | null)[] }[];
  /** Per egress: records functions sent per second. */
  egresses: { id: string; recordsPerSecond: (number | null)[] }[];
}

/** Options of the sampler. */
export interface HistorySamplerOptions {
  /** Sampling interval in ms (at least MIN_HISTORY_INTERVAL_MS). */
  intervalMs: number;
  /** Time (default: the system clock). */
  clock?: Clock;
}

/** What the sampler kept of a task at the last sample. */
interface TaskCounts {
  egress: Record<string, number>;
  commitSeconds: number;
  commits: number;
}

/**
 * The number of samples kept for an interval: 15 minutes of them, at most MAX_HISTORY_SAMPLES.
 *
 * @throws {RangeError} for an interval below MIN_HISTORY_INTERVAL_MS.
 */
export function historyCapacity(intervalMs: number): number {
  if (!Number.isFinite(intervalMs) || intervalMs < MIN_HISTORY_INTERVAL_MS) {
    throw new RangeError(
      `historyIntervalMs must be at least ${MIN_HISTORY_INTERVAL_MS} ms, not ${intervalMs}: each sample reads the ` +
        `ingresses' offsets from Kafka`,
    );
  }
  return Math.min(MAX_HISTORY_SAMPLES, Math.ceil(HISTORY_WINDOW_MS / intervalMs));
}

/** Samples an instance into its ring every interval. */
export class HistorySampler {
  readonly #source: HistorySource;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #ring: HistoryRing;
  /** Which ingress reads a topic. */
  readonly #ingressOfTopic = new Map<string, number>();
  #stopTimer: (() => void) | undefined;
  /** The sample waiting for its lags, if one. */
  #sampling: Promise<void> | undefined;
  #lastAt: number;
  #lastTasks = new Map<HistoryTask, TaskCounts>();
  /** The position of every ingress partition of this instance's tasks at the last sample, by `topic/partition`. */
  #lastOffsets = new Map<string, number>();
  /** Ticks that came while the previous sample still waited for Kafka (no sample for them). */
  skipped = 0;

  /**
   * Allocates the ring; `start()` samples.
   *
   * @throws {RangeError} for an interval below MIN_HISTORY_INTERVAL_MS.
   */
  constructor(source: HistorySource, options: HistorySamplerOptions) {
    const capacity = historyCapacity(options.intervalMs);
    this.#source = source;
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = options.intervalMs;
    source.ingresses.forEach((ingress, i) => ingress.topics.forEach((topic) => this.#ingressOfTopic.set(topic, i)));
    this.#ring = new HistoryRing(capacity, [
      "commitMs",
      ...source.ingresses.flatMap((ingress) => [`${ingress.id} in`, `${ingress.id} lag`]),
      ...source.egresses.map((id) => `${id} out`),
    ]);
    this.#lastAt = this.#clock.now();
  }

  /** Samples every interval from now on (the rates of the first sample count from now). */
  start(): void {
    if (this.#stopTimer !== undefined) return;
    this.#lastAt = this.#clock.now();
    this.#lastTasks = new Map();
    this.#lastOffsets = new Map();
    this.#sampleCounters(this.#lastAt); // the baseline
    this.#stopTimer = this.#clock.every(this.#intervalMs, () => this.#tick());
  }

  /** Stops sampling; what was sampled stays readable. */
  stop(): void {
    this.#stopTimer?.();
    this.#stopTimer = undefined;
  }

  /** Resolves once the sample waiting for its lags, if any, is in the ring. */
  async settled(): Promise<void> {
    await this.#sampling;
  }

  /** The history so far. */
  read(): RecentHistory {
    const { at, values } = this.#ring.read();
    const ingresses = this.#source.ingresses.map((ingress, i) => ({
      id: ingress.id,
      recordsPerSecond: values[1 + 2 * i],
      lag: values[2 + 2 * i],
    }));
    const first = 1 + 2 * ingresses.length;
    return {
      intervalMs: this.#intervalMs,
      capacity: this.#ring.capacity,
      windowMs: this.#ring.capacity * this.#intervalMs,
      bytes: this.#ring.bytes,
      at,
      commitMs: values[0],
      ingresses,
      egresses: this.#source.egresses.map((id, e) => ({ id, recordsPerSecond: values[first + e] })),
    };
  }

  #tick(): void {
    if (this.#sampling !== undefined) {
      this.skipped++;
      return;
    }
    const at = this.#clock.now();
    const counters = this.#sampleCounters(at);
    this.#sampling = (async () => {
      const lags = await Promise.all(
        this.#source.ingresses.map((ingress) => this.#source.ingressLag(ingress.id).catch(() => null)),
      );
      const perIngress = this.#source.ingresses.flatMap((_, i) => [counters.in[i], lags[i]]);
      this.#ring.push(at, [counters.commitMs, ...perIngress, ...counters.out]);
    })().finally(() => this.#sampling = undefined);
  }

  /**
   * The rates since the last sample, from the tasks' counters. A task object not seen before (assigned or started
   * over since) counts from zero; a partition seen for the first time counts from its position then (a task's start
   * position, unless the sample came between its start and its first records).
   */
  #sampleCounters(at: number): { commitMs: number | null; in: number[]; out: number[] } {
    const seconds = Math.max(at - this.#lastAt, 1) / 1000;
    const tasks = this.#source.tasks();
    const egresses = this.#source.egresses;
    const out = egresses.map(() => 0);
    let commitSeconds = 0;
    let commits = 0;
    const counts = new Map<HistoryTask, TaskCounts>();
    const offsets = new Map<string, number>();
    for (const task of tasks) {
      const report = task.report();
      const now = {
        egress: { ...report.egressRecords },
        commitSeconds: report.commitSeconds.sum,
        commits: report.commitSeconds.count,
      };
      for (const { topic, partition, offset } of task.positions()) {
        if (this.#ingressOfTopic.has(topic)) offsets.set(`${topic}/${partition}`, offset);
      }
      const before = this.#lastTasks.get(task);
      egresses.forEach((id, e) => out[e] += Math.max(0, (now.egress[id] ?? 0) - (before?.egress[id] ?? 0)));
      commitSeconds += now.commitSeconds - (before?.commitSeconds ?? 0);
      commits += now.commits - (before?.commits ?? 0);
      counts.set(task, now);
    }
    const records = this.#source.ingresses.map(() => 0);
    for (const [key, offset] of offsets) {
      const before = this.#lastOffsets.get(key);
      if (before !== undefined && offset > before) records[this.#ingressOfTopic.get(topicOf(key))!] += offset - before;
    }
    this.#lastAt = at;
    this.#lastTasks = counts;
    this.#lastOffsets = offsets;
    return {
      commitMs: commits > 0 ? round(commitSeconds * 1000 / commits) : null,
      in: records.map((n) => round(n / seconds)),
      out: out.map((n) => round(n / seconds)),
    };
  }
}

/** The topic of a `topic/partition` key (a topic name has no slash). */
function topicOf(key: string): string {
  return key.slice(0, key.lastIndexOf("/"));
}

/** Two decimals are enough for a chart and keep the answer short. */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Restores a task's state: reads its changelog partition to the last-stable offset through the app consumer (the
 * partition is fetched only while it restores) and applies every record to the task's state store — from the
 * store's checkpoint when that is safe (restore_start.ts), else from the start into an emptied store. Each fetched
 * batch moves the checkpoint along, so a restore cut short resumes where it stopped.
 *
 * @module
 */

import type { Logger } from "./logger.ts";
import type { AppConsumerPort, ClusterAdmin, RecordHandoff } from "./ports.ts";
import { type RestoreStart, restoreStart } from "./restore_start.ts";
import type { RecordOrigin } from "./routing.ts";
import { ChangelogRecordError } from "../state/task_state.ts";
import type { Task } from "./task/task.ts";

/** A changelog record that is not Eddy's: the task cannot be restored past it (never applied, never skipped). */
export class CorruptChangelogError extends Error {
  /**
   * Creates it.
   *
   * @param origin Where the record is.
   * @param reason Why it cannot be read.
   */
  constructor(readonly origin: RecordOrigin, reason: string) {
    super(
      `cannot restore task ${origin.partition}: the record at ${origin.topic}/${origin.partition}@${origin.offset} ` +
        `is not an Eddy changelog record (${reason})`,
    );
    this.name = "CorruptChangelogError";
  }
}

/** How often a long restore logs its progress. */
const PROGRESS_LOG_MS = 5_000;

/** Kafka's default `delete.retention.ms`, when the broker does not say. */
const DEFAULT_DELETE_RETENTION_MS = 86_400_000;

/** What a restore did. */
export interface RestoreResult extends RestoreStart {
  /** Changelog records read. */
  restored: number;
}

/** The changelog reads of the tasks being restored. */
export class ChangelogRestorer {
  readonly #restoring = new Map<Task, { accept(handoff: RecordHandoff): void; abort(): void }>();
  #deleteRetentionMs: Promise<number> | undefined;

  /**
   * @param admin For the partition's offsets.
   * @param consumer The app consumer (subscribed to the changelog).
   * @param topic `<app>-changelog`.
   */
  constructor(readonly admin: ClusterAdmin, readonly consumer: AppConsumerPort, readonly topic: string) {}

  /**
   * Reads task p's changelog partition into its state store; resolves with what it read, or early when aborted.
   *
   * @throws {CorruptChangelogError} naming a changelog record that cannot be read.
   */
  async restore(task: Task, p: number, log?: Logger): Promise<RestoreResult> {
    const topic = this.topic;
    const store = task.state.store;
    const offsets = (await this.admin.stableOffsets(topic)).find((o) => o.partition === p) ??
      { partition: p, low: 0, lastStable: 0 };
    const start = restoreStart(store.checkpoint, offsets, await this.#retention(), Date.now());
    if (start.full) task.state.clear();
    if (start.from >= offsets.lastStable) {
      if (start.full) store.apply([], { offset: offsets.lastStable, writtenAt: Date.now() });
      return { ...start, restored: 0 };
    }
    let restored = 0;
    const started = performance.now();
    let logged = started;
    const progress = (position: number) => {
      const seconds = (performance.now() - started) / 1000;
      task.restoreProgress = {
        position,
        until: offsets.lastStable,
        remaining: Math.max(0, offsets.lastStable - position),
        recordsPerSecond: seconds > 0 ? Math.round(restored / seconds) : 0,
      };
      if (log !== undefined && performance.now() - logged >= PROGRESS_LOG_MS) {
        logged = performance.now();
        const { remaining, recordsPerSecond } = task.restoreProgress;
        const left = recordsPerSecond > 0 ? `, about ${Math.ceil(remaining / recordsPerSecond)} s left` : "";
        log.info(`restoring: ${restored} records read, ${remaining} to go, ${recordsPerSecond} records/s${left}`);
      }
    };
    progress(start.from);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#restoring.set(task, {
          accept: (handoff) => {
            try {
              applyChangelog(task, topic, handoff);
              restored += handoff.records.length;
              progress(handoff.nextOffset);
              if (handoff.nextOffset >= offsets.lastStable) resolve();
            } catch (error) {
              reject(error);
            }
          },
          abort: () => resolve(), // the caller sees the task is no longer current
        });
        this.consumer.seek(topic, p, start.from);
        this.consumer.resumeTask(p, [topic]);
      });
    } finally {
      this.#restoring.delete(task);
      this.consumer.pauseTask(p, [topic]);
    }
    return { ...start, restored };
  }

  /** The changelog's `delete.retention.ms` (read once). */
  #retention(): Promise<number> {
    this.#deleteRetentionMs ??= this.admin.topicConfig(this.topic, "delete.retention.ms").then(
      (value) => value === undefined ? DEFAULT_DELETE_RETENTION_MS : Number(value),
      () => DEFAULT_DELETE_RETENTION_MS,
    );
    return this.#deleteRetentionMs;
  }

  /** Takes fetched changelog records of a task being restored (others are dropped). */
  accept(task: Task, handoff: RecordHandoff): void {
    this.#restoring.get(task)?.accept(handoff);
  }

  /** Gives up a task's restore (the task moved, or the instance stops). */
  abort(task: Task): void {
    this.#restoring.get(task)?.abort();
  }
}

/**
 * Applies a fetched batch of changelog records to a task's state, with the checkpoint after it.
 *
 * @throws {CorruptChangelogError} naming the changelog record that cannot be read (nothing of the batch is applied).
 */
function applyChangelog(task: Task, topic: string, handoff: RecordHandoff): void {
  try {
    task.state.restoreRecords(handoff.records, { offset: handoff.nextOffset, writtenAt: Date.now() });
  } catch (error) {
    if (!(error instanceof ChangelogRecordError)) throw error;
    const record = handoff.records[error.index];
    throw new CorruptChangelogError({ topic, partition: task.task, offset: record.offset }, error.message);
  }
}

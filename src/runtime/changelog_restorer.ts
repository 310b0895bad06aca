/**
 * Restores a task's state: reads its changelog partition from the start to the last-stable offset through the app
 * consumer (the partition is fetched only while it restores) and applies every record to the task's state.
 *
 * @module
 */

import { describeError, type Logger } from "./logger.ts";
import type { AppConsumerPort, ClusterAdmin, ConsumedRecord, RecordHandoff } from "./ports.ts";
import type { RecordOrigin } from "./routing.ts";
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

/** The changelog reads of the tasks being restored. */
export class ChangelogRestorer {
  readonly #restoring = new Map<Task, { accept(handoff: RecordHandoff): void; abort(): void }>();

  /**
   * @param admin For the partition's offsets.
   * @param consumer The app consumer (subscribed to the changelog).
   * @param topic `<app>-changelog`.
   */
  constructor(readonly admin: ClusterAdmin, readonly consumer: AppConsumerPort, readonly topic: string) {}

  /**
   * Reads task p's changelog partition into its state; resolves with the records read, or early when aborted.
   *
   * @throws {Error} naming a changelog record that cannot be read.
   */
  async restore(task: Task, p: number, log?: Logger): Promise<number> {
    const topic = this.topic;
    const offsets = (await this.admin.stableOffsets(topic)).find((o) => o.partition === p);
    if (offsets === undefined || offsets.lastStable <= offsets.low) return 0;
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
    progress(offsets.low);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#restoring.set(task, {
          accept: (handoff) => {
            try {
              applyChangelog(task, topic, handoff.records);
              restored += handoff.records.length;
              progress(handoff.nextOffset);
              if (handoff.nextOffset >= offsets.lastStable) resolve();
            } catch (error) {
              reject(error);
            }
          },
          abort: () => resolve(), // the caller sees the task is no longer current
        });
        this.consumer.seek(topic, p, offsets.low);
        this.consumer.resumeTask(p, [topic]);
      });
    } finally {
      this.#restoring.delete(task);
      this.consumer.pauseTask(p, [topic]);
    }
    return restored;
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
 * Applies changelog records to a task's state.
 *
 * @throws {Error} naming the changelog record that cannot be read.
 */
function applyChangelog(task: Task, topic: string, records: ConsumedRecord[]): void {
  for (const record of records) {
    try {
      if (record.key === null) throw new Error("a changelog record without key");
      task.state.restore(record.key, record.value);
    } catch (error) {
      throw new CorruptChangelogError({ topic, partition: task.task, offset: record.offset }, describeError(error));
    }
  }
}

/**
 * A task's commit cycle: the open epoch takes the effects and offsets of what arrives; on a tick it closes (when it
 * holds anything) and a new one opens; a closed epoch commits — records outside the transaction first, then its
 * changelog, mailbox and egress records with its offsets through the committer — once its messages are done. One
 * epoch commits at a time, in order (epoch.ts: the consistent cut). A committed epoch's changelog writes then reach
 * the task's state store, with the changelog offset after them as its checkpoint; until then the task state reads
 * them from their epoch (`unflushed`).
 *
 * @module
 */

import type { AppPlan } from "../app_plan.ts";
import type { Logger } from "../logger.ts";
import type { ChangelogWrite } from "../../state/state_store.ts";
import { encodeWrite, type TaskState, type UncommittedWrite } from "../../state/task_state.ts";
import type { OutgoingRecord, TaskCommitter } from "../ports.ts";
import { Epoch } from "./epoch.ts";
import type { EgressSink } from "./types.ts";

/** What the commit cycle needs. */
export interface CommitCycleOptions {
  /** The task number (its changelog partition). */
  task: number;
  /** The app (the changelog topic). */
  plan: AppPlan;
  /** Commits epochs. */
  committer: TaskCommitter;
  /** Egress records outside the transaction, awaited before a commit. */
  egress: EgressSink;
  /** The task's log. */
  log: Logger;
  /** The task's state: a committed epoch's changelog writes reach its store. */
  state: TaskState;
}

/** The epochs of a task and their commits. */
export class CommitCycle {
  readonly #options: CommitCycleOptions;
  #open = new Epoch();
  /** When the open epoch opened (0: at the start, so the first tick closes it). */
  #openedAt = 0;
  #closed: Epoch | undefined;
  #unflushed: readonly ReadonlyMap<string, UncommittedWrite>[] = [this.#open.changelog];
  #committing = false;
  /** The task released its store: a commit that ends now flushes nothing (restore_start.ts: that is safe). */
  #released = false;
  /** A commit failed: nothing commits after it (the task starts over with a new cycle). */
  #failed = false;
  /** Epochs committed. */
  commits = 0;
  /** Total time spent committing, in seconds. */
  commitSeconds = 0;
  /** The offsets committed last, by `topic/partition`. */
  readonly committed = new Map<string, number>();

  /** @param options What it needs. */
  constructor(options: CommitCycleOptions) {
    this.#options = options;
  }

  /** The epoch that takes what arrives now. */
  get open(): Epoch {
    return this.#open;
  }

  /** Whether nothing is open, closed or committing. */
  get idle(): boolean {
    return !this.#committing && this.#closed === undefined && this.#open.empty;
  }

  /** Whether nothing waits to be committed (a commit may still be running). */
  get settled(): boolean {
    return this.#closed === undefined && this.#open.empty;
  }

  /**
   * The changelog writes of the epochs not committed, newest first (the task state reads through them at every
   * state read: one array, renewed only when an epoch opens, closes or is dropped).
   */
  unflushed(): readonly ReadonlyMap<string, UncommittedWrite>[] {
    return this.#unflushed;
  }

  #epochsChanged(): void {
    this.#unflushed = this.#closed === undefined
      ? [this.#open.changelog]
      : [this.#open.changelog, this.#closed.changelog];
  }

  /** Epochs holding anything not committed. */
  pendingEpochs(): number {
    return [this.#closed, this.#open].filter((epoch) => epoch !== undefined && !epoch.empty).length;
  }

  /** The epoch that closed and waits for its messages or its commit, if one. */
  get closed(): Epoch | undefined {
    return this.#committing ? undefined : this.#closed;
  }

  /** When the open epoch opened, on the task's clock. */
  get openedAt(): number {
    return this.#openedAt;
  }

  /**
   * Closes the open epoch when `closeOpen`, it holds anything and none is waiting (commitIfReady then commits it);
   * whether it closed.
   */
  close(closeOpen: boolean, now: number): boolean {
    if (!closeOpen || this.#closed !== undefined || this.#open.empty) return false;
    this.#open.closedAt = now;
    if (this.#open.traces !== undefined) { for (const trace of this.#open.traces) trace.mark("epoch closed"); }
    this.#closed = this.#open;
    this.#open = new Epoch();
    this.#openedAt = now;
    this.#epochsChanged();
    return true;
  }

  /**
   * Commits the closed epoch once its messages are done and no other commit runs: the commit started, which resolves
   * once committed and rejects when it failed (the epoch is not committed; the task must start over), or undefined.
   */
  commitIfReady(): Promise<void> | undefined {
    const epoch = this.#closed;
    if (this.#committing || this.#failed || epoch === undefined || epoch.outstanding > 0) return undefined;
    this.#committing = true;
    return this.#commit(epoch);
  }

  /** The task closed and released its store. */
  release(): void {
    this.#released = true;
  }

  /** Drops what is not committed (the task stopped): the open epoch, and the closed one unless it is committing. */
  discard(): void {
    this.#open = new Epoch();
    if (!this.#committing) this.#closed = undefined;
    this.#epochsChanged();
  }

  async #commit(epoch: Epoch): Promise<void> {
    const started = performance.now();
    const { plan, task, log } = this.#options;
    if (epoch.traces !== undefined) { for (const trace of epoch.traces) trace.mark("commit started", started); }
    try {
      if (epoch.atLeastOnce.length > 0) await this.#options.egress.sendAndWait(epoch.atLeastOnce);
      // State values are encoded here, once per epoch and key.
      const writes: ChangelogWrite[] = [];
      const records: OutgoingRecord[] = [];
      for (const uncommitted of epoch.changelog.values()) {
        const write = encodeWrite(uncommitted);
        writes.push(write);
        records.push({ topic: plan.changelogTopic, partition: task, key: write.key, value: write.value });
      }
      for (const record of epoch.records) records.push(record);
      const written = await this.#options.committer.commit({ records, offsets: [...epoch.offsets.values()] });
      const last = written?.get(`${plan.changelogTopic}/${task}`);
      // Without the offset (no changelog record, or a client that did not say) the store's checkpoint stays where
      // it was: replaying from an older offset re-applies records the store has, which changes nothing.
      if (!this.#released) {
        this.#options.state.flush(writes, last === undefined ? undefined : { offset: last + 1, writtenAt: Date.now() });
      }
      this.commits++;
      if (epoch.traces !== undefined) {
        for (const trace of epoch.traces) {
          trace.mark("committed");
          log.info(`trace ${trace.format()}`, { task });
        }
      }
      this.commitSeconds += (performance.now() - started) / 1000;
      for (const [key, offset] of epoch.offsets) this.committed.set(key, offset.offset);
      log.debug("committed", {
        records: records.length,
        atLeastOnce: epoch.atLeastOnce.length,
        offsets: epoch.offsets.size,
        ms: Math.round(performance.now() - started),
      });
    } catch (error) {
      this.#committing = false;
      this.#failed = true;
      throw error;
    }
    this.#committing = false;
    if (this.#closed === epoch) {
      this.#closed = undefined;
      this.#epochsChanged();
    }
  }
}

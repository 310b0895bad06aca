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
import type { ChangelogWrite, Checkpoint } from "../../state/state_store.ts";
import type { OutgoingRecord, TaskCommitter } from "../ports.ts";
import { Epoch } from "./epoch.ts";
import type { EgressSink } from "./types.ts";

/** What the commit cycle needs from its task. */
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
  /** Applies a committed epoch's changelog writes to the state store (with the checkpoint, when known). */
  flush(writes: Iterable<ChangelogWrite>, checkpoint: Checkpoint | undefined): void;
  /** After each successful commit. */
  onCommitted(): void;
  /** After a failed commit (the epoch is not committed; the task must start over). */
  onFailed(error: unknown): void;
}

/** The epochs of a task and their commits. */
export class CommitCycle {
  readonly #options: CommitCycleOptions;
  #open = new Epoch();
  #closed: Epoch | undefined;
  #unflushed: readonly ReadonlyMap<string, ChangelogWrite>[] = [this.#open.changelog];
  #committing = false;
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
  unflushed(): readonly ReadonlyMap<string, ChangelogWrite>[] {
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

  /** Closes the open epoch when it holds anything and none is waiting; then commits the closed one if it can. */
  tick(closeOpen: boolean, now: number): void {
    if (closeOpen && this.#closed === undefined && !this.#open.empty) {
      this.#open.closedAt = now;
      this.#closed = this.#open;
      this.#open = new Epoch();
      this.#epochsChanged();
    }
    this.commitIfReady();
  }

  /** Commits the closed epoch once its messages are done and no other commit runs. */
  commitIfReady(): void {
    const epoch = this.#closed;
    if (this.#committing || epoch === undefined || epoch.outstanding > 0) return;
    this.#committing = true;
    void this.#commit(epoch);
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
    try {
      if (epoch.atLeastOnce.length > 0) await this.#options.egress.sendAndWait(epoch.atLeastOnce);
      const changelog: OutgoingRecord[] = [...epoch.changelog.values()].map((write) => ({
        topic: plan.changelogTopic,
        partition: task,
        key: write.key,
        value: write.value,
      }));
      const written = await this.#options.committer.commit({
        records: [...changelog, ...epoch.records],
        offsets: [...epoch.offsets.values()],
      });
      const last = written?.get(`${plan.changelogTopic}/${task}`);
      // Without the offset (no changelog record, or a client that did not say) the store's checkpoint stays where
      // it was: replaying from an older offset re-applies records the store has, which changes nothing.
      this.#options.flush(
        epoch.changelog.values(),
        last === undefined ? undefined : { offset: last + 1, writtenAt: Date.now() },
      );
      this.commits++;
      this.commitSeconds += (performance.now() - started) / 1000;
      for (const [key, offset] of epoch.offsets) this.committed.set(key, offset.offset);
      log.debug("committed", {
        records: changelog.length + epoch.records.length,
        atLeastOnce: epoch.atLeastOnce.length,
        offsets: epoch.offsets.size,
        ms: Math.round(performance.now() - started),
      });
    } catch (error) {
      this.#committing = false;
      this.#options.onFailed(error);
      return;
    }
    this.#committing = false;
    if (this.#closed === epoch) {
      this.#closed = undefined;
      this.#epochsChanged();
    }
    this.#options.onCommitted();
  }
}

/**
 * The port behind which a task keeps its committed state: changelog records by id (state values, timers, pending
 * messages), as the bytes the changelog holds. Two stores implement it: the in-memory store (memory_store.ts; every
 * start restores the whole changelog partition) and the local store on `node:sqlite` (sqlite_store.ts, `--state-dir`),
 * which keeps a checkpoint — the changelog offset it reflects — so a start reads only the changelog after it.
 *
 * A store only ever holds what a commit made durable: writes of epochs not committed yet stay in their epochs (the
 * task state reads through them), and reach the store when their commit succeeded. So a store is a prefix of the
 * committed changelog whatever way the process stopped — under both processing guarantees.
 *
 * @module
 */

/** One changelog record to write; `id` identifies the key, so later writes of an epoch replace earlier ones. */
export interface ChangelogWrite {
  /** A string form of the key: `s\0<typename>\0<state name>\0<id>` for a state value, `t…` timers, `p…` pending. */
  id: string;
  /** The key bytes. */
  key: Uint8Array;
  /** The value bytes, or null for a tombstone. */
  value: Uint8Array | null;
}

/** Where a store stands with its changelog partition. */
export interface Checkpoint {
  /** The changelog offset to read from next: every committed record before it is in the store. */
  offset: number;
  /** When it was written (ms since the epoch): compaction may drop tombstones older than `delete.retention.ms`. */
  writtenAt: number;
}

/** A task's committed state, by changelog record id. */
export interface StateStore {
  /** `memory` or `sqlite` (for logs and status). */
  readonly kind: "memory" | "sqlite";
  /** State values held. */
  readonly size: number;
  /** Where the store stands with its changelog: undefined for none (a full restore is needed). */
  readonly checkpoint: Checkpoint | undefined;
  /** The value bytes of a record, or undefined when the store has none. */
  get(id: string): Uint8Array | undefined;
  /**
   * Applies committed records (null values delete) and, when given, the checkpoint they bring the store to — both
   * or neither.
   */
  apply(writes: Iterable<ChangelogWrite>, checkpoint?: Checkpoint): void;
  /** The function types with state values held. */
  stateTypes(): string[];
  /** The state values of one function type, as `[id, value bytes]` (the expiry sweep). */
  stateOf(typename: string): Iterable<[string, Uint8Array]>;
  /** The timer and pending-message records held (a task loads them into memory when it opens). */
  records(): Iterable<{ key: Uint8Array; value: Uint8Array }>;
  /** Drops everything, checkpoint included (before a full restore). */
  clear(): void;
  /** Releases the store. */
  close(): void;
}

/** Whether a record id is a state value's. */
export function isStateId(id: string): boolean {
  return id.startsWith("s\u0000");
}

/** The function type of a state value's id. */
export function typenameOfStateId(id: string): string {
  return id.slice(2, id.indexOf("\u0000", 2));
}

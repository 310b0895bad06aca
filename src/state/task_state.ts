/**
 * A task's state: its state values, read through the writes of epochs not committed yet onto its state store (which
 * holds only what commits made durable), and its pending timers and carried messages, in memory. Every change
 * returns the changelog writes that make it durable; the commit cycle logs them in their epoch and, once the epoch
 * committed, applies them to the store. Restore replays changelog records into the store.
 *
 * `expireAfterCall` needs the time of the last call, and writing it to the changelog at every call would double the
 * writes. Eddy rewrites an entry's `called_at` only when it is older than a tenth of the TTL and keeps the exact time
 * of recent calls in memory; without it (after a restore, or a minute after the call) the last call is taken to be
 * `called_at` plus that tenth: a value never expires early, and at most a tenth of its TTL late.
 *
 * @module
 */

import { Address } from "../sdk/address.ts";
import type { ValueSpec } from "../sdk/function_spec.ts";
import type { RawHeaders } from "../sdk/kafka_record.ts";
import type { StateMutation } from "../sdk/storage.ts";
import type { TypedValue } from "../sdk/typed_value.ts";
import {
  decodeChangelogKey,
  decodePendingEntry,
  decodeStateEntry,
  decodeTimerEntry,
  encodeChangelogKey,
  encodePendingEntry,
  encodeStateEntry,
  encodeTimerEntry,
  type PendingEntry,
  type StateEntry,
} from "./changelog_record.ts";
import { MemoryStateStore } from "./memory_store.ts";
import type { ChangelogWrite, Checkpoint, StateStore } from "./state_store.ts";
import { TimerHeap } from "./timer_heap.ts";

export type { ChangelogWrite } from "./state_store.ts";

/**
 * A state value's change not committed yet, kept decoded: reading it back (the next message of its address) decodes
 * nothing, and it is encoded once, when its epoch commits — a value written many times in one epoch is encoded once.
 */
export interface StateValueWrite {
  /** The record id (`stateId`). */
  readonly id: string;
  /** Its address. */
  readonly address: Address;
  /** The state's name. */
  readonly name: string;
  /** The new entry; null deletes. */
  readonly entry: StateEntry | null;
}

/** A change waiting in an epoch: a state value (decoded) or a record encoded already (timers, pending messages). */
export type UncommittedWrite = StateValueWrite | ChangelogWrite;

/** The changelog record of an uncommitted write (the commit encodes state values here, once). */
export function encodeWrite(write: UncommittedWrite): ChangelogWrite {
  if (!("entry" in write)) return write;
  const { id, address, name, entry } = write;
  return {
    id,
    key: encodeChangelogKey({ kind: "state", address, name }),
    value: entry === null ? null : encodeStateEntry(entry),
  };
}

/** A pending delayed message. */
export interface PendingTimer {
  /** The address that sent it (cancellation tokens are scoped to it). */
  sender: Address;
  /** The cancellation token, or a unique id. */
  id: string;
  /** When it fires (epoch ms). */
  fireAt: number;
  /** Its target. */
  target: Address;
  /** Its value. */
  argument: TypedValue;
  /** The headers its sender's message carried (an ingress's `carryHeaders`), if any. */
  carried?: RawHeaders;
}

/** What reading an address's state found. */
export interface StateRead {
  /** The live values by state name. */
  values: Map<string, TypedValue>;
  /** Tombstones of expired values and refreshed call times. */
  writes: UncommittedWrite[];
}

/** Writes not yet in the store, by record id: the epochs not committed, newest first. */
export type UnflushedWrites = () => readonly ReadonlyMap<string, UncommittedWrite>[];

const NOTHING_UNFLUSHED: readonly ReadonlyMap<string, UncommittedWrite>[] = [];
const NO_WRITES: UncommittedWrite[] = Object.freeze([]) as unknown as UncommittedWrite[];

/** Exact call times older than this are forgotten (the estimate from `called_at` applies, never early). */
const CALL_TIMES_KEPT_MS = 60_000;

/** The state values and timers of one task. */
export class TaskState {
  readonly #store: StateStore;
  readonly #unflushed: UnflushedWrites;
  /** The last call of values with `expireAfterCall`, when more recent than the one persisted. */
  readonly #calledAt = new Map<string, number>();
  readonly #timers = new Map<string, PendingTimer>();
  readonly #restoredPending = new Map<number, PendingEntry>();
  #nextPendingSeq = 0;
  #heap = new TimerHeap<string>();

  /**
   * @param store The committed state (a local store brings its timers and pending messages along).
   * @param unflushed The writes of epochs not committed yet.
   */
  constructor(store: StateStore = new MemoryStateStore(), unflushed: UnflushedWrites = () => NOTHING_UNFLUSHED) {
    this.#store = store;
    this.#unflushed = unflushed;
    for (const { key, value } of store.records()) this.#restoreInMemory(key, value);
  }

  /** The store of committed state. */
  get store(): StateStore {
    return this.#store;
  }

  /** State values committed. */
  get valueCount(): number {
    return this.#store.size;
  }

  /**
   * Persists a message that is carried past a commit (its record's offset commits, its call is not done): the
   * write that keeps it, and its sequence number (restores queue pending messages in this order).
   */
  addPending(entry: PendingEntry): { seq: number; write: ChangelogWrite } {
    const seq = this.#nextPendingSeq++;
    return { seq, write: pendingWrite(seq, entry) };
  }

  /** The tombstone of a pending message whose call is done. */
  pendingDone(seq: number): ChangelogWrite {
    return pendingWrite(seq, null);
  }

  /** The pending messages a restore found, in the order they were persisted (each returned once). */
  takeRestoredPending(): { seq: number; entry: PendingEntry }[] {
    const pending = [...this.#restoredPending].sort(([a], [b]) => a - b).map(([seq, entry]) => ({ seq, entry }));
    this.#restoredPending.clear();
    return pending;
  }

  /** Pending timers. */
  get timerCount(): number {
    return this.#timers.size;
  }

  /**
   * Applies changelog records read during restore (in offset order; a null value deletes) and the checkpoint they
   * bring the store to.
   *
   * @throws {ChangelogRecordError} naming the index of a record that is not a changelog record (none is applied).
   */
  restoreRecords(
    records: Iterable<{ key: Uint8Array | null; value: Uint8Array | null }>,
    checkpoint?: Checkpoint,
  ): void {
    const writes: ChangelogWrite[] = [];
    let index = 0;
    for (const { key, value } of records) {
      try {
        if (key === null) throw new Error("a changelog record without key");
        writes.push({ id: this.#restoreInMemory(key, value), key, value });
      } catch (error) {
        throw new ChangelogRecordError(index, error);
      }
      index++;
    }
    this.#store.apply(writes, checkpoint);
  }

  /** Drops everything — the store's records and checkpoint, and the timers and pending messages it brought (before a
   * full restore: what they said may be gone from the changelog). */
  clear(): void {
    this.#store.clear();
    this.#timers.clear();
    this.#heap = new TimerHeap<string>();
    this.#restoredPending.clear();
    this.#nextPendingSeq = 0;
    this.#calledAt.clear();
  }

  /** Commits: the writes of an epoch that committed reach the store, with the checkpoint they bring it to. */
  flush(writes: Iterable<UncommittedWrite>, checkpoint?: Checkpoint): void {
    const encoded: ChangelogWrite[] = [];
    for (const write of writes) encoded.push(encodeWrite(write));
    this.#store.apply(encoded, checkpoint);
  }

  /** The live values of an address for a call at `now`; expired values are deleted and call times refreshed. */
  read(address: Address, specs: readonly ValueSpec[], now: number): StateRead {
    const values = new Map<string, TypedValue>();
    let writes: UncommittedWrite[] | undefined;
    for (const spec of specs) {
      const id = stateId(address, spec.name);
      const entry = this.#lookup(id);
      const expiring = spec.expireAfterCall > 0;
      const expired = entry !== undefined && (expiring || spec.expireAfterWrite > 0) &&
        this.#isExpired(id, entry, spec, now);
      // This call counts as the last one (also for a value it is about to write).
      if (expiring) this.#calledAt.set(id, now);
      if (entry === undefined) continue;
      if (expired) {
        (writes ??= []).push(stateWrite(address, spec.name, null));
        continue;
      }
      values.set(spec.name, entry.value);
      if (expiring && now - entry.calledAt >= slack(spec.expireAfterCall)) {
        (writes ??= []).push(stateWrite(address, spec.name, { ...entry, calledAt: now }));
      }
    }
    return { values, writes: writes ?? NO_WRITES };
  }

  /** The writes of an invocation's state mutations at `now`. */
  write(address: Address, mutations: readonly StateMutation[], now: number): StateValueWrite[] {
    return mutations.map((mutation) => {
      if (mutation.kind === "delete") return stateWrite(address, mutation.name, null);
      return stateWrite(address, mutation.name, { value: mutation.value, writtenAt: now, calledAt: now });
    });
  }

  /** The values an address holds for these states (the control API and tests), expired or not. */
  peek(address: Address, specs: readonly ValueSpec[]): Map<string, TypedValue> {
    const values = new Map<string, TypedValue>();
    for (const spec of specs) {
      const entry = this.#lookup(stateId(address, spec.name));
      if (entry !== undefined) values.set(spec.name, entry.value);
    }
    return values;
  }

  /**
   * The tombstones of every committed value that expired, of the function types whose specs are known (values
   * written since the last commit are fresh).
   */
  sweepExpired(specsOf: (typename: string) => readonly ValueSpec[] | undefined, now: number): ChangelogWrite[] {
    for (const [id, calledAt] of this.#calledAt) if (now - calledAt >= CALL_TIMES_KEPT_MS) this.#calledAt.delete(id);
    const writes: ChangelogWrite[] = [];
    const unflushed = this.#unflushed();
    for (const typename of this.#store.stateTypes()) {
      const specs = specsOf(typename)?.filter((spec) => spec.expireAfterCall > 0 || spec.expireAfterWrite > 0);
      if (specs === undefined || specs.length === 0) continue;
      const byName = new Map(specs.map((spec) => [spec.name, spec]));
      for (const [id, bytes] of this.#store.stateOf(typename)) {
        const { name } = parseStateId(id);
        const spec = byName.get(name);
        if (spec === undefined || unflushed.some((writes) => writes.has(id))) continue;
        const entry = decodeStateEntry(bytes);
        if (this.#isExpired(id, entry, spec, now)) {
          this.#calledAt.delete(id);
          writes.push({ id, key: stateKeyOfId(id), value: null });
        }
      }
    }
    return writes;
  }

  /** Whether the sender has a pending timer with this id. */
  hasTimer(sender: Address, id: string): boolean {
    return this.#timers.has(timerId(sender, id));
  }

  /** Adds a timer (replacing one with the same sender and id). */
  addTimer(timer: PendingTimer): ChangelogWrite {
    this.#addTimer(timer);
    const { fireAt, target, argument, carried } = timer;
    return {
      id: timerId(timer.sender, timer.id),
      key: encodeChangelogKey({ kind: "timer", sender: timer.sender, id: timer.id }),
      value: encodeTimerEntry({ fireAt, target, argument, carried }),
    };
  }

  /** Removes a pending timer; undefined when there was none (cancellation is best effort, as in StateFun). */
  cancelTimer(sender: Address, id: string): ChangelogWrite | undefined {
    const key = timerId(sender, id);
    if (!this.#timers.delete(key)) return undefined;
    return timerTombstone(sender, id);
  }

  /** The earliest pending fire time, if any. */
  nextTimerAt(): number | undefined {
    this.#dropCancelledTop();
    return this.#heap.peekTime();
  }

  /** Removes up to `limit` timers due at `now`, each with its tombstone. */
  popDueTimers(now: number, limit: number): { timer: PendingTimer; write: ChangelogWrite }[] {
    const due: { timer: PendingTimer; write: ChangelogWrite }[] = [];
    while (due.length < limit) {
      const entry = this.#heap.popDue(now);
      if (entry === undefined) break;
      const timer = this.#timers.get(entry.item);
      // A cancelled or replaced timer left a stale heap entry behind.
      if (timer === undefined || timer.fireAt !== entry.fireAt) continue;
      this.#timers.delete(entry.item);
      due.push({ timer, write: timerTombstone(timer.sender, timer.id) });
    }
    return due;
  }

  /** A state value through the uncommitted epochs, newest first, then the store. */
  #lookup(id: string): StateEntry | undefined {
    for (const writes of this.#unflushed()) {
      const write = writes.get(id);
      if (write === undefined) continue;
      if ("entry" in write) return write.entry ?? undefined;
      return write.value === null ? undefined : decodeStateEntry(write.value);
    }
    const bytes = this.#store.get(id);
    return bytes === undefined ? undefined : decodeStateEntry(bytes);
  }

  #isExpired(id: string, entry: StateEntry, spec: ValueSpec, now: number): boolean {
    if (spec.expireAfterWrite > 0 && now >= entry.writtenAt + spec.expireAfterWrite) return true;
    if (spec.expireAfterCall > 0) {
      const lastCall = this.#calledAt.get(id) ?? entry.calledAt + slack(spec.expireAfterCall);
      if (now >= lastCall + spec.expireAfterCall) return true;
    }
    return false;
  }

  /**
   * Decodes a changelog record (so a bad one fails the restore at its offset); timers and pending messages go to
   * memory. Returns the record's id.
   */
  #restoreInMemory(key: Uint8Array, value: Uint8Array | null): string {
    const decoded = decodeChangelogKey(key);
    if (decoded.kind === "state") {
      if (value !== null) decodeStateEntry(value);
      return stateId(decoded.address, decoded.name);
    }
    if (decoded.kind === "pending") {
      this.#nextPendingSeq = Math.max(this.#nextPendingSeq, decoded.seq + 1);
      if (value === null) this.#restoredPending.delete(decoded.seq);
      else this.#restoredPending.set(decoded.seq, decodePendingEntry(value));
      return `p\u0000${decoded.seq}`;
    }
    const id = timerId(decoded.sender, decoded.id);
    if (value === null) this.#timers.delete(id);
    else this.#addTimer({ sender: decoded.sender, id: decoded.id, ...decodeTimerEntry(value) });
    return id;
  }

  #addTimer(timer: PendingTimer): void {
    const id = timerId(timer.sender, timer.id);
    this.#timers.set(id, timer);
    this.#heap.push(timer.fireAt, id);
  }

  #dropCancelledTop(): void {
    for (;;) {
      const time = this.#heap.peekTime();
      if (time === undefined) return;
      const entry = this.#heap.popDue(time)!;
      const timer = this.#timers.get(entry.item);
      if (timer !== undefined && timer.fireAt === entry.fireAt) {
        this.#heap.push(entry.fireAt, entry.item);
        return;
      }
    }
  }
}

/** A changelog record that cannot be read, by its index in a restored batch. */
export class ChangelogRecordError extends Error {
  /**
   * @param index The record's index in the batch.
   * @param cause Why it cannot be read.
   */
  constructor(readonly index: number, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "ChangelogRecordError";
  }
}

/** A string key of an address (typenames cannot hold NUL). */
export function addressKey(address: Address): string {
  return `${address.typename}\u0000${address.id}`;
}

function timerId(sender: Address, id: string): string {
  return `t\u0000${addressKey(sender)}\u0000${id}`;
}

function timerTombstone(sender: Address, id: string): ChangelogWrite {
  return { id: timerId(sender, id), key: encodeChangelogKey({ kind: "timer", sender, id }), value: null };
}

function pendingWrite(seq: number, entry: PendingEntry | null): ChangelogWrite {
  return {
    id: `p\u0000${seq}`,
    key: encodeChangelogKey({ kind: "pending", seq }),
    value: entry === null ? null : encodePendingEntry(entry),
  };
}

function stateWrite(address: Address, name: string, entry: StateEntry | null): StateValueWrite {
  return { id: stateId(address, name), address, name, entry };
}

/** The record id of a state value: typename and state name first (neither holds NUL), the address id last. */
function stateId(address: Address, name: string): string {
  return `s\u0000${address.typename}\u0000${name}\u0000${address.id}`;
}

function parseStateId(id: string): { typename: string; name: string; addressId: string } {
  const first = id.indexOf("\u0000", 2);
  const second = id.indexOf("\u0000", first + 1);
  return { typename: id.slice(2, first), name: id.slice(first + 1, second), addressId: id.slice(second + 1) };
}

function stateKeyOfId(id: string): Uint8Array {
  const { typename, name, addressId } = parseStateId(id);
  const slash = typename.lastIndexOf("/");
  const address = new Address(typename.slice(0, slash), typename.slice(slash + 1), addressId, typename);
  return encodeChangelogKey({ kind: "state", address, name });
}

function slack(ttl: number): number {
  return Math.ceil(ttl / 10);
}

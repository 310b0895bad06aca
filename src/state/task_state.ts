/**
 * The state a task holds in memory: the state values of its addresses and its
 * pending timers. Every change returns the changelog writes that make it
 * durable; restore replays those writes. Expiration is checked when an address
 * is called and by a periodic sweep.
 *
 * `expireAfterCall` needs the time of the last call, and writing it to the
 * changelog at every call would double the writes. Eddy rewrites an entry's
 * `called_at` only when it is older than a tenth of the TTL, and after a restore
 * takes the last call to be `called_at` plus that tenth: a value never expires
 * early, and at most a tenth of its TTL late.
 *
 * @module
 */

import type { Address } from "../sdk/address.ts";
import type { ValueSpec } from "../sdk/function_spec.ts";
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
} from "./changelog_record.ts";
import { TimerHeap } from "./timer_heap.ts";

/** One changelog record to write; `id` identifies the key, so later writes of an epoch replace earlier ones. */
export interface ChangelogWrite {
  /** A string form of the key. */
  id: string;
  /** The key bytes. */
  key: Uint8Array;
  /** The value bytes, or null for a tombstone. */
  value: Uint8Array | null;
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
}

interface StoredValue {
  value: TypedValue;
  writtenAt: number;
  /** The last call as known in memory; after a restore, `persistedCalledAt` plus the slack applies. */
  calledAt: number;
  persistedCalledAt: number;
  restored: boolean;
}

/** What reading an address's state found. */
export interface StateRead {
  /** The live values by state name. */
  values: Map<string, TypedValue>;
  /** Tombstones of expired values and refreshed call times. */
  writes: ChangelogWrite[];
}

/** The state values and timers of one task. */
export class TaskState {
  readonly #addresses = new Map<string, { address: Address; values: Map<string, StoredValue> }>();
  readonly #timers = new Map<string, PendingTimer>();
  readonly #restoredPending = new Map<number, PendingEntry>();
  #nextPendingSeq = 0;
  readonly #heap = new TimerHeap<string>();

  /** Addresses with at least one value. */
  get addressCount(): number {
    return this.#addresses.size;
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
   * Applies one changelog record during restore (records in offset order; a null value deletes).
   *
   * @throws {ProtoDecodeError} for a record that is not a changelog record.
   */
  restore(key: Uint8Array, value: Uint8Array | null): void {
    const decoded = decodeChangelogKey(key);
    if (decoded.kind === "state") {
      if (value === null) return this.#delete(decoded.address, decoded.name);
      const entry = decodeStateEntry(value);
      this.#values(decoded.address, true).set(decoded.name, {
        value: entry.value,
        writtenAt: entry.writtenAt,
        calledAt: entry.calledAt,
        persistedCalledAt: entry.calledAt,
        restored: true,
      });
      return;
    }
    if (decoded.kind === "pending") {
      this.#nextPendingSeq = Math.max(this.#nextPendingSeq, decoded.seq + 1);
      if (value === null) this.#restoredPending.delete(decoded.seq);
      else this.#restoredPending.set(decoded.seq, decodePendingEntry(value));
      return;
    }
    const id = timerId(decoded.sender, decoded.id);
    if (value === null) {
      this.#timers.delete(id);
      return;
    }
    const entry = decodeTimerEntry(value);
    this.#addTimer({ sender: decoded.sender, id: decoded.id, ...entry });
  }

  /** The live values of an address for a call at `now`; expired values are deleted and call times refreshed. */
  read(address: Address, specs: readonly ValueSpec[], now: number): StateRead {
    const values = new Map<string, TypedValue>();
    const writes: ChangelogWrite[] = [];
    const stored = this.#values(address, false);
    if (stored === undefined) return { values, writes };
    for (const spec of specs) {
      const entry = stored.get(spec.name);
      if (entry === undefined) continue;
      if (isExpired(entry, spec, now)) {
        this.#delete(address, spec.name);
        writes.push(stateWrite(address, spec.name, null));
        continue;
      }
      values.set(spec.name, entry.value);
      if (spec.expireAfterCall > 0) {
        entry.calledAt = now;
        entry.restored = false;
        if (now - entry.persistedCalledAt >= slack(spec.expireAfterCall)) {
          entry.persistedCalledAt = now;
          writes.push(stateWrite(address, spec.name, entry));
        }
      }
    }
    return { values, writes };
  }

  /** Applies an invocation's state mutations at `now`. */
  write(address: Address, mutations: readonly StateMutation[], now: number): ChangelogWrite[] {
    return mutations.map((mutation) => {
      if (mutation.kind === "delete") {
        this.#delete(address, mutation.name);
        return stateWrite(address, mutation.name, null);
      }
      const entry = { value: mutation.value, writtenAt: now, calledAt: now, persistedCalledAt: now, restored: false };
      this.#values(address, true).set(mutation.name, entry);
      return stateWrite(address, mutation.name, entry);
    });
  }

  /** The stored values of an address (for the control API and tests), expired or not. */
  peek(address: Address): Map<string, TypedValue> {
    const stored = this.#values(address, false);
    return new Map([...stored ?? []].map(([name, entry]) => [name, entry.value]));
  }

  /** Deletes every expired value of every address whose specs are known; returns the tombstones. */
  sweepExpired(specsOf: (typename: string) => readonly ValueSpec[] | undefined, now: number): ChangelogWrite[] {
    const writes: ChangelogWrite[] = [];
    for (const { address, values } of [...this.#addresses.values()]) {
      const specs = specsOf(address.typename);
      if (specs === undefined) continue;
      for (const spec of specs) {
        const entry = values.get(spec.name);
        if (entry !== undefined && isExpired(entry, spec, now)) {
          this.#delete(address, spec.name);
          writes.push(stateWrite(address, spec.name, null));
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
    const { fireAt, target, argument } = timer;
    return {
      id: timerId(timer.sender, timer.id),
      key: encodeChangelogKey({ kind: "timer", sender: timer.sender, id: timer.id }),
      value: encodeTimerEntry({ fireAt, target, argument }),
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

  #values(address: Address, create: true): Map<string, StoredValue>;
  #values(address: Address, create: false): Map<string, StoredValue> | undefined;
  #values(address: Address, create: boolean): Map<string, StoredValue> | undefined {
    const key = addressKey(address);
    let slot = this.#addresses.get(key);
    if (slot === undefined && create) {
      slot = { address, values: new Map() };
      this.#addresses.set(key, slot);
    }
    return slot?.values;
  }

  #delete(address: Address, name: string): void {
    const key = addressKey(address);
    const slot = this.#addresses.get(key);
    if (slot === undefined) return;
    slot.values.delete(name);
    if (slot.values.size === 0) this.#addresses.delete(key);
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

function stateWrite(address: Address, name: string, entry: StoredValue | null): ChangelogWrite {
  return {
    id: `s\u0000${addressKey(address)}\u0000${name}`,
    key: encodeChangelogKey({ kind: "state", address, name }),
    value: entry === null ? null : encodeStateEntry({
      value: entry.value,
      writtenAt: entry.writtenAt,
      calledAt: entry.persistedCalledAt,
    }),
  };
}

function slack(ttl: number): number {
  return Math.ceil(ttl / 10);
}

function isExpired(entry: StoredValue, spec: ValueSpec, now: number): boolean {
  if (spec.expireAfterWrite > 0 && now >= entry.writtenAt + spec.expireAfterWrite) return true;
  if (spec.expireAfterCall > 0) {
    const lastCall = entry.restored ? entry.persistedCalledAt + slack(spec.expireAfterCall) : entry.calledAt;
    if (now >= lastCall + spec.expireAfterCall) return true;
  }
  return false;
}

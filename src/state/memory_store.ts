/**
 * The in-memory state store: state values as their changelog bytes in one map. It starts empty (no checkpoint), so
 * every start of a task restores its whole changelog partition; timers and pending messages live in the task state.
 *
 * Values are kept encoded, as their changelog bytes, rather than as decoded objects per address (which cost about 900
 * bytes per int value): a read decodes the few bytes it needs. The bytes are held as a one-byte string (a char per
 * byte) under a string id: a `Uint8Array` costs about 150 bytes of its own beyond its bytes, such a string 16.
 *
 * @module
 */

import { type ChangelogWrite, isStateId, type StateStore, typenameOfStateId } from "./state_store.ts";

/** Committed state values in memory. */
export class MemoryStateStore implements StateStore {
  readonly kind = "memory";
  readonly checkpoint = undefined;
  readonly #values = new Map<string, string>();
  /** Values held per function type. */
  readonly #types = new Map<string, number>();

  /** State values held. */
  get size(): number {
    return this.#values.size;
  }

  /** The value bytes of a state value. */
  get(id: string): Uint8Array | undefined {
    const packed = this.#values.get(id);
    return packed === undefined ? undefined : unpack(packed);
  }

  /** Applies committed state values; timers and pending messages are the task state's (memory holds them anyway). */
  apply(writes: Iterable<ChangelogWrite>): void {
    for (const { id, value } of writes) {
      if (!isStateId(id)) continue;
      const had = this.#values.has(id);
      if (value !== null) this.#values.set(id, pack(value));
      else if (had) this.#values.delete(id);
      if (had === (value !== null)) continue;
      const typename = typenameOfStateId(id);
      const count = (this.#types.get(typename) ?? 0) + (had ? -1 : 1);
      if (count === 0) this.#types.delete(typename);
      else this.#types.set(typename, count);
    }
  }

  /** The function types with state values held. */
  stateTypes(): string[] {
    return [...this.#types.keys()];
  }

  /** The state values of one function type. */
  *stateOf(typename: string): Iterable<[string, Uint8Array]> {
    const prefix = `s\u0000${typename}\u0000`;
    for (const [id, packed] of this.#values) if (id.startsWith(prefix)) yield [id, unpack(packed)];
  }

  /** None: nothing survives the process. */
  records(): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    return [];
  }

  /** Drops every value. */
  clear(): void {
    this.#values.clear();
    this.#types.clear();
  }

  /** Nothing to release. */
  close(): void {}
}

/** Bytes as a one-byte string, a char per byte. */
function pack(bytes: Uint8Array): string {
  let packed = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    packed += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return packed;
}

function unpack(packed: string): Uint8Array {
  const bytes = new Uint8Array(packed.length);
  for (let i = 0; i < packed.length; i++) bytes[i] = packed.charCodeAt(i);
  return bytes;
}

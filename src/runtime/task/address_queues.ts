/**
 * Per-address FIFO queues of a task and the order addresses get their turn: one invocation at a time per address
 * (its messages in order), many addresses at once. An address is ready when it has messages and none in flight.
 *
 * @module
 */

import { addressKey } from "../../state/task_state.ts";
import type { MailboxMessage } from "../mailbox_record.ts";
import type { RawHeaders } from "../../sdk/kafka_record.ts";
import type { RecordOrigin } from "../routing.ts";
import { Epoch } from "./epoch.ts";
import type { RecordTrace } from "./record_trace.ts";

/** A message queued for an address, with the epoch it belongs to and the record it came from. */
export interface Envelope extends MailboxMessage {
  /**
   * The epoch that was open when it arrived: its effects go there. A message carried past a commit is in no epoch
   * (`CARRIED`): its effects go to the epoch open when its call is done.
   */
  epoch: Epoch;
  /** The record it came from. */
  origin: RecordOrigin;
  /** Set once it is persisted as pending (carried past a commit): the changelog entry to delete when it is done. */
  pendingSeq?: number;
  /** Its address's key (addressKey), set when it is queued. */
  key?: string;
  /** The walk of its record, when the record is traced (record_trace.ts); messages it sends carry it on. */
  trace?: RecordTrace;
}

/** Whether two sets of headers hold the same values (the same names, each with the same bytes in the same order). */
function sameHeaders(a: RawHeaders | undefined, b: RawHeaders | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  for (const name of names) {
    if (!Object.hasOwn(b, name)) return false;
    const x = a[name];
    const y = b[name];
    if (x instanceof Uint8Array || y instanceof Uint8Array) {
      if (!(x instanceof Uint8Array && y instanceof Uint8Array && sameBytes(x, y))) return false;
    } else if (x.length !== y.length || x.some((value, index) => !sameBytes(value, y[index]))) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The epoch of messages carried past a commit: it never commits, and nothing waits for it. */
export const CARRIED: Epoch = new Epoch();

/** The queues of a task's addresses. */
export class AddressQueues {
  readonly #queues = new Map<string, Envelope[]>();
  #ready: string[] = [];
  #readyHead = 0;
  #queued = 0;

  /** Messages waiting (the one in flight of each address included). */
  get queued(): number {
    return this.#queued;
  }

  /** Queues a message for its address (counted in its epoch until done; its `key` set); the address's queue length. */
  enqueue(envelope: Envelope): number {
    const key = envelope.key = addressKey(envelope.target);
    const queue = this.#queues.get(key);
    if (envelope.epoch !== CARRIED) envelope.epoch.outstanding++;
    this.#queued++;
    if (queue === undefined) {
      this.#queues.set(key, [envelope]);
      this.#ready.push(key);
      return 1;
    }
    return queue.push(envelope);
  }

  /** The epoch of the last message queued for an address, if any is. */
  lastEpoch(key: string): Epoch | undefined {
    return this.#queues.get(key)?.at(-1)?.epoch;
  }

  /** Messages queued for an address (its call in flight included). */
  length(key: string): number {
    return this.#queues.get(key)?.length ?? 0;
  }

  /** The next ready address, its first message now in flight (`head`); undefined when none is ready. */
  take(): string | undefined {
    if (this.#readyHead >= this.#ready.length) return undefined;
    const key = this.#ready[this.#readyHead++];
    if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
    return key;
  }

  /** An address's first message. */
  head(key: string): Envelope {
    return this.#queues.get(key)![0];
  }

  /**
   * The messages queued behind an address's head that may go with it in one call: the same epoch (a call's effects
   * belong to one epoch: the consistent cut) and the same carried headers (a call's egress records cannot be told
   * apart by message, so they carry the head's), at most `max` in all with the head (0: no limit).
   */
  following(key: string, max: number): Envelope[] {
    const queue = this.#queues.get(key)!;
    const { epoch, carried } = queue[0];
    const out: Envelope[] = [];
    for (let i = 1; i < queue.length && (max <= 0 || out.length + 1 < max) && queue[i].epoch === epoch; i++) {
      if (queue[i].carried !== carried && !sameHeaders(queue[i].carried, carried)) break;
      out.push(queue[i]);
    }
    return out;
  }

  /** The address's `count` messages in flight are done: they leave its queue and epoch; the address is ready again. */
  done(key: string, count = 1): void {
    const queue = this.#queues.get(key)!;
    const done = Math.min(count, queue.length);
    for (let i = 0; i < done; i++) {
      const envelope = count === 1 ? queue.shift()! : queue[i];
      if (envelope.epoch !== CARRIED) envelope.epoch.outstanding--;
    }
    if (count !== 1) queue.splice(0, done);
    this.#queued -= done;
    if (queue.length === 0) this.#queues.delete(key);
    else this.#ready.push(key);
  }

  /**
   * Takes the queued messages of epoch `from` (in flight or waiting) out of it, in queue order, into `CARRIED`: `from`
   * may then commit without them. With `typenames`, only those of addresses of these function types.
   */
  carry(from: Epoch, typenames?: ReadonlySet<string>): Envelope[] {
    const moved: Envelope[] = [];
    for (const queue of this.#queues.values()) {
      if (typenames !== undefined && !typenames.has(queue[0].target.typename)) continue;
      for (const envelope of queue) {
        if (envelope.epoch !== from) continue;
        envelope.epoch = CARRIED;
        moved.push(envelope);
      }
    }
    from.outstanding -= moved.length;
    return moved;
  }

  /** Drops every queued message (the task stopped). */
  clear(): void {
    this.#queues.clear();
    this.#ready = [];
    this.#readyHead = 0;
    this.#queued = 0;
  }
}

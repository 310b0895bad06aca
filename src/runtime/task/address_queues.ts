/**
 * Per-address FIFO queues of a task and the order addresses get their turn: one invocation at a time per address
 * (its messages in order), many addresses at once. An address is ready when it has messages and none in flight.
 *
 * @module
 */

import { addressKey } from "../../state/task_state.ts";
import type { MailboxMessage } from "../mailbox_record.ts";
import type { RecordOrigin } from "../routing.ts";
import type { Epoch } from "./epoch.ts";

/** A message queued for an address, with the epoch it belongs to and the record it came from. */
export interface Envelope extends MailboxMessage {
  /** The epoch that was open when it arrived: its effects go there. */
  epoch: Epoch;
  /** The record it came from. */
  origin: RecordOrigin;
}

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

  /** Queues a message for its address (counted in its epoch until done). */
  enqueue(envelope: Envelope): void {
    const key = addressKey(envelope.target);
    const queue = this.#queues.get(key);
    envelope.epoch.outstanding++;
    this.#queued++;
    if (queue === undefined) {
      this.#queues.set(key, [envelope]);
      this.#ready.push(key);
    } else {
      queue.push(envelope);
    }
  }

  /** The next ready address and its first message, now in flight; undefined when none is ready. */
  take(): { key: string; envelope: Envelope } | undefined {
    if (this.#readyHead >= this.#ready.length) return undefined;
    const key = this.#ready[this.#readyHead++];
    if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
    return { key, envelope: this.#queues.get(key)![0] };
  }

  /** The address's message in flight is done: it leaves its queue and epoch, and the address is ready again. */
  done(key: string): Envelope {
    const queue = this.#queues.get(key)!;
    const envelope = queue.shift()!;
    this.#queued--;
    envelope.epoch.outstanding--;
    if (queue.length === 0) this.#queues.delete(key);
    else this.#ready.push(key);
    return envelope;
  }

  /** Drops every queued message (the task stopped). */
  clear(): void {
    this.#queues.clear();
    this.#ready = [];
    this.#readyHead = 0;
    this.#queued = 0;
  }
}

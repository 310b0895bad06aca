/**
 * From an ingress record to addresses: the record key is the address id,
 * decoded as strict UTF-8 keeping a byte-order mark (so the id's bytes are the
 * bytes the producer hashed), and every target of the topic gets the value.
 * Records that cannot be routed are reported with their topic, partition,
 * offset and reason — never dropped silently.
 *
 * @module
 */

import { shortAscii } from "../protobuf/wire.ts";
import { Address } from "../sdk/address.ts";
import type { TypedValue } from "../sdk/typed_value.ts";
import { partitionOfKey } from "./partitioner.ts";

const UTF8 = new TextEncoder();

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Where a record came from. */
export interface RecordOrigin {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Offset. */
  offset: number;
}

/** A record that cannot be routed to an address. */
export class UnroutableRecordError extends Error {
  /**
   * @param origin The record.
   * @param reason Why.
   */
  constructor(readonly origin: RecordOrigin, readonly reason: "null key" | "key is not UTF-8") {
    super(`cannot route the record at ${origin.topic}/${origin.partition}@${origin.offset}: ${reason}`);
    this.name = "UnroutableRecordError";
  }
}

/**
 * The address id of a record key: strict UTF-8, BOM kept, empty allowed (as StateFun).
 *
 * @throws {UnroutableRecordError} for a null key or bytes that are not UTF-8.
 */
export function idOfKey(key: Uint8Array | null, origin: RecordOrigin): string {
  if (key === null) throw new UnroutableRecordError(origin, "null key");
  const ascii = shortAscii(key); // the common case, without a call into the decoder
  if (ascii !== undefined) return ascii;
  try {
    return STRICT_UTF8.decode(key);
  } catch {
    throw new UnroutableRecordError(origin, "key is not UTF-8");
  }
}

/** The task that owns an address id: the partition Kafka's default partitioner gives its UTF-8 bytes. */
export function taskOfId(id: string, taskCount: number): number {
  return partitionOfKey(UTF8.encode(id), taskCount);
}

/** One delivery of an ingress record to a target function. */
export interface Delivery {
  /** The target address. */
  target: Address;
  /** The value, typed with the topic's valueType. */
  argument: TypedValue;
}

/**
 * The deliveries of one ingress record: each target of its topic, same id, the
 * value's bytes untouched under the topic's valueType (as StateFun's router).
 * A null value (a tombstone; StateFun fails on it) arrives as a value-less
 * message, which `message.as(...)` reads as null.
 *
 * @throws {UnroutableRecordError} for a record that cannot be routed.
 */
export function routeIngressRecord(
  record: { key: Uint8Array | null; value: Uint8Array | null },
  route: { valueType: string; targets: readonly string[] },
  origin: RecordOrigin,
): Delivery[] {
  const id = idOfKey(record.key, origin);
  const argument: TypedValue = record.value === null
    ? { typename: route.valueType, hasValue: false, value: new Uint8Array() }
    : { typename: route.valueType, hasValue: true, value: record.value };
  const targets = targetsOf(route.targets);
  const deliveries: Delivery[] = new Array(targets.length);
  for (let i = 0; i < targets.length; i++) {
    const { namespace, name, typename } = targets[i];
    deliveries[i] = { target: new Address(namespace, name, id, typename), argument };
  }
  return deliveries;
}

/** A route's target typenames split once, not per record. */
const splitTargets = new WeakMap<readonly string[], { namespace: string; name: string; typename: string }[]>();

function targetsOf(typenames: readonly string[]): { namespace: string; name: string; typename: string }[] {
  let targets = splitTargets.get(typenames);
  if (targets === undefined) {
    targets = typenames.map((typename) => {
      const slash = typename.indexOf("/");
      return { namespace: typename.slice(0, slash), name: typename.slice(slash + 1), typename };
    });
    splitTargets.set(typenames, targets);
  }
  return targets;
}

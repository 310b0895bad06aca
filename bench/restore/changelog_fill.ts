/**
 * Fills an app's changelog without running inputs through Eddy: `count` state records of the bench's count function
 * (`bench.count/counter`, int state `count`, ids `name-<i>`), in Eddy's own changelog format (the encoders of
 * src/state/changelog_record.ts and src/sdk/typed_value.ts), each to the partition of the task that owns its address
 * (Kafka's default partitioner of the id, as Eddy routes). Written with an idempotent kafkajs producer, acks=all,
 * outside transactions: Eddy reads its changelog read_committed, and plain writes are committed.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type Kafka, Partitioners } from "../../src/kafka/kafkajs.ts";
import { taskOfId } from "../../src/runtime/routing.ts";
import { Address } from "../../src/sdk/address.ts";
import { StateFun } from "../../src/sdk/statefun.ts";
import { toTypedValue } from "../../src/sdk/typed_value.ts";
import { encodeChangelogKey, encodeStateEntry } from "../../src/state/changelog_record.ts";

/** Records per produce request (kafkajs copies per record within a request: large requests get slow). */
const PER_REQUEST = 2_000;

/** The address of the count function whose id is `name-<i>`. */
export function counterAddress(i: number): Address {
  return Address.fromParts("bench.count", "counter", `name-${i}`);
}

/** The changelog record of `name-<i>`'s count (`count` = its value). */
export function counterRecord(i: number, count: number, now: number): { key: Buffer; value: Buffer } {
  const address = counterAddress(i);
  return {
    key: Buffer.from(encodeChangelogKey({ kind: "state", address, name: "count" })),
    value: Buffer.from(
      encodeStateEntry({ value: toTypedValue(count, StateFun.intType()), writtenAt: now, calledAt: now }),
    ),
  };
}

/** What a fill wrote. */
export interface FillResult {
  /** Records written. */
  records: number;
  /** Of them, per task. */
  perTask: number[];
  /** Bytes of keys and values. */
  bytes: number;
  /** How long it took (s). */
  seconds: number;
}

/**
 * Writes the state records of `name-0` … `name-<count-1>` (count `i % 1000 + 1`) to `changelog`, whose `tasks`
 * partitions are the app's tasks. (One producer: three at once were no faster, the bench's CPU being the bound.)
 */
export async function fillChangelog(
  kafka: Kafka,
  changelog: string,
  tasks: number,
  count: number,
): Promise<FillResult> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const started = performance.now();
  const perTask = new Array<number>(tasks).fill(0);
  let bytes = 0;
  const now = Date.now();
  try {
    for (let start = 0; start < count; start += PER_REQUEST) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + PER_REQUEST); i++) {
        const record = counterRecord(i, (i % 1000) + 1, now);
        const partition = taskOfId(counterAddress(i).id, tasks);
        perTask[partition]++;
        bytes += record.key.length + record.value.length;
        messages.push({ ...record, partition });
      }
      await producer.send({ topic: changelog, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return { records: count, perTask, bytes, seconds: (performance.now() - started) / 1000 };
}

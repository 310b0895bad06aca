/**
 * Offsets of an ingress as an operator sees them — committed, log-end, last-stable, lag and owner per partition, as
 * `kafka-consumer-groups` computes them — and where an offset reset (earliest, latest, a timestamp, given offsets)
 * moves each partition.
 *
 * @module
 */

import type { KafkaIngressSpec } from "../spec/model.ts";
import { OperationError } from "./errors.ts";
import type { ClusterAdmin, GroupOffset } from "./ports.ts";
import type { IngressPartitionOffsets, OffsetResetTarget } from "./status.ts";

/** Per partition of an ingress: committed, log-end and last-stable offsets, lag and the owning member. */
export async function readIngressOffsets(
  admin: ClusterAdmin,
  appId: string,
  ingress: KafkaIngressSpec,
  taskCount: number,
): Promise<IngressPartitionOffsets[]> {
  const owners = await admin.groupOwners(appId);
  const rows: IngressPartitionOffsets[] = [];
  for (const { topic } of ingress.topics) {
    const committed = await admin.groupOffsets(ingress.consumerGroupId, topic);
    for (const offsets of await admin.topicOffsets(topic)) {
      const offset = committed.get(offsets.partition) ?? -1;
      rows.push({
        topic,
        partition: offsets.partition,
        committed: offset >= 0 ? offset : null,
        logEnd: offsets.high,
        lastStable: offsets.lastStable,
        lag: offset >= 0 ? offsets.high - offset : null,
        owner: owners.get(`${topic}/${offsets.partition}`) ?? null,
        task: offsets.partition % taskCount,
      });
    }
  }
  return rows;
}

/**
 * The offsets a reset moves an ingress's partitions to.
 *
 * @throws {OperationError} `bad-request` for an offset outside a partition's log.
 */
export async function offsetsOfReset(
  admin: ClusterAdmin,
  ingress: KafkaIngressSpec,
  target: OffsetResetTarget,
): Promise<GroupOffset[]> {
  const moves: GroupOffset[] = [];
  for (const { topic } of ingress.topics) {
    const offsets = await admin.topicOffsets(topic);
    const dates = target.type === "timestamp" ? await admin.offsetsForTimestamp(topic, target.timestamp) : undefined;
    for (const { partition, low, high } of offsets) {
      let offset: number | undefined;
      if (target.type === "earliest") offset = low;
      else if (target.type === "latest") offset = high;
      else if (target.type === "timestamp") {
        offset = (dates!.get(partition) ?? -1) >= 0 ? dates!.get(partition)! : high;
      } else offset = target.offsets.find((o) => o.topic === topic && o.partition === partition)?.offset;
      if (offset === undefined) continue;
      if (offset < low || offset > high) {
        throw new OperationError("bad-request", `offset ${offset} of ${topic}/${partition} is outside ${low}..${high}`);
      }
      moves.push({ groupId: ingress.consumerGroupId, topic, partition, offset });
    }
  }
  return moves;
}

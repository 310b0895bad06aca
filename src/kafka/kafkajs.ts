/**
 * The one place kafkajs is imported (with kafkajs_fetch.ts, its fetch decoders). Everything else in Eddy reaches Kafka
 * through src/kafka/, so the client's quirks (and a possible swap of client)
 * stay in one folder. Importing it also installs Eddy's read_committed fix
 * into kafkajs' fetch decoding (read_committed.ts), and the move past record
 * batches a compacted log emptied (batch_ends.ts), and produce errors that
 * name the failed topic (produce_errors.ts), so every client Eddy makes gets
 * them.
 *
 * @module
 */

import "./read_committed.ts";
import "./batch_ends.ts";
import "./produce_errors.ts";

export {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  AssignerProtocol,
  CompressionCodecs,
  CompressionTypes,
  ConfigResourceTypes,
  type Consumer,
  type EachBatchPayload,
  type GroupMember,
  type GroupMemberAssignment,
  Kafka,
  type KafkaConfig,
  logLevel,
  type PartitionAssigner,
  Partitioners,
  type Producer,
  ResourcePatternTypes,
  type SASLOptions,
  type Transaction,
} from "npm:kafkajs@2.2.4";

/**
 * The brokers named by `KAFKA_BROKERS` (comma separated), default `127.0.0.1:9092`.
 *
 * @example
 * ```ts
 * brokersFromEnv(); // ["127.0.0.1:9092"] unless KAFKA_BROKERS is set
 * ```
 */
export function brokersFromEnv(): string[] {
  const value = Deno.env.get("KAFKA_BROKERS") ?? "127.0.0.1:9092";
  return value.split(",").map((broker) => broker.trim()).filter((broker) => broker !== "");
}

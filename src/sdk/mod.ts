/**
 * The in-process function SDK, named as the official StateFun JS SDK (`StateFun`, `messageBuilder`,
 * `kafkaEgressMessage`, `ValueSpec`, the built-in types, …): a function module written for that SDK runs in Eddy by
 * changing its import. It pulls in no npm package, so a functions module loads fast and bundles anywhere.
 *
 * @example Bind a function
 * ```ts
 * import { kafkaEgressMessage, StateFun } from "./mod.ts";
 *
 * const statefun = new StateFun();
 * statefun.bind({
 *   typename: "com.example/greeter",
 *   specs: [{ name: "seen", type: StateFun.intType() }],
 *   fn(context, message) {
 *     const name = message.asString()!;
 *     const seen = (context.storage.seen ?? 0) + 1;
 *     context.storage.seen = seen;
 *     context.send(kafkaEgressMessage({
 *       typename: "com.example/greetings",
 *       topic: "greetings",
 *       key: name,
 *       value: `Hello ${name} #${seen}`,
 *     }));
 *   },
 * });
 * ```
 *
 * @module
 */

export { Address } from "./address.ts";
export { Context, type DelayedEffect, type InvocationEffects } from "./context.ts";
export {
  decodeKafkaProducerRecord,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  kafkaEgressMessage,
  type KafkaEgressOpts,
  type KafkaProducerRecord,
  kinesisEgressMessage,
  type KinesisEgressOpts,
} from "./egress.ts";
export {
  type FunctionOpts,
  FunctionSpec,
  type JsStatefulFunction,
  ValueSpec,
  type ValueSpecOpts,
} from "./function_spec.ts";
export {
  type HeaderValue,
  KafkaRecordMetadata,
  type KafkaRecordSource,
  type OutgoingHeaders,
  type RawHeaders,
} from "./kafka_record.ts";
export {
  EgressMessage,
  egressMessageBuilder,
  type EgressOpts,
  Message,
  messageBuilder,
  type MessageOpts,
} from "./message.ts";
export { StateFun } from "./statefun.ts";
export { type TypedValue } from "./typed_value.ts";
export {
  BOOL_TYPE,
  CustomType,
  DOUBLE_TYPE,
  FLOAT_TYPE,
  INT_TYPE,
  JsonType,
  LONG_TYPE,
  ProtobufType,
  STRING_TYPE,
  Type,
} from "./types.ts";

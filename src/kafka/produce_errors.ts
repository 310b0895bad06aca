/**
 * Produce errors that say which topic failed and why.
 *
 * kafkajs 2.2.4 turns a produce or AddPartitionsToTxn response (a transaction's first write to a partition) with
 * failed partitions into the error of the first one it lists. When a request covers several topics and one is
 * refused (TOPIC_AUTHORIZATION_FAILED for a topic an ACL denies, UNKNOWN_TOPIC_OR_PARTITION for a deleted one), the
 * broker answers OPERATION_NOT_ATTEMPTED ("the broker did not attempt to execute this operation") for the others, and
 * that may be the one kafkajs throws: the cause is lost. The wrapped parsers throw the first error that is not
 * OPERATION_NOT_ATTEMPTED, with `partitions` listing every failed partition (topic, partition, error type), so Eddy's
 * messages name the topic.
 *
 * @module
 */

import {
  addPartitionsToTxnResponseV0,
  addPartitionsToTxnResponseV1,
  produceResponseV3,
  produceResponseV4,
  produceResponseV5,
  produceResponseV6,
  produceResponseV7,
  protocolErrors,
} from "./kafkajs_fetch.ts";

/** A partition a produce request failed on. */
export interface FailedPartition {
  /** The topic. */
  topic: string;
  /** The partition. */
  partition: number;
  /** The protocol error's type, e.g. TOPIC_AUTHORIZATION_FAILED. */
  type: string;
}

const OPERATION_NOT_ATTEMPTED = 55;

interface ProduceResponse {
  topics: { topicName: string; partitions: { partition: number; errorCode: number }[] }[];
}

/** An AddPartitionsToTxn response as kafkajs decodes it. */
interface AddPartitionsResponse {
  errors: { topic: string; partitionErrors: { partition: number; errorCode: number }[] }[];
}

interface ResponseModule<T> {
  parse(data: T): Promise<T>;
}

const { failure, createErrorFromCode } = protocolErrors as {
  failure(code: number): boolean;
  createErrorFromCode(code: number): Error & { type?: string };
};

/**
 * The error a produce response's failures make: the first that is not OPERATION_NOT_ATTEMPTED, carrying every
 * failed partition; undefined when none failed.
 */
export function produceError(
  response: ProduceResponse | AddPartitionsResponse,
): (Error & { partitions: FailedPartition[] }) | undefined {
  const topics = "topics" in response
    ? response.topics.map(({ topicName, partitions }) => ({ topic: topicName, partitions }))
    : response.errors.map(({ topic, partitionErrors }) => ({ topic, partitions: partitionErrors }));
  const failed = topics.flatMap(({ topic, partitions }) =>
    partitions.filter(({ errorCode }) => failure(errorCode)).map(({ partition, errorCode }) => ({
      topic,
      partition,
      errorCode,
    }))
  );
  if (failed.length === 0) return undefined;
  const first = failed.find(({ errorCode }) => errorCode !== OPERATION_NOT_ATTEMPTED) ?? failed[0];
  const error = createErrorFromCode(first.errorCode);
  const partitions = failed.map(({ topic, partition, errorCode }) => ({
    topic,
    partition,
    type: createErrorFromCode(errorCode).type ?? String(errorCode),
  }));
  return Object.assign(error, { partitions });
}

const PATCHED = Symbol.for("eddy.produceErrors");

function patch<T extends ProduceResponse | AddPartitionsResponse>(
  module: ResponseModule<T> & { [PATCHED]?: true },
): void {
  if (module[PATCHED]) return;
  const parse = module.parse;
  module.parse = (data) => {
    const error = produceError(data);
    return error === undefined ? parse(data) : Promise.reject(error);
  };
  module[PATCHED] = true;
}

for (const module of [produceResponseV3, produceResponseV4, produceResponseV5, produceResponseV6, produceResponseV7]) {
  patch(module as ResponseModule<ProduceResponse>);
}
for (const module of [addPartitionsToTxnResponseV0, addPartitionsToTxnResponseV1]) {
  patch(module as ResponseModule<AddPartitionsResponse>);
}

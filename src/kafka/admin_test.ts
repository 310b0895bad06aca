/** Offset reads of KafkaAdmin ride out transient kafkajs errors that its admin gives up on at once. */

import { equal, rejects } from "node:assert/strict";
import { retryingTransient } from "./admin.ts";

/** A kafkajs-shaped error (name, retriable, protocol type, cause), as its admin throws them. */
function kafkaError(name: string, retriable: boolean, extra: { type?: string; cause?: unknown } = {}): Error {
  return Object.assign(new Error(name), { name, retriable, ...extra });
}

/** A read that fails with `errors` in turn, then answers 42; counts its calls. */
function failingRead(errors: Error[]) {
  const read = () => {
    read.calls++;
    const error = errors.shift();
    return error === undefined ? Promise.resolve(42) : Promise.reject(error);
  };
  read.calls = 0;
  return read;
}

Deno.test("an offset read that timed out, and one whose connection closed under kafkajs' bail, is read again", async () => {
  const read = failingRead([
    kafkaError("KafkaJSRequestTimeoutError", true),
    kafkaError("KafkaJSNonRetriableError", false, { cause: kafkaError("KafkaJSConnectionClosedError", true) }),
  ]);
  equal(await retryingTransient(read), 42);
  equal(read.calls, 3);
});

Deno.test("an unknown topic is not retried here: kafkajs has asked again already, and the topic may be gone", async () => {
  const unknown = kafkaError("KafkaJSProtocolError", true, { type: "UNKNOWN_TOPIC_OR_PARTITION" });
  const read = failingRead([unknown]);
  await rejects(retryingTransient(read), { name: "KafkaJSProtocolError" });
  equal(read.calls, 1);
});

Deno.test("a non-retriable error fails the read at once, and a transient one fails it after five attempts", async () => {
  const denied = failingRead([kafkaError("KafkaJSProtocolError", false, { type: "TOPIC_AUTHORIZATION_FAILED" })]);
  await rejects(retryingTransient(denied), { name: "KafkaJSProtocolError" });
  equal(denied.calls, 1);
  const down = failingRead(Array.from({ length: 9 }, () => kafkaError("KafkaJSConnectionError", true)));
  await rejects(retryingTransient(down), { name: "KafkaJSConnectionError" });
  equal(down.calls, 5);
});

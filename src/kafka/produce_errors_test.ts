/** Unit tests of produce_errors.ts (the broker test is tests/runtime/acl_test.ts). */

import { deepEqual, equal } from "node:assert/strict";
import { produceError } from "./produce_errors.ts";

Deno.test("a produce error is the refused partition's, not OPERATION_NOT_ATTEMPTED, and lists every failed one", () => {
  const error = produceError({
    topics: [
      { topicName: "changelog", partitions: [{ partition: 0, errorCode: 55 }] },
      { topicName: "out", partitions: [{ partition: 1, errorCode: 29 }, { partition: 0, errorCode: 0 }] },
    ],
  })!;
  equal((error as { type?: string }).type, "TOPIC_AUTHORIZATION_FAILED");
  deepEqual(error.partitions, [
    { topic: "changelog", partition: 0, type: "OPERATION_NOT_ATTEMPTED" },
    { topic: "out", partition: 1, type: "TOPIC_AUTHORIZATION_FAILED" },
  ]);
  equal(produceError({ topics: [{ topicName: "out", partitions: [{ partition: 0, errorCode: 0 }] }] }), undefined);
});

Deno.test("an AddPartitionsToTxn error names its topic too", () => {
  const error = produceError({
    errors: [
      { topic: "a", partitionErrors: [{ partition: 0, errorCode: 55 }] },
      { topic: "b", partitionErrors: [{ partition: 2, errorCode: 3 }] },
    ],
  })!;
  equal((error as { type?: string }).type, "UNKNOWN_TOPIC_OR_PARTITION");
  deepEqual(error.partitions.map(({ topic }) => topic), ["a", "b"]);
});

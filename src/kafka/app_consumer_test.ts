import { deepEqual, equal, notEqual } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { consumedHeaders } from "./app_consumer.ts";

Deno.test("consumed headers: every value of a repeated header in order, copies of the fetch's bytes, null as empty", () => {
  const fetched = Buffer.from("abcdef");
  const headers = consumedHeaders({
    "x-trace": fetched.subarray(0, 3),
    tag: [fetched.subarray(3, 4), fetched.subarray(4, 5)],
    none: null,
    // kafkajs builds the object with spreads: a header named __proto__ is an own property.
    ...JSON.parse('{"__proto__": "odd"}'),
  });
  deepEqual(headers, {
    "x-trace": new Uint8Array(Buffer.from("abc")),
    tag: [new Uint8Array(Buffer.from("d")), new Uint8Array(Buffer.from("e"))],
    none: new Uint8Array(),
    ["__proto__"]: new Uint8Array(Buffer.from("odd")),
  });
  equal(Object.getPrototypeOf(headers), Object.prototype, "a header named __proto__ stays a header");
  notEqual((headers["x-trace"] as Uint8Array).buffer, fetched.buffer, "copied: the fetch's buffer is not kept alive");
  equal(consumedHeaders({}), consumedHeaders(undefined), "records without headers share one empty object");
  deepEqual(consumedHeaders({}), {});
});

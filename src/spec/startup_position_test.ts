import { deepEqual, equal, throws } from "node:assert/strict";
import { parseStartupDate, parseTopicPartition } from "./startup_position.ts";

Deno.test("parseStartupDate() reads yyyy-MM-dd HH:mm:ss.SSS Z with any +HHMM offset", () => {
  equal(parseStartupDate("2020-02-01 04:15:00.000 +0000"), Date.UTC(2020, 1, 1, 4, 15));
  equal(parseStartupDate("2020-02-01 04:15:00.000 -0800"), Date.UTC(2020, 1, 1, 12, 15));
  equal(parseStartupDate("2020-02-01 04:15:00.123 +0530"), Date.UTC(2020, 1, 1, 4, 15, 0, 123) - 330 * 60_000);
  equal(parseStartupDate("2024-02-29 23:59:59.999 +0000"), Date.UTC(2024, 1, 29, 23, 59, 59, 999));
});

Deno.test("parseStartupDate() rejects other formats and impossible dates (java.time would clamp Feb 29, Eddy refuses)", () => {
  for (
    const input of [
      "2020-02-01 04:15:00.00 Z", // the StateFun docs' own example
      "2020-02-01 04:15:00.000 Z",
      "2020-02-01 04:15:00.000 +00:00",
      "2020-02-01 04:15:00 +0000",
      "2020-02-01T04:15:00.000 +0000",
      "2021-02-29 00:00:00.000 +0000",
      "2020-13-01 00:00:00.000 +0000",
      "2020-01-01 24:00:00.000 +0000",
      "2020-01-01 00:60:00.000 +0000",
    ]
  ) {
    throws(() => parseStartupDate(input), /expected yyyy-MM-dd HH:mm:ss.SSS Z/, input);
  }
});

Deno.test("parseTopicPartition() splits at the last slash", () => {
  deepEqual(parseTopicPartition("orders/3"), { topic: "orders", partition: 3 });
  deepEqual(parseTopicPartition("a/b/0"), { topic: "a/b", partition: 0 });
  for (const input of ["orders", "/3", "orders/", "orders/-1", "orders/x", "orders/1.5"]) {
    throws(() => parseTopicPartition(input), /<topic>\/<partition_id>/, input);
  }
});

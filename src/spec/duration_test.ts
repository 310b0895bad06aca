import { equal, throws } from "node:assert/strict";
import { DurationError, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads every unit label Flink accepts", () => {
  const cases: [string | number, number][] = [
    ["15min", 900_000],
    ["1minute", 60_000],
    ["1minutes", 60_000],
    ["2m", 120_000],
    ["30seconds", 30_000],
    ["10second", 10_000],
    ["10 sec", 10_000],
    ["20s", 20_000],
    ["5secs", 5_000],
    ["1day", 86_400_000],
    ["2 d", 172_800_000],
    ["3h", 10_800_000],
    ["1 hours", 3_600_000],
    ["250ms", 250],
    ["7 millis", 7],
    ["9 milliseconds", 9],
    ["1000µs", 1],
    ["2000 micros", 2],
    ["1000000ns", 1],
    ["1 MIN", 60_000],
    ["  42  ", 42],
    ["100", 100],
    [100, 100],
    ["0", 0],
  ];
  for (const [input, millis] of cases) equal(parseDuration(input), millis, `input ${JSON.stringify(input)}`);
});

Deno.test("parseDuration() rejects what Flink rejects, naming the input", () => {
  for (const input of ["", "min", "1.5s", "-1s", "1h30min", "10 parsecs", "s10", "99999999999999999999"]) {
    throws(() => parseDuration(input), (error: unknown) => {
      return error instanceof DurationError && error.message.includes(`"${input}"`);
    }, `input ${JSON.stringify(input)}`);
  }
});

Deno.test("parseDuration(): ranges as Java's, in whole milliseconds; out of range is refused with the range", () => {
  equal(parseDuration("1ns"), 0); // Duration.toMillis() truncates
  equal(parseDuration("1500us".replace("us", "µs")), 1);
  equal(parseDuration("9007199254740991"), Number.MAX_SAFE_INTEGER);
  throws(() => parseDuration("9007199254740992"), /longer than 9007199254740991 ms/);
  throws(() => parseDuration("9007199254740991d"), /longer than 9007199254740991 ms/);
  throws(() => parseDuration("9".repeat(400)), /larger than 9223372036854775807 \(a Java long\)/);
  throws(() => parseDuration(1.5), /a number of milliseconds must be whole/);
  throws(() => parseDuration(Infinity), /longer than/);
  throws(() => parseDuration("5\nmodule.yaml:1:1: warning: forged"), (error: Error) => !error.message.includes("\n"));
});

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

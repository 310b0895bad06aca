import { Buffer } from "node:buffer";
import { deepEqual, equal } from "node:assert/strict";
import { formatStateLine, parseStateLines, readableValue } from "./state_lines.ts";
import { INT_TYPE, LONG_TYPE } from "../sdk/types.ts";

const two = new Uint8Array(INT_TYPE.serialize(2));

Deno.test("state lines: a line carries the value in base64 and, for built-in and JSON types, readable", () => {
  const line = formatStateLine({
    function: "t/counter",
    id: "k 1",
    state: "n",
    typename: INT_TYPE.typename,
    value: two,
  });
  deepEqual(JSON.parse(line), {
    function: "t/counter",
    id: "k 1",
    state: "n",
    typename: "io.statefun.types/int",
    value: Buffer.from(two).toString("base64"),
    readable: 2,
  });
  deepEqual(readableValue("t/Person", new TextEncoder().encode('{"name":"Ann"}')), { value: { name: "Ann" } });
  deepEqual(readableValue(LONG_TYPE.typename, new Uint8Array(LONG_TYPE.serialize(2n ** 60n))), {
    value: "1152921504606846976",
  });
  equal(readableValue("t/proto", new Uint8Array([8, 150, 1])), undefined, "other bytes stay base64 only");
});

Deno.test("state lines: a file reads back as it was written, blank lines aside", () => {
  const written = { function: "t/counter", id: "k", state: "n", typename: INT_TYPE.typename, value: two, writtenAt: 5 };
  const { lines, issues } = parseStateLines(`${formatStateLine(written)}\n\n`);
  deepEqual(issues, []);
  deepEqual(lines, [written]);
});

Deno.test("state lines: every bad line is named by its number, and none is kept", () => {
  const good = formatStateLine({ function: "t/c", id: "k", state: "n", typename: INT_TYPE.typename, value: two });
  const text = [
    good,
    "{not json",
    JSON.stringify({ function: "t/c", id: "k2", state: "n", typename: "int", value: "AA==" }),
    JSON.stringify({ function: "t/c", id: "k3", state: "n", typename: "t/x", value: "%%" }),
    JSON.stringify({ function: "t/c", id: 4, state: "n", typename: "t/x", value: "" }),
    good,
    JSON.stringify({ function: "t/c", id: "k5", state: "n", typename: "t/x", value: "", writtenAt: -1 }),
    "[]",
  ].join("\n");
  const { lines, issues } = parseStateLines(text);
  deepEqual(lines, []);
  deepEqual(issues.map((issue) => issue.line), [2, 3, 4, 5, 6, 7, 8]);
  equal(issues[1].message, '"typename" must be "namespace/name", got "int"');
  equal(issues[3].message, '"id" must be a string');
  equal(issues[4].message, 'state "n" of t/c/k is also on line 1');
});

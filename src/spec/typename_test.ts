import { deepEqual, equal, throws } from "node:assert/strict";
import { formatTypeName, parseTypeName } from "./typename.ts";

Deno.test("parseTypeName() splits <namespace>/<name>", () => {
  deepEqual(parseTypeName("com.example/greeter"), { namespace: "com.example", name: "greeter" });
  deepEqual(parseTypeName("io.statefun.types/string"), { namespace: "io.statefun.types", name: "string" });
  equal(formatTypeName(parseTypeName("a.b/c-d_e")), "a.b/c-d_e");
});

Deno.test("parseTypeName() requires exactly one slash and non-empty parts", () => {
  for (const input of ["a", "a/b/c", "a/", "/b", "", "/"]) {
    throws(() => parseTypeName(input), /expected <namespace>\/<name>/, `input ${JSON.stringify(input)}`);
  }
});

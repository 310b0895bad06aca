import { deepEqual, equal, throws } from "node:assert/strict";
import { idOfKey, routeIngressRecord, taskOfId, UnroutableRecordError } from "./routing.ts";
import { partitionOfKey } from "./partitioner.ts";

const origin = { topic: "names", partition: 3, offset: 42 };

Deno.test("idOfKey() decodes strict UTF-8 and keeps a byte-order mark", () => {
  equal(idOfKey(new TextEncoder().encode("Ada"), origin), "Ada");
  equal(idOfKey(new Uint8Array(), origin), "", "an empty key is an id (as StateFun)");
  const withBom = Uint8Array.of(0xef, 0xbb, 0xbf, 0x41);
  equal(idOfKey(withBom, origin), "\ufeffA");
  deepEqual(new TextEncoder().encode(idOfKey(withBom, origin)), withBom, "the id's bytes are the key's bytes");
});

Deno.test("idOfKey() refuses null and non-UTF-8 keys, naming the record", () => {
  throws(
    () => idOfKey(null, origin),
    (error: unknown) =>
      error instanceof UnroutableRecordError &&
      error.message === "cannot route the record at names/3@42: null key",
  );
  throws(() => idOfKey(Uint8Array.of(0xff, 0xfe), origin), /names\/3@42: key is not UTF-8/);
});

Deno.test("taskOfId() is the default partitioner's partition of the id's bytes", () => {
  for (const id of ["Ada", "", "\ufeffA", "名前"]) {
    equal(taskOfId(id, 8), partitionOfKey(new TextEncoder().encode(id), 8));
  }
});

Deno.test("routeIngressRecord() fans a record out to every target with the topic's value type", () => {
  const value = Uint8Array.of(1, 2, 3);
  const deliveries = routeIngressRecord(
    { key: new TextEncoder().encode("Ada"), value },
    { valueType: "io.statefun.types/string", targets: ["com.example/greeter", "com.example/counter"] },
    origin,
  );
  deepEqual(deliveries.map((d) => d.target.toString()), ["com.example/greeter/Ada", "com.example/counter/Ada"]);
  deepEqual(deliveries[0].argument, { typename: "io.statefun.types/string", hasValue: true, value });
  const [tombstone] = routeIngressRecord(
    { key: new Uint8Array(), value: null },
    { valueType: "a/t", targets: ["a/b"] },
    origin,
  );
  deepEqual(tombstone.argument, { typename: "a/t", hasValue: false, value: new Uint8Array() });
});

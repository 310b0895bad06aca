import { deepEqual, equal } from "node:assert/strict";
import { MemoryStateStore } from "./memory_store.ts";

Deno.test("memory store: values come back byte for byte (every byte value, and values over 4 KiB)", () => {
  const store = new MemoryStateStore();
  const every = Uint8Array.from({ length: 256 }, (_, i) => i);
  const large = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31) & 0xff);
  store.apply([
    { id: "s\u0000a/f\u0000n\u0000x", key: new Uint8Array(), value: every },
    { id: "s\u0000a/f\u0000n\u0000y", key: new Uint8Array(), value: large },
    { id: "s\u0000a/f\u0000n\u0000z", key: new Uint8Array(), value: new Uint8Array() },
    { id: "t\u0000timer", key: new Uint8Array(), value: every }, // timers live in the task state, not here
  ]);
  deepEqual(store.get("s\u0000a/f\u0000n\u0000x"), every);
  deepEqual(store.get("s\u0000a/f\u0000n\u0000y"), large);
  deepEqual(store.get("s\u0000a/f\u0000n\u0000z"), new Uint8Array());
  equal(store.get("t\u0000timer"), undefined);
  equal(store.size, 3);
  deepEqual(store.stateTypes(), ["a/f"]);
  deepEqual([...store.stateOf("a/f")].map(([id]) => id.at(-1)), ["x", "y", "z"]);
  store.apply([{ id: "s\u0000a/f\u0000n\u0000x", key: new Uint8Array(), value: null }]);
  equal(store.size, 2);
  store.clear();
  deepEqual([store.size, store.stateTypes()], [0, []]);
});

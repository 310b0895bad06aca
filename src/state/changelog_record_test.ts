import { deepEqual, equal, notDeepEqual, throws } from "node:assert/strict";
import { Address } from "../sdk/address.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { INT_TYPE, STRING_TYPE } from "../sdk/types.ts";
import {
  decodeChangelogKey,
  decodeStateEntry,
  decodeTimerEntry,
  encodeChangelogKey,
  encodeStateEntry,
  encodeTimerEntry,
} from "./changelog_record.ts";

const ada = Address.fromParts("com.example", "greeter", "Ada");

Deno.test("changelog keys round-trip and are deterministic (compaction keys)", () => {
  const state = { kind: "state", address: ada, name: "seen" } as const;
  const timer = { kind: "timer", sender: ada, id: "remind" } as const;
  deepEqual(decodeChangelogKey(encodeChangelogKey(state)), state);
  deepEqual(decodeChangelogKey(encodeChangelogKey(timer)), timer);
  deepEqual(encodeChangelogKey(state), encodeChangelogKey({ kind: "state", address: ada, name: "seen" }));
  notDeepEqual(encodeChangelogKey(state), encodeChangelogKey({ ...state, name: "visit" }));
  notDeepEqual(
    encodeChangelogKey({ kind: "state", address: ada, name: "remind" }),
    encodeChangelogKey(timer),
    "a state and a timer never share a key",
  );
  const empty = { kind: "state", address: Address.fromParts("a", "b", ""), name: "s" } as const;
  deepEqual(decodeChangelogKey(encodeChangelogKey(empty)), empty, "empty ids survive");
  throws(() => decodeChangelogKey(new Uint8Array()), /not a changelog key/);
});

Deno.test("state and timer entries round-trip", () => {
  const state = { value: toTypedValue(3, INT_TYPE), writtenAt: 1_700_000_000_123, calledAt: 1_700_000_000_456 };
  deepEqual(decodeStateEntry(encodeStateEntry(state)), state);
  const timer = { fireAt: 1_800_000_000_000, target: ada, argument: toTypedValue("hi", STRING_TYPE) };
  deepEqual(decodeTimerEntry(encodeTimerEntry(timer)), timer);
  equal(decodeStateEntry(encodeStateEntry({ ...state, writtenAt: 0, calledAt: 0 })).writtenAt, 0);
  throws(() => decodeTimerEntry(new Uint8Array()), /needs a target/);
});

import { deepEqual, equal, throws } from "node:assert/strict";
import { Address } from "../sdk/address.ts";
import { ValueSpec } from "../sdk/function_spec.ts";
import { INT_TYPE } from "../sdk/types.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { MemoryStateStore } from "./memory_store.ts";
import { SqliteStateStore } from "./sqlite_store.ts";
import type { StateStore } from "./state_store.ts";
import {
  ChangelogRecordError,
  type ChangelogWrite,
  encodeWrite,
  TaskState,
  type UncommittedWrite,
} from "./task_state.ts";

const ada = Address.fromParts("com.example", "greeter", "Ada");
const seen = new ValueSpec("seen", INT_TYPE);
const int = (n: number) => toTypedValue(n, INT_TYPE);
const origin = { topic: "in", partition: 0, offset: 5 };

/** Both stores: the same behaviour is expected of each. */
const stores: [string, () => StateStore][] = [
  ["memory", () => new MemoryStateStore()],
  ["sqlite", () => SqliteStateStore.open(Deno.makeTempFileSync({ suffix: ".sqlite" }), () => {})],
];

function replay(writes: ChangelogWrite[], store: StateStore = new MemoryStateStore()): TaskState {
  const restored = new TaskState(store);
  restored.restoreRecords(writes);
  return restored;
}

/** Writes as an epoch that commits at once. */
function committed(state: TaskState, writes: UncommittedWrite[]): ChangelogWrite[] {
  state.flush(writes);
  return writes.map(encodeWrite);
}

for (const [kind, newStore] of stores) {
  Deno.test(`task state (${kind} store): writes replayed from the changelog give the same state; a tombstone deletes`, () => {
    const state = new TaskState(newStore());
    const writes = [
      ...committed(state, state.write(ada, [{ name: "seen", kind: "modify", value: int(1) }], 1000)),
      ...committed(state, state.write(ada, [{ name: "seen", kind: "modify", value: int(2) }], 1001)),
    ];
    deepEqual(state.read(ada, [seen], 2000).values, new Map([["seen", int(2)]]));
    deepEqual(replay(writes, newStore()).read(ada, [seen], 2000).values, new Map([["seen", int(2)]]));
    writes.push(...committed(state, state.write(ada, [{ name: "seen", kind: "delete" }], 1002)));
    equal(state.valueCount, 0);
    equal(replay(writes, newStore()).valueCount, 0);
    state.store.close();
  });

  Deno.test(`task state (${kind} store): writes of uncommitted epochs are read first, newest first; dropped ones never reach the store`, () => {
    const open = new Map<string, UncommittedWrite>();
    const closed = new Map<string, UncommittedWrite>();
    const state = new TaskState(newStore(), () => [open, closed]);
    committed(state, state.write(ada, [{ name: "seen", kind: "modify", value: int(1) }], 0));
    for (const write of state.write(ada, [{ name: "seen", kind: "modify", value: int(2) }], 1)) {
      closed.set(write.id, write);
    }
    deepEqual(state.read(ada, [seen], 2).values.get("seen"), int(2));
    for (const write of state.write(ada, [{ name: "seen", kind: "delete" }], 3)) open.set(write.id, write);
    equal(state.read(ada, [seen], 4).values.size, 0);
    open.clear();
    closed.clear(); // the epochs were discarded (a failed commit): the committed value is what remains
    deepEqual(state.read(ada, [seen], 5).values.get("seen"), int(1));
    deepEqual(state.peek(ada, [seen]).get("seen"), int(1));
    state.store.close();
  });

  Deno.test(`task state (${kind} store): expireAfterWrite hides a value once its TTL passed and writes its tombstone`, () => {
    const spec = new ValueSpec("seen", INT_TYPE, -1, 100);
    const state = new TaskState(newStore());
    committed(state, state.write(ada, [{ name: "seen", kind: "modify", value: int(1) }], 1000));
    deepEqual(state.read(ada, [spec], 1099).values.get("seen"), int(1));
    const read = state.read(ada, [spec], 1100);
    equal(read.values.size, 0);
    deepEqual(read.writes.map((write) => encodeWrite(write).value), [null]);
    committed(state, read.writes);
    equal(state.valueCount, 0);
    state.store.close();
  });

  Deno.test(`task state (${kind} store): sweepExpired finds expired committed values of known function types`, () => {
    const spec = new ValueSpec("seen", INT_TYPE, -1, 10);
    const state = new TaskState(newStore());
    committed(state, state.write(ada, [{ name: "seen", kind: "modify", value: int(1) }], 0));
    equal(state.sweepExpired(() => undefined, 100).length, 0);
    const tombstones = state.sweepExpired(() => [spec], 100);
    equal(tombstones.length, 1);
    deepEqual(tombstones[0].key, encodeWrite(state.write(ada, [{ name: "seen", kind: "delete" }], 100)[0]).key);
    committed(state, tombstones);
    equal(state.valueCount, 0);
    state.store.close();
  });
}

Deno.test("expireAfterCall: calls extend the value, call times are persisted every tenth of the TTL, never early", () => {
  const spec = new ValueSpec("seen", INT_TYPE, 1000, -1);
  const state = new TaskState();
  const log = committed(state, state.write(ada, [{ name: "seen", kind: "modify", value: int(7) }], 0));
  // Calls within a tenth of the TTL write nothing.
  equal(state.read(ada, [spec], 50).writes.length, 0);
  const refreshed = state.read(ada, [spec], 150);
  equal(refreshed.writes.length, 1);
  log.push(...committed(state, refreshed.writes));
  equal(state.read(ada, [spec], 240).writes.length, 0); // last call at 240, persisted 150
  // In memory the value lives until 240 + 1000.
  equal(state.read(ada, [spec], 1239).values.size, 1);
  // After a restore the last call is taken as 150 + 100 = 250: alive at 1249, gone at 1250.
  equal(replay(log).read(ada, [spec], 1249).values.size, 1);
  equal(replay(log).read(ada, [spec], 1250).values.size, 0);
});

Deno.test("timers: due ones pop in order with tombstones, cancelled and replaced ones never fire", () => {
  const state = new TaskState();
  const target = Address.fromParts("com.example", "greeter", "Bob");
  const log: ChangelogWrite[] = [];
  for (const [id, fireAt] of [["a", 30], ["b", 10], ["c", 20]] as const) {
    log.push(state.addTimer({ sender: ada, id, fireAt, target, argument: int(fireAt) }));
  }
  equal(state.hasTimer(ada, "a"), true);
  log.push(state.cancelTimer(ada, "b")!);
  equal(state.cancelTimer(ada, "b"), undefined);
  log.push(state.addTimer({ sender: ada, id: "c", fireAt: 40, target, argument: int(40) }));
  equal(state.nextTimerAt(), 30);
  const restored = replay(log);
  for (const current of [state, restored]) {
    deepEqual(current.popDueTimers(35, 10).map(({ timer }) => timer.id), ["a"]);
    const [last] = current.popDueTimers(100, 10);
    deepEqual([last.timer.id, last.timer.fireAt, last.write.value], ["c", 40, null]);
    equal(current.timerCount, 0);
  }
});

Deno.test("a local store brings its timers, pending messages and values back when it is opened again", () => {
  const file = Deno.makeTempFileSync({ suffix: ".sqlite" });
  const target = Address.fromParts("com.example", "greeter", "Bob");
  const state = new TaskState(SqliteStateStore.open(file, () => {}));
  const timer = state.addTimer({ sender: ada, id: "t", fireAt: 30, target, argument: int(1) });
  const pending = state.addPending({ target, caller: ada, argument: int(2), origin });
  state.flush([...state.write(ada, [{ name: "seen", kind: "modify", value: int(3) }], 0), timer, pending.write], {
    offset: 42,
    writtenAt: 7,
  });
  state.store.close();
  const reopened = new TaskState(SqliteStateStore.open(file, () => {}));
  deepEqual(reopened.store.checkpoint, { offset: 42, writtenAt: 7 });
  deepEqual(reopened.read(ada, [seen], 1).values.get("seen"), int(3));
  deepEqual(reopened.popDueTimers(100, 10).map(({ timer }) => timer.id), ["t"]);
  deepEqual(reopened.takeRestoredPending().map(({ seq, entry }) => [seq, entry.argument]), [[0, int(2)]]);
  equal(reopened.addPending({ target, caller: ada, argument: int(4), origin }).seq, 1);
  reopened.store.close();
});

Deno.test("a restored batch with a record that is not a changelog record applies nothing and names the record", () => {
  const state = new TaskState();
  const good = encodeWrite(state.write(ada, [{ name: "seen", kind: "modify", value: int(1) }], 0)[0]);
  const error = throws(
    () => state.restoreRecords([good, { key: new Uint8Array([1, 2, 3]), value: null }]),
    (error: unknown) => error instanceof ChangelogRecordError && error.index === 1,
  );
  equal(error, undefined);
  equal(state.valueCount, 0);
});

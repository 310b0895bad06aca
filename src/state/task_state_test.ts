import { deepEqual, equal } from "node:assert/strict";
import { Address } from "../sdk/address.ts";
import { ValueSpec } from "../sdk/function_spec.ts";
import { INT_TYPE } from "../sdk/types.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { type ChangelogWrite, TaskState } from "./task_state.ts";

const ada = Address.fromParts("com.example", "greeter", "Ada");
const seen = new ValueSpec("seen", INT_TYPE);
const int = (n: number) => toTypedValue(n, INT_TYPE);

function replay(writes: ChangelogWrite[]): TaskState {
  const restored = new TaskState();
  for (const write of writes) restored.restore(write.key, write.value);
  return restored;
}

Deno.test("state writes replayed from the changelog give the same state; a tombstone deletes", () => {
  const state = new TaskState();
  const writes = [
    ...state.write(ada, [{ name: "seen", kind: "modify", value: int(1) }], 1000),
    ...state.write(ada, [{ name: "seen", kind: "modify", value: int(2) }], 1001),
  ];
  deepEqual(replay(writes).read(ada, [seen], 2000).values, new Map([["seen", int(2)]]));
  writes.push(...state.write(ada, [{ name: "seen", kind: "delete" }], 1002));
  equal(state.addressCount, 0);
  equal(replay(writes).addressCount, 0);
});

Deno.test("expireAfterWrite hides and deletes a value once its TTL passed", () => {
  const spec = new ValueSpec("seen", INT_TYPE, -1, 100);
  const state = new TaskState();
  state.write(ada, [{ name: "seen", kind: "modify", value: int(1) }], 1000);
  deepEqual(state.read(ada, [spec], 1099).values.get("seen"), int(1));
  const read = state.read(ada, [spec], 1100);
  equal(read.values.size, 0);
  deepEqual(read.writes.map((write) => write.value), [null]);
  equal(state.addressCount, 0);
});

Deno.test("expireAfterCall: calls extend the value, call times are persisted every tenth of the TTL, never early", () => {
  const spec = new ValueSpec("seen", INT_TYPE, 1000, -1);
  const state = new TaskState();
  const log = state.write(ada, [{ name: "seen", kind: "modify", value: int(7) }], 0);
  // Calls within a tenth of the TTL write nothing.
  equal(state.read(ada, [spec], 50).writes.length, 0);
  const refreshed = state.read(ada, [spec], 150);
  equal(refreshed.writes.length, 1);
  log.push(...refreshed.writes);
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

Deno.test("sweepExpired deletes expired values of known function types", () => {
  const spec = new ValueSpec("seen", INT_TYPE, -1, 10);
  const state = new TaskState();
  state.write(ada, [{ name: "seen", kind: "modify", value: int(1) }], 0);
  equal(state.sweepExpired(() => undefined, 100).length, 0);
  equal(state.sweepExpired(() => [spec], 100).length, 1);
  equal(state.addressCount, 0);
});

import { deepEqual, equal, ok } from "node:assert/strict";
import { assignTasks } from "./task_balance.ts";

const owners = (assignment: Map<string, number[]>) => Object.fromEntries(assignment);

Deno.test("assignTasks() spreads tasks evenly over new members", () => {
  deepEqual(owners(assignTasks([{ memberId: "b", owned: [] }, { memberId: "a", owned: [] }], 5)), {
    a: [0, 1, 3],
    b: [2, 4],
  });
  deepEqual(owners(assignTasks([{ memberId: "a", owned: [] }], 3)), { a: [0, 1, 2] });
  deepEqual(owners(assignTasks([], 3)), {});
  deepEqual(owners(assignTasks([{ memberId: "a", owned: [] }, { memberId: "b", owned: [] }], 1)), { a: [0], b: [] });
});

Deno.test("assignTasks() keeps owned tasks where balance allows (sticky)", () => {
  // A second instance joins: the first keeps half of its tasks, only the rest move.
  const joined = assignTasks([{ memberId: "a", owned: [0, 1, 2, 3] }, { memberId: "b", owned: [] }], 4);
  deepEqual(owners(joined), { a: [0, 1], b: [2, 3] });
  // A third joins: each keeps what it can.
  const third = assignTasks([
    { memberId: "a", owned: [0, 1] },
    { memberId: "b", owned: [2, 3] },
    { memberId: "c", owned: [] },
  ], 6);
  deepEqual(owners(third), { a: [0, 1], b: [2, 3], c: [4, 5] });
  // A member leaves: the survivors keep theirs and split its tasks.
  deepEqual(owners(assignTasks([{ memberId: "a", owned: [0, 1] }, { memberId: "c", owned: [4, 5] }], 6)), {
    a: [0, 1, 2],
    c: [3, 4, 5],
  });
});

Deno.test("assignTasks() resolves conflicting or stale claims", () => {
  // Both claim task 1 (a zombie's stale userData); out-of-range and duplicate tasks are dropped.
  const assignment = assignTasks([
    { memberId: "a", owned: [0, 1, 1, 9] },
    { memberId: "b", owned: [1, 2] },
  ], 4);
  const all = [...assignment.values()].flat().toSorted();
  deepEqual(all, [0, 1, 2, 3], "every task exactly once");
  for (const tasks of assignment.values()) equal(tasks.length, 2);
});

Deno.test("assignTasks() is balanced and complete for many shapes", () => {
  for (let members = 1; members <= 7; members++) {
    for (let tasks = 0; tasks <= 20; tasks++) {
      const previous = Array.from({ length: members }, (_, i) => ({
        memberId: `m${i}`,
        owned: Array.from({ length: tasks }, (_, t) => t).filter((t) => (t * 7 + i) % 3 === 0),
      }));
      const assignment = assignTasks(previous, tasks);
      const counts = [...assignment.values()].map((owned) => owned.length);
      ok(Math.max(...counts) - Math.min(...counts) <= 1, `balanced for ${members} members, ${tasks} tasks`);
      deepEqual([...assignment.values()].flat().toSorted((a, b) => a - b), Array.from({ length: tasks }, (_, t) => t));
    }
  }
});

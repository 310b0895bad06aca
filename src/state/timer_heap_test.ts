import { deepEqual } from "node:assert/strict";
import { TimerHeap } from "./timer_heap.ts";

Deno.test("timers leave the heap in fire-time order, ties in insertion order", () => {
  const heap = new TimerHeap<string>();
  const times = [50, 10, 30, 10, 2 ** 40, 0, 30];
  times.forEach((time, index) => heap.push(time, `t${index}`));
  deepEqual(heap.peekTime(), 0);
  deepEqual(heap.popDue(-1), undefined);
  const out: string[] = [];
  for (let entry = heap.popDue(100); entry !== undefined; entry = heap.popDue(100)) out.push(entry.item);
  deepEqual(out, ["t5", "t1", "t3", "t2", "t6", "t0"]);
  deepEqual(heap.size, 1);
  deepEqual(heap.popDue(2 ** 40)?.item, "t4");
});

Deno.test("a random mix pops sorted", () => {
  const heap = new TimerHeap<number>();
  const values = Array.from({ length: 1000 }, () => Math.floor(Math.random() * 10_000));
  for (const value of values) heap.push(value, value);
  const out: number[] = [];
  for (let entry = heap.popDue(Infinity); entry !== undefined; entry = heap.popDue(Infinity)) out.push(entry.item);
  deepEqual(out, [...values].sort((a, b) => a - b));
});

import { equal, throws } from "node:assert/strict";
import { TaskStatusError, TaskStatusMachine } from "./task_status.ts";

Deno.test("task status: restoring → running → draining → closed, processing while running or draining", () => {
  const status = new TaskStatusMachine(3);
  equal(status.processing, false);
  status.to("running");
  equal(status.processing, true);
  status.to("draining");
  equal(status.processing, true);
  status.to("closed");
  equal(status.processing, false);
});

Deno.test("task status: a halting task keeps its failure and fails once committed", () => {
  const status = new TaskStatusMachine(0);
  status.to("running");
  status.to("halting", { reason: "null key" });
  equal(status.processing, true);
  status.to("failed");
  equal(status.failure?.reason, "null key");
  equal(status.processing, false);
});

Deno.test("task status: a closed task never runs again, a failed one never drains or runs", () => {
  const closed = new TaskStatusMachine(1);
  closed.to("closed");
  throws(() => closed.to("running"), TaskStatusError);
  const failed = new TaskStatusMachine(2);
  failed.to("failed", { reason: "corrupt changelog" });
  throws(() => failed.to("draining"), /task 2: failed → draining is not an allowed transition/);
  throws(() => failed.to("running"), TaskStatusError);
  failed.to("failed"); // staying is allowed
  failed.to("closed");
});

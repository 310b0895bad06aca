/**
 * Characterization: how long a group takes to move a member's partitions.
 * A member that leaves (disconnect sends LeaveGroup) costs one rebalance; a
 * SIGKILLed member costs its session timeout first. Figures are printed; the
 * bounds asserted are the protocol's, not the machine's speed.
 */

import { ok } from "node:assert/strict";
import type { Consumer } from "../../src/kafka/kafkajs.ts";
import { createTopic, deleteTopics, kafkaTest, testKafka, uniqueName, waitFor } from "./helpers.ts";

const member = new URL("./fixtures/member.ts", import.meta.url).pathname;
const SESSION_TIMEOUT = 6_000;

/** Starts a member in another process and waits until it owns partitions. */
async function spawnMember(groupId: string, topic: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", member, groupId, topic, String(SESSION_TIMEOUT)],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("joined\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("the member process ended before joining");
    seen += value;
  }
  lines.releaseLock();
  return child;
}

async function localMember(groupId: string, topic: string) {
  let partitions = 0;
  const consumer: Consumer = testKafka("eddy-test-failover").consumer({
    groupId,
    sessionTimeout: SESSION_TIMEOUT,
    heartbeatInterval: SESSION_TIMEOUT / 10,
    maxWaitTimeInMs: 250,
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    partitions = Object.values(payload.memberAssignment).flat().length;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  await consumer.run({ eachMessage: () => Promise.resolve() });
  return { consumer, partitions: () => partitions };
}

for (const exit of ["SIGTERM", "SIGKILL"] as const) {
  kafkaTest(`partitions of a member ended by ${exit} move to the survivor`, async () => {
    const topic = await createTopic(`failover-${exit.toLowerCase()}`, { partitions: 2 });
    const groupId = uniqueName("failover");
    const child = await spawnMember(groupId, topic);
    const survivor = await localMember(groupId, topic);
    try {
      await waitFor("the partitions to be split", () => survivor.partitions() === 1, 30_000);
      const killed = performance.now();
      child.kill(exit);
      await child.status;
      await waitFor("the survivor to own both partitions", () => survivor.partitions() === 2, 30_000);
      const moved = performance.now() - killed;
      console.log(`${exit}: partitions moved after ${moved.toFixed(0)} ms (session timeout ${SESSION_TIMEOUT} ms)`);
      if (exit === "SIGKILL") {
        ok(moved >= SESSION_TIMEOUT - 500, "a killed member is noticed only at its session timeout");
      } else ok(moved < SESSION_TIMEOUT, "a member that leaves is replaced before its session would time out");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // already ended
      }
      await child.status;
      await child.stdout.cancel().catch(() => {});
      await survivor.consumer.disconnect();
      await deleteTopics(topic);
    }
  });
}

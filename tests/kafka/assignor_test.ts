/**
 * Characterization: a custom co-partitioning assignor on kafkajs 2.2.4 against
 * Kafka 4.x. Partition p of every topic goes to the member owning task p, and
 * ownership is sticky across rebalances (owned tasks travel in userData).
 */

import { deepEqual, equal } from "node:assert/strict";
import type { Consumer } from "../../src/kafka/kafkajs.ts";
import { taskAssignor, tasksOfAssignment } from "../../src/kafka/task_assignor.ts";
import { createTopic, deleteTopics, kafkaTest, testKafka, uniqueName, waitFor } from "./helpers.ts";

interface Member {
  consumer: Consumer;
  /** The latest assignment from GROUP_JOIN. */
  assignment: Record<string, number[]>;
  tasks: number[];
  joins: number;
}

async function startMember(groupId: string, topics: string[], taskCount: number): Promise<Member> {
  const member: Member = { consumer: undefined as unknown as Consumer, assignment: {}, tasks: [], joins: 0 };
  member.consumer = testKafka("eddy-test-assignor").consumer({
    groupId,
    partitionAssigners: [taskAssignor({ taskCount, ownedTasks: () => member.tasks })],
    sessionTimeout: 6_000,
    heartbeatInterval: 200,
    rebalanceTimeout: 10_000,
    // A member notices a rebalance only at its next heartbeat, which kafkajs sends between fetches:
    // a long fetch wait delays every rebalance by up to that wait.
    maxWaitTimeInMs: 250,
  });
  member.consumer.on(member.consumer.events.GROUP_JOIN, ({ payload }) => {
    member.assignment = payload.memberAssignment as Record<string, number[]>;
    member.tasks = tasksOfAssignment(member.assignment, taskCount);
    member.joins++;
  });
  await member.consumer.connect();
  await member.consumer.subscribe({ topics });
  await member.consumer.run({ eachBatch: () => Promise.resolve() });
  return member;
}

/** Partition p of every topic sits with the member that owns task p mod N. */
function assertCoPartitioned(members: Member[], partitions: Record<string, number>, taskCount: number) {
  for (const [topic, count] of Object.entries(partitions)) {
    for (let partition = 0; partition < count; partition++) {
      const owners = members.filter((m) => m.assignment[topic]?.includes(partition));
      equal(owners.length, 1, `${topic}/${partition} has exactly one owner`);
      equal(owners[0].tasks.includes(partition % taskCount), true, `${topic}/${partition} is with task ${partition}`);
    }
  }
}

kafkaTest("the task assignor co-partitions topics and keeps tasks sticky across rebalances", async () => {
  const taskCount = 4;
  const ingressA = await createTopic("assign-a", { partitions: 4 });
  const ingressB = await createTopic("assign-b", { partitions: 2 });
  const mailbox = await createTopic("assign-mailbox", { partitions: 4 });
  const partitions = { [ingressA]: 4, [ingressB]: 2, [mailbox]: 4 };
  const topics = Object.keys(partitions);
  const groupId = uniqueName("assign");
  const members: Member[] = [];
  try {
    const first = await startMember(groupId, topics, taskCount);
    members.push(first);
    await waitFor("the first member to own every task", () => first.tasks.length === taskCount);
    assertCoPartitioned([first], partitions, taskCount);

    const second = await startMember(groupId, topics, taskCount);
    members.push(second);
    await waitFor("the tasks to be split", () => first.tasks.length === 2 && second.tasks.length === 2, 30_000);
    assertCoPartitioned(members, partitions, taskCount);
    deepEqual(first.tasks, [0, 1], "the first member keeps the tasks it owned (lowest ones kept)");
    deepEqual(second.tasks, [2, 3]);
    deepEqual(second.assignment[ingressB], [], "task 2 and 3 have no partition of the 2-partition topic");

    const third = await startMember(groupId, topics, taskCount);
    members.push(third);
    await waitFor(
      "three members to share four tasks",
      () =>
        first.tasks.length + second.tasks.length + third.tasks.length === 4 && third.tasks.length >= 1 &&
        first.tasks.length >= 1 && second.tasks.length >= 1,
    );
    assertCoPartitioned(members, partitions, taskCount);
    equal(first.tasks.every((task) => [0, 1].includes(task)), true, "no task moved between the first two members");
    equal(second.tasks.every((task) => [2, 3].includes(task)), true, "no task moved between the first two members");

    await third.consumer.disconnect(); // leaves the group
    members.pop();
    await waitFor("the survivors to take the leaver's task", () => first.tasks.length + second.tasks.length === 4);
    assertCoPartitioned(members, partitions, taskCount);
  } finally {
    await Promise.all(members.map((member) => member.consumer.disconnect()));
    await deleteTopics(...topics);
  }
});

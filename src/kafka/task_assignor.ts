/**
 * The app consumer's partition assignor: co-partitioning by task. Partition p
 * of every subscribed topic belongs to task p mod N, and a member gets whole
 * tasks, so the ingress partitions, the mailbox partition and the changelog
 * partition of a task are always consumed by the same instance.
 *
 * Sticky: each member sends the tasks it owns in its subscription userData and
 * the leader keeps them where balance allows (see task_balance.ts).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { AssignerProtocol, type PartitionAssigner } from "./kafkajs.ts";
import { assignTasks } from "./task_balance.ts";

/** The assignor's protocol name; every member of an app's group must use it. */
export const TASK_ASSIGNOR_NAME = "eddy-tasks";
const VERSION = 1;

/** Options of the task assignor. */
export interface TaskAssignorOptions {
  /** N: the app's task count, fixed at its first start. */
  taskCount: number;
  /** The tasks this member owns now (sent to the leader so it can keep them). */
  ownedTasks(): readonly number[];
}

/**
 * A kafkajs `PartitionAssigner` that assigns whole tasks.
 *
 * @example
 * ```ts
 * import { Kafka } from "./kafkajs.ts";
 * import { taskAssignor } from "./task_assignor.ts";
 *
 * const owned = new Set<number>();
 * const kafka = new Kafka({ brokers: ["127.0.0.1:9092"] });
 * const consumer = kafka.consumer({
 *   groupId: "my-app",
 *   partitionAssigners: [taskAssignor({ taskCount: 8, ownedTasks: () => [...owned] })],
 * });
 * ```
 */
export function taskAssignor(options: TaskAssignorOptions): PartitionAssigner {
  const { taskCount } = options;
  if (!Number.isInteger(taskCount) || taskCount < 1) throw new RangeError(`invalid task count ${taskCount}`);
  return ({ cluster, logger }) => ({
    name: TASK_ASSIGNOR_NAME,
    version: VERSION,

    protocol({ topics }) {
      return {
        name: TASK_ASSIGNOR_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: VERSION,
          topics,
          userData: encodeTasks(options.ownedTasks()),
        }),
      };
    },

    assign({ members }) {
      const subscriptions = new Map(members.map(({ memberId, memberMetadata }) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(memberMetadata);
        let owned: number[] = [];
        try {
          owned = decodeTasks(metadata?.userData);
        } catch (error) {
          logger.warn("ignoring unreadable task ownership in a subscription", { memberId, error: String(error) });
        }
        return [memberId, { topics: metadata?.topics ?? [], owned }];
      }));
      const tasks = assignTasks(
        [...subscriptions].map(([memberId, { owned }]) => ({ memberId, owned })),
        taskCount,
      );
      return Promise.resolve([...tasks].map(([memberId, owned]) => {
        const mine = new Set(owned);
        const assignment: Record<string, number[]> = {};
        // Only topics this member subscribed to: kafkajs drops the others (and they would never be read).
        for (const topic of subscriptions.get(memberId)!.topics) {
          assignment[topic] = cluster.findTopicPartitionMetadata(topic)
            .map(({ partitionId }) => partitionId)
            .filter((partition) => mine.has(partition % taskCount))
            .sort((a, b) => a - b);
        }
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: VERSION,
            assignment,
            userData: encodeTasks(owned),
          }),
        };
      }));
    },
  });
}

/** The tasks behind an assignment of partitions (partition p belongs to task p mod N). */
export function tasksOfAssignment(assignment: Record<string, readonly number[]>, taskCount: number): number[] {
  const tasks = new Set<number>();
  for (const partitions of Object.values(assignment)) partitions.forEach((p) => tasks.add(p % taskCount));
  return [...tasks].sort((a, b) => a - b);
}

function encodeTasks(tasks: readonly number[]): Buffer {
  return Buffer.from(JSON.stringify({ tasks }));
}

function decodeTasks(userData: Buffer | undefined): number[] {
  if (userData === undefined || userData.length === 0) return [];
  const { tasks } = JSON.parse(userData.toString("utf8"));
  if (!Array.isArray(tasks) || !tasks.every(Number.isInteger)) throw new TypeError("tasks must be integers");
  return tasks;
}

/**
 * The app consumer's partition assignor: co-partitioning by task. Partition p
 * of every subscribed topic belongs to task p mod N, and a member gets whole
 * tasks, so the ingress partitions, the mailbox partition and the changelog
 * partition of a task are always consumed by the same instance.
 *
 * Sticky: each member sends the tasks it owns in its subscription userData and
 * the leader keeps them where balance allows (see task_balance.ts). The userData
 * also says who the member is (instance id, control URL) and the version of its
 * module (runtime/module_version.ts): while two versions share the group (a
 * roll), only the members whose version covers the others' get tasks, and a
 * member whose version cannot share the group with the leader's gets none.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { AssignerProtocol, type PartitionAssigner } from "./kafkajs.ts";
import type { MemberInfo } from "../runtime/group_member.ts";
import { legacyFingerprint, taskOwners } from "../runtime/module_version.ts";
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
  /** Who this member is and which app it runs (sent to every member; the leader compares fingerprints). */
  member?(): MemberInfo;
}

/** What a member's subscription userData says. */
export interface MemberData {
  /** The tasks it owned. */
  tasks: number[];
  /** Who it is, if it says (Eddy before fingerprints did not). */
  info?: MemberInfo;
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
          userData: encodeMemberData({ tasks: [...options.ownedTasks()], info: options.member?.() }),
        }),
      };
    },

    assign({ members }) {
      const subscriptions = new Map(members.map(({ memberId, memberMetadata }) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(memberMetadata);
        let data: MemberData = { tasks: [] };
        try {
          data = decodeMemberData(metadata?.userData);
        } catch (error) {
          logger.warn("ignoring unreadable task ownership in a subscription", { memberId, error: String(error) });
        }
        return [memberId, { topics: metadata?.topics ?? [], owned: data.tasks, info: data.info }];
      }));
      const { refused, owners, rolling } = taskOwners(
        options.member?.().fingerprint,
        [...subscriptions].map(([memberId, { info }]) => ({ memberId, fingerprint: info?.fingerprint })),
      );
      for (const [memberId, why] of refused) {
        logger.error(`member ${memberId} runs a version that cannot share the group and gets no task: ${why}`, {
          memberId,
        });
      }
      if (rolling) {
        const waiting = [...subscriptions.keys()].filter((id) => !owners.has(id) && !refused.has(id));
        logger.info(`a roll is in progress: ${waiting.length} member(s) of an older version get no task`, {
          owners: [...owners].join(","),
        });
      }
      const tasks = assignTasks(
        [...subscriptions].filter(([memberId]) => owners.has(memberId)).map(([memberId, { owned }]) => ({
          memberId,
          owned,
        })),
        taskCount,
      );
      for (const memberId of subscriptions.keys()) if (!owners.has(memberId)) tasks.set(memberId, []);
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
            userData: encodeMemberData({ tasks: owned }),
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

function encodeMemberData(data: MemberData): Buffer {
  return Buffer.from(JSON.stringify(data.info === undefined ? { tasks: data.tasks } : data));
}

/**
 * Reads a member's subscription userData: `{"tasks": [...], "info"?: {...}}` (JSON).
 *
 * @throws {TypeError} for userData that is not that.
 */
export function decodeMemberData(userData: Buffer | Uint8Array | undefined): MemberData {
  if (userData === undefined || userData.length === 0) return { tasks: [] };
  const { tasks, info } = JSON.parse(Buffer.from(userData).toString("utf8"));
  if (!Array.isArray(tasks) || !tasks.every(Number.isInteger)) throw new TypeError("tasks must be integers");
  const valid = typeof info === "object" && info !== null && typeof info.instanceId === "string";
  // An Eddy before module versions sends a fingerprint without a hash: its version is read from what it has.
  if (valid && typeof info.fingerprint?.hash !== "string") {
    const legacy = legacyFingerprint(info.fingerprint);
    if (legacy === undefined) delete info.fingerprint;
    else info.fingerprint = legacy;
  }
  return valid ? { tasks, info } : { tasks };
}

/**
 * Which member of the app's consumer group owns which task. Pure logic, no
 * Kafka: the kafkajs assignor (task_assignor.ts) feeds it the members and what
 * each owned before.
 *
 * Tasks move as little as possible (kafkajs has neither cooperative rebalancing
 * nor static membership, so every move costs a fence, a restore and a replay),
 * and every member gets ⌊N/M⌋ or ⌈N/M⌉ tasks.
 *
 * @module
 */

/** A group member and the tasks it owned before this rebalance. */
export interface TaskMember {
  /** The member id the coordinator gave it. */
  memberId: string;
  /** The tasks it owned in the previous generation (from its subscription userData). */
  owned: readonly number[];
}

/**
 * Assigns tasks 0..taskCount-1 to members: balanced, and sticky (a member keeps
 * the tasks it owned as far as balance allows). Deterministic for the same input.
 *
 * @example
 * ```ts
 * assignTasks([{ memberId: "a", owned: [0, 1, 2, 3] }, { memberId: "b", owned: [] }], 4);
 * // Map { "a" => [0, 1], "b" => [2, 3] }
 * ```
 */
export function assignTasks(members: readonly TaskMember[], taskCount: number): Map<string, number[]> {
  const result = new Map<string, number[]>();
  if (members.length === 0) return result;
  const sorted = members.toSorted((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const base = Math.floor(taskCount / sorted.length);
  let extra = taskCount % sorted.length;
  const claimed = new Set<number>();
  const valid = (member: TaskMember) => [...new Set(member.owned)].filter((task) => task >= 0 && task < taskCount);
  // Members that owned the most keep the ⌈N/M⌉ slots, so fewer tasks move.
  const byOwned = sorted.toSorted((a, b) => valid(b).length - valid(a).length);
  const capacity = new Map<string, number>();
  for (const member of byOwned) {
    capacity.set(member.memberId, base + (extra > 0 ? 1 : 0));
    if (extra > 0) extra--;
  }
  for (const member of byOwned) {
    const kept = valid(member).toSorted((a, b) => a - b).filter((task) => !claimed.has(task))
      .slice(0, capacity.get(member.memberId));
    kept.forEach((task) => claimed.add(task));
    result.set(member.memberId, kept);
  }
  for (let task = 0; task < taskCount; task++) {
    if (claimed.has(task)) continue;
    // The member furthest below its capacity takes it (ties: member id order).
    const taker = sorted.reduce((best, member) => {
      const room = capacity.get(member.memberId)! - result.get(member.memberId)!.length;
      const bestRoom = capacity.get(best.memberId)! - result.get(best.memberId)!.length;
      return room > bestRoom ? member : best;
    });
    result.get(taker.memberId)!.push(task);
    claimed.add(task);
  }
  for (const tasks of result.values()) tasks.sort((a, b) => a - b);
  return new Map(sorted.map((member) => [member.memberId, result.get(member.memberId)!]));
}

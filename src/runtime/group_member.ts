/**
 * What a member of the app's group tells the others (in its subscription's userData, src/kafka/task_assignor.ts):
 * its instance id, where its control API is, and the fingerprint of the app it runs — the task count, the ingress
 * topics with their targets, the egresses, the remote endpoints and the internal topics. Members whose fingerprints
 * differ would route the same records differently, so the group's leader gives a differing member no task, and that
 * member stops, saying what differs.
 *
 * @module
 */

import type { AppPlan } from "./app_plan.ts";
import type { ModuleSpec } from "../spec/model.ts";

/** The parts of an app that every member must agree on. */
export interface AppFingerprint {
  /** N. */
  taskCount: number;
  /** `topic → target, target` per ingress topic, sorted. */
  ingressTopics: string[];
  /** Egress ids, sorted. */
  egresses: string[];
  /** Endpoint bindings (`ns/name` or `ns/*`), sorted. */
  endpoints: string[];
  /** The mailbox and changelog topics. */
  internalTopics: string[];
}

/** A member as the group sees it. */
export interface MemberInfo {
  /** This instance's id (stable for its process). */
  instanceId: string;
  /** Where its control API answers, if it serves one. */
  controlUrl?: string;
  /** The app it runs. */
  fingerprint: AppFingerprint;
}

/** A member of the app's group with the tasks it owns (from a describe of the group). */
export interface GroupMember {
  /** Kafka's member id. */
  memberId: string;
  /** `clientId@host`. */
  client: string;
  /** What the member said of itself, if it is an Eddy that says it. */
  info?: MemberInfo;
  /** The tasks it owns in the current generation. */
  tasks: number[];
}

/** The fingerprint of an app with `taskCount` tasks. */
export function appFingerprint(plan: AppPlan, module: ModuleSpec, taskCount: number): AppFingerprint {
  return {
    taskCount,
    ingressTopics: [...plan.routes.values()].map((route) => `${route.topic} → ${[...route.targets].sort().join(", ")}`)
      .sort(),
    egresses: [...plan.egresses.keys()].sort(),
    endpoints: module.endpoints.map((endpoint) => `${endpoint.functions.namespace}/${endpoint.functions.name}`).sort(),
    internalTopics: [plan.mailboxTopic, plan.changelogTopic],
  };
}

/**
 * What differs between two fingerprints, for people (`names` say whose is whose: e.g. "this instance", "the
 * group"); undefined when they agree.
 */
export function fingerprintDifference(
  mine: AppFingerprint,
  theirs: AppFingerprint | undefined,
  names: { mine: string; theirs: string },
): string | undefined {
  if (theirs === undefined) return "it does not say which app it runs (an Eddy without module fingerprints)";
  const differences: string[] = [];
  if (mine.taskCount !== theirs.taskCount) {
    differences.push(`${names.theirs} has ${theirs.taskCount} tasks, ${names.mine} ${mine.taskCount}`);
  }
  for (const field of ["ingressTopics", "egresses", "endpoints", "internalTopics"] as const) {
    const extra = (theirs[field] ?? []).filter((item) => !mine[field].includes(item));
    const missing = mine[field].filter((item) => !(theirs[field] ?? []).includes(item));
    if (extra.length === 0 && missing.length === 0) continue;
    const list = (items: string[]) => items.map((item) => JSON.stringify(item)).join(", ");
    const parts = [
      ...(extra.length > 0 ? [`only ${names.theirs} has ${list(extra)}`] : []),
      ...(missing.length > 0 ? [`only ${names.mine} has ${list(missing)}`] : []),
    ];
    differences.push(`${field}: ${parts.join("; ")}`);
  }
  return differences.length === 0 ? undefined : differences.join("; ");
}

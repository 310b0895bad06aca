/**
 * Which version of a module a member runs, and what a change of version means for a running app. A member's
 * fingerprint (sent to the group in its subscription, src/kafka/task_assignor.ts) holds what the classification needs:
 * the task count and internal topics, the ingress topics and their targets, the function types it binds, the
 * egresses, a digest of each component's settings, and a hash of the whole (its version, with an optional label).
 *
 * `classifyChanges(from, to)` names each difference and its class, decided with the consistent cut and
 * exactly-once in mind (docs/rolling-upgrades.md gives the table and the reasons):
 * - **rolls**: additions (ingress topics and targets, function types, egresses) and changed settings (endpoint URL,
 *   timeouts, transport; Kafka client properties; delivery). While two versions share the group, the tasks go to the
 *   members whose reach covers every other's (`covers`), so no message reaches a member that cannot run it.
 * - **full stop**: removals. Messages already sent to what is removed (in the mailbox, pending entries, delayed
 *   messages) cannot run on the new version; an operator decides what happens to them with the app stopped, and in a
 *   group of two versions one always covers the other.
 * - **reset** (or a new app id): another task count or other internal topics — the state is in other partitions.
 *
 * @module
 */

import type { AppPlan } from "./app_plan.ts";
import { murmur2 } from "./partitioner.ts";
import type { ModuleSpec } from "../spec/model.ts";

/** The parts of a module version that the members of an app's group compare. */
export interface AppFingerprint {
  /** N. */
  taskCount: number;
  /** The mailbox and changelog topics. */
  internalTopics: string[];
  /** Function types each ingress topic's records go to (sorted), by topic. */
  ingresses: Record<string, string[]>;
  /** The function types bound: endpoint patterns (`ns/name`, `ns/*`) and in-process types, sorted. */
  functions: string[];
  /** Egress ids, sorted. */
  egresses: string[];
  /** A digest of each component's settings: `endpoint ns/name`, `egress id`, `ingress id` (its topics aside). */
  settings: Record<string, string>;
  /** The module version: a hash of the module and the in-process function types. */
  hash: string;
  /** The version's label (`--version-label`), if given. */
  label?: string;
  /**
   * What an Eddy before module versions compares (`topic → target, target` per topic, and the endpoint patterns):
   * sent so that such a member, as the group's leader, accepts this one when the module is the same — an upgrade of
   * Eddy itself rolls. Not read by this version except to understand such a member (`legacyFingerprint`).
   */
  ingressTopics?: string[];
  /** See `ingressTopics`. */
  endpoints?: string[];
}

/** What a change needs: it rolls instance by instance, needs a full stop, or a reset (or a new app id). */
export type ChangeClass = "rolls" | "full-stop" | "reset";

/** One difference between two versions. */
export interface ModuleChange {
  /** What changed, for people. */
  change: string;
  /** What it needs. */
  class: ChangeClass;
  /** Why. */
  reason: string;
}

/** What goes into a fingerprint besides the plan and the module. */
export interface FingerprintOptions {
  /** In-process function types (those a function source can list). */
  functionTypes?: readonly string[];
  /** The version's label. */
  label?: string;
}

/** The fingerprint of a module run as an app with `taskCount` tasks. */
export function appFingerprint(
  plan: AppPlan,
  module: ModuleSpec,
  taskCount: number,
  options: FingerprintOptions = {},
): AppFingerprint {
  const ingresses: Record<string, string[]> = {};
  for (const route of [...plan.routes.values()].sort((a, b) => a.topic.localeCompare(b.topic))) {
    ingresses[route.topic] = [...route.targets].sort();
  }
  const functions = [
    ...new Set([
      ...module.endpoints.map((endpoint) => `${endpoint.functions.namespace}/${endpoint.functions.name}`),
      ...(options.functionTypes ?? []),
    ]),
  ].sort();
  const settings: Record<string, string> = {};
  for (const { at: _, ...endpoint } of module.endpoints) {
    settings[`endpoint ${endpoint.functions.namespace}/${endpoint.functions.name}`] = digest(endpoint);
  }
  for (const { at: _, ...egress } of module.egresses) settings[`egress ${egress.id}`] = digest(egress);
  for (const { at: _, topics: __, ...ingress } of module.ingresses) settings[`ingress ${ingress.id}`] = digest(ingress);
  const whole = { ingresses, functions, egresses: [...plan.egresses.keys()].sort(), settings };
  return {
    taskCount,
    internalTopics: [plan.mailboxTopic, plan.changelogTopic],
    ...whole,
    hash: digest(whole) + digest([whole]),
    ...(options.label === undefined ? {} : { label: options.label }),
    ingressTopics: Object.entries(ingresses).map(([topic, targets]) => `${topic} → ${targets.join(", ")}`),
    endpoints: module.endpoints.map((endpoint) => `${endpoint.functions.namespace}/${endpoint.functions.name}`).sort(),
  };
}

/**
 * The version of a member of an Eddy before module versions, from the fingerprint it sends (task count, internal
 * topics, `topic → targets`, egresses, endpoint patterns); undefined when it is not one. Its in-process functions and
 * settings are unknown: a member of this version that binds in-process functions covers it, so an upgrade of Eddy
 * with the same module rolls, the new members taking the tasks over.
 */
export function legacyFingerprint(raw: unknown): AppFingerprint | undefined {
  const old = raw as Record<string, unknown> | null;
  const strings = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === "string");
  if (
    typeof old !== "object" || old === null || !Number.isInteger(old.taskCount) || !strings(old.internalTopics) ||
    !strings(old.ingressTopics) || !strings(old.egresses) || !strings(old.endpoints)
  ) return undefined;
  const ingresses: Record<string, string[]> = {};
  for (const line of old.ingressTopics as string[]) {
    const [topic, targets = ""] = line.split(" → ");
    ingresses[topic] = targets.split(", ").filter((target) => target !== "").sort();
  }
  const whole = {
    ingresses,
    functions: [...old.endpoints as string[]].sort(),
    egresses: [...old.egresses as string[]].sort(),
    settings: {},
  };
  return {
    taskCount: old.taskCount as number,
    internalTopics: old.internalTopics as string[],
    ...whole,
    hash: digest(whole) + digest([whole]),
    label: "Eddy before module versions",
  };
}

/** A version for people: `label (hash)` or the hash. */
export function versionName(fingerprint: Pick<AppFingerprint, "hash" | "label">): string {
  return fingerprint.label === undefined ? fingerprint.hash : `${fingerprint.label} (${fingerprint.hash})`;
}

const REASONS = {
  taskCount: "addresses are spread over tasks by murmur2(id) mod N: with another N the state, the mailbox and the " +
    "committed offsets would be in the wrong tasks",
  internalTopics: "another app id means another changelog and mailbox: the state does not follow " +
    "(move it with eddy state export and import)",
  added: "the tasks go only to members that run it until the last older member has left: no message for it reaches " +
    "a member that cannot run it",
  removed: "messages already sent to it (in the mailbox, pending, delayed) cannot run on the new version: stop the " +
    "app, and decide with it stopped what becomes of them",
  settings: "each member applies its own; no state, routing or committed offset depends on them",
} as const;

/** Each difference from version `from` (running) to version `to` (starting), with its class and reason. */
export function classifyChanges(from: AppFingerprint, to: AppFingerprint): ModuleChange[] {
  const changes: ModuleChange[] = [];
  const add = (change: string, kind: ChangeClass, reason: string) => changes.push({ change, class: kind, reason });
  if (from.taskCount !== to.taskCount && from.taskCount > 0 && to.taskCount > 0) {
    add(`task count ${from.taskCount} → ${to.taskCount}`, "reset", REASONS.taskCount);
  }
  if (from.internalTopics.join(",") !== to.internalTopics.join(",")) {
    add(
      `internal topics ${from.internalTopics.join(", ")} → ${to.internalTopics.join(", ")}`,
      "reset",
      REASONS.internalTopics,
    );
  }
  const topics = new Set([...Object.keys(from.ingresses), ...Object.keys(to.ingresses)]);
  for (const topic of [...topics].sort()) {
    const before = from.ingresses[topic];
    const after = to.ingresses[topic];
    if (before === undefined) add(`ingress topic ${topic} added (→ ${after!.join(", ")})`, "rolls", REASONS.added);
    else if (after === undefined) add(`ingress topic ${topic} removed`, "full-stop", REASONS.removed);
    else {
      for (const target of after.filter((t) => !before.includes(t))) {
        add(`ingress topic ${topic}: target ${target} added`, "rolls", REASONS.added);
      }
      for (const target of before.filter((t) => !after.includes(t))) {
        add(`ingress topic ${topic}: target ${target} removed`, "full-stop", REASONS.removed);
      }
    }
  }
  for (const type of to.functions.filter((type) => !bindsType(from.functions, type))) {
    add(`function type ${type} added`, "rolls", REASONS.added);
  }
  for (const type of from.functions.filter((type) => !bindsType(to.functions, type))) {
    add(`function type ${type} removed`, "full-stop", REASONS.removed);
  }
  for (const egress of to.egresses.filter((id) => !from.egresses.includes(id))) {
    add(`egress ${egress} added`, "rolls", REASONS.added);
  }
  for (const egress of from.egresses.filter((id) => !to.egresses.includes(id))) {
    add(`egress ${egress} removed`, "full-stop", REASONS.removed);
  }
  for (const [component, settings] of Object.entries(to.settings).sort(([a], [b]) => a.localeCompare(b))) {
    const before = from.settings[component];
    if (before !== undefined && before !== settings) add(`${component}: settings changed`, "rolls", REASONS.settings);
  }
  return changes;
}

/** The changes that do not roll. */
export function blocking(changes: readonly ModuleChange[]): ModuleChange[] {
  return changes.filter((change) => change.class !== "rolls");
}

/** Two versions cannot share a group in either order (neither is a roll from the other). */
export function incompatible(a: AppFingerprint, b: AppFingerprint): boolean {
  return blocking(classifyChanges(a, b)).length > 0 && blocking(classifyChanges(b, a)).length > 0;
}

/** `a` runs everything `b` runs: every ingress topic and target, function type and egress of `b`. */
export function covers(a: AppFingerprint, b: AppFingerprint): boolean {
  return Object.entries(b.ingresses).every(([topic, targets]) =>
    a.ingresses[topic] !== undefined && targets.every((target) => a.ingresses[topic].includes(target))
  ) && b.functions.every((type) => bindsType(a.functions, type)) &&
    b.egresses.every((id) => a.egresses.includes(id));
}

/** One line per change: `  [class] change — reason`. */
export function formatChanges(changes: readonly ModuleChange[]): string {
  return changes.map((change) => `  [${change.class}] ${change.change}: ${change.reason}`).join("\n");
}

/** `types` (types and `ns/*` patterns) bind `type` (a type or a pattern). */
function bindsType(types: readonly string[], type: string): boolean {
  if (types.includes(type)) return true;
  const namespace = type.slice(0, type.lastIndexOf("/"));
  return types.includes(`${namespace}/*`);
}

/** 8 hex digits of murmur2 over the canonical JSON of a value: a version's name, not a security measure. */
function digest(value: unknown): string {
  const bytes = new TextEncoder().encode(canonical(value));
  return (murmur2(bytes) >>> 0).toString(16).padStart(8, "0");
}

/** JSON with object keys sorted, so equal values digest equally whatever the order they were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A member as the leader sees it when it assigns tasks. */
export interface VersionedMember {
  /** Kafka's member id. */
  memberId: string;
  /** Its version, if it says (an Eddy before fingerprints does not). */
  fingerprint?: AppFingerprint;
}

/** Which members may own tasks. */
export interface TaskOwners {
  /** Members that cannot share the group with `reference`, with why. */
  refused: Map<string, string>;
  /** Members that get tasks: those whose version covers every other accepted member's. */
  owners: Set<string>;
  /** More than one version among the accepted members: a roll is in progress. */
  rolling: boolean;
}

/**
 * Who owns tasks while versions share the group. A member incompatible with `reference` (the leader's version) in
 * both directions is refused; of the others, tasks go to the members whose version covers all others' (the newer
 * version of an additive roll) — none of the older members can receive a message only the newer one can run. When no
 * version covers the others (two rolls at once), every accepted member owns tasks.
 */
export function taskOwners(reference: AppFingerprint | undefined, members: readonly VersionedMember[]): TaskOwners {
  const refused = new Map<string, string>();
  if (reference === undefined) return { refused, owners: new Set(members.map((m) => m.memberId)), rolling: false };
  const accepted: { memberId: string; fingerprint: AppFingerprint }[] = [];
  for (const { memberId, fingerprint } of members) {
    if (fingerprint === undefined) {
      refused.set(memberId, "it does not say which module version it runs (an Eddy without module versions)");
    } else if (incompatible(reference, fingerprint)) {
      refused.set(memberId, blocking(classifyChanges(reference, fingerprint)).map((c) => c.change).join("; "));
    } else accepted.push({ memberId, fingerprint });
  }
  const covering = accepted.filter((member) =>
    accepted.every((other) => covers(member.fingerprint, other.fingerprint))
  );
  const owners = new Set((covering.length > 0 ? covering : accepted).map((member) => member.memberId));
  return { refused, owners, rolling: new Set(accepted.map((member) => member.fingerprint.hash)).size > 1 };
}

/**
 * What a member of the app's group tells the others (in its subscription's userData, src/kafka/task_assignor.ts):
 * its instance id, where its control API is, and the fingerprint of the module version it runs
 * (runtime/module_version.ts). The group's leader gives tasks only to members whose version covers the others' and
 * none to a member whose version cannot share the group; that member stops, saying what differs.
 *
 * @module
 */

import type { AppFingerprint } from "./module_version.ts";

export type { AppFingerprint } from "./module_version.ts";

/** A member as the group sees it. */
export interface MemberInfo {
  /** This instance's id (stable for its process). */
  instanceId: string;
  /** Where its control API answers, if it serves one. */
  controlUrl?: string;
  /** The module version it runs (absent for an Eddy before module versions). */
  fingerprint?: AppFingerprint;
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

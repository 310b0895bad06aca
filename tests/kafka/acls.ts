/**
 * ACLs on the test broker (scripts/kafka/broker.sh runs KRaft's StandardAuthorizer; User:eddy-limited has only the
 * ACLs a test grants): whether the broker has an authorizer, and granting or denying one principal an operation.
 */

import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from "../../src/kafka/kafkajs.ts";
import { withAdmin } from "./helpers.ts";

/** The SCRAM user without super-user rights, and its password (scripts/kafka/broker.sh). */
export const LIMITED_USER = { username: "eddy-limited", password: "eddy-limited-secret" };

/** Whether the broker checks ACLs (a broker without an authorizer answers DescribeAcls with SECURITY_DISABLED). */
export async function hasAuthorizer(): Promise<boolean> {
  try {
    await withAdmin((admin) =>
      admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      })
    );
    return true;
  } catch {
    return false;
  }
}

/** One ACL: a resource (a name, or a prefix), an operation, allowed or denied. */
export interface TestAcl {
  resource: "topic" | "group" | "transactional-id" | "cluster";
  name: string;
  prefixed?: boolean;
  operation: keyof typeof AclOperationTypes;
  deny?: boolean;
}

function entry(principal: string, acl: TestAcl) {
  return {
    resourceType: {
      topic: AclResourceTypes.TOPIC,
      group: AclResourceTypes.GROUP,
      "transactional-id": AclResourceTypes.TRANSACTIONAL_ID,
      cluster: AclResourceTypes.CLUSTER,
    }[acl.resource],
    resourceName: acl.resource === "cluster" ? "kafka-cluster" : acl.name,
    resourcePatternType: acl.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal,
    host: "*",
    operation: AclOperationTypes[acl.operation],
    permissionType: acl.deny ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
  };
}

/** Creates ACLs for `principal` (`User:<name>`). */
export async function addAcls(principal: string, ...acls: TestAcl[]): Promise<void> {
  // deno-lint-ignore no-explicit-any
  await withAdmin((admin) => admin.createAcls({ acl: acls.map((acl) => entry(principal, acl)) as any }));
}

/** Deletes ACLs for `principal`. */
export async function removeAcls(principal: string, ...acls: TestAcl[]): Promise<void> {
  // deno-lint-ignore no-explicit-any
  await withAdmin((admin) => admin.deleteAcls({ filters: acls.map((acl) => entry(principal, acl)) as any }));
}

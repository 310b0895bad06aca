import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parseModuleSpec } from "../spec/load.ts";
import { planApp } from "./app_plan.ts";
import {
  appFingerprint,
  classifyChanges,
  covers,
  incompatible,
  legacyFingerprint,
  taskOwners,
} from "./module_version.ts";

const MODULE = `kind: io.statefun.endpoints.v2/http
spec:
  functions: t/remote
  urlPathTemplate: http://functions:8000/statefun
  transport:
    type: io.statefun.transports.v1/async
    call: 2m
---
kind: io.statefun.kafka.v1/ingress
spec:
  id: t/in
  address: kafka:9092
  consumerGroupId: app
  topics:
    - topic: in
      valueType: t/text
      targets: [t/a, t/b]
---
kind: io.statefun.kafka.v1/egress
spec:
  id: t/out
  address: kafka:9092
`;

function version(yaml: string, options: { taskCount?: number; functionTypes?: string[]; appId?: string } = {}) {
  const module = parseModuleSpec(yaml, "m.yaml");
  return appFingerprint(planApp(module, options.appId), module, options.taskCount ?? 4, {
    functionTypes: options.functionTypes ?? ["t/a", "t/b"],
  });
}

const EGRESS2 = `---
kind: io.statefun.kafka.v1/egress
spec:
  id: t/audit
  address: kafka:9092
`;

Deno.test("module versions: the same module has the same hash, whatever the order of targets and keys", () => {
  const v1 = version(MODULE);
  const reordered = version(MODULE.replace("[t/a, t/b]", "[t/b, t/a]"));
  equal(reordered.hash, v1.hash);
  deepEqual(classifyChanges(v1, reordered), []);
  match(v1.hash, /^[0-9a-f]{16}$/);
});

Deno.test("module versions: additions and changed settings roll", () => {
  const v1 = version(MODULE);
  const v2 = version(MODULE.replace("call: 2m", "call: 30s") + EGRESS2, { functionTypes: ["t/a", "t/b", "t/tally"] });
  notEqualHash(v1.hash, v2.hash);
  deepEqual(classifyChanges(v1, v2).map((c) => [c.change, c.class]), [
    ["function type t/tally added", "rolls"],
    ["egress t/audit added", "rolls"],
    ["endpoint t/remote: settings changed", "rolls"],
  ]);
  ok(covers(v2, v1) && !covers(v1, v2), "the newer version covers the older one");
  ok(!incompatible(v1, v2));
  const targets = version(MODULE.replace("[t/a, t/b]", "[t/a, t/b, t/c]"), { functionTypes: ["t/a", "t/b", "t/c"] });
  deepEqual(classifyChanges(v1, targets).map((c) => c.change), [
    "ingress topic in: target t/c added",
    "function type t/c added",
  ]);
});

Deno.test("module versions: removals need a full stop, another task count or app id a reset", () => {
  const v1 = version(MODULE);
  const v2 = version(MODULE + EGRESS2, { functionTypes: ["t/a", "t/b", "t/tally"] });
  // Rolling back is a removal: a full stop, with the reason.
  const back = classifyChanges(v2, v1);
  deepEqual(back.map((c) => [c.change, c.class]), [
    ["function type t/tally removed", "full-stop"],
    ["egress t/audit removed", "full-stop"],
  ]);
  match(back[0].reason, /cannot run on the new version/);
  deepEqual(
    classifyChanges(v1, version(MODULE.replace("[t/a, t/b]", "[t/a]"))).map((c) => [c.change, c.class]),
    [["ingress topic in: target t/b removed", "full-stop"]],
  );
  const eight = classifyChanges(v1, version(MODULE, { taskCount: 8 }));
  deepEqual(eight.map((c) => [c.change, c.class]), [["task count 4 → 8", "reset"]]);
  match(eight[0].reason, /murmur2\(id\) mod N/);
  ok(incompatible(v1, version(MODULE, { taskCount: 8 })), "neither order rolls");
  deepEqual(classifyChanges(v1, version(MODULE, { appId: "other" })).map((c) => c.class), ["reset"]);
});

Deno.test("module versions: a namespace pattern binds the types of its namespace", () => {
  const exact = version(MODULE);
  const pattern = version(MODULE.replace("functions: t/remote", "functions: t/*"), { functionTypes: [] });
  // t/* binds t/a, t/b and t/remote: nothing is removed, the pattern is added.
  deepEqual(classifyChanges(exact, pattern).map((c) => [c.change, c.class]), [["function type t/* added", "rolls"]]);
  // Narrowing it back to one type removes the others.
  deepEqual(classifyChanges(pattern, exact).map((c) => c.class), ["full-stop"]);
});

Deno.test("task owners: during a roll only the newer version's members own tasks; a refused member is named", () => {
  const v1 = version(MODULE);
  const v2 = version(MODULE + EGRESS2, { functionTypes: ["t/a", "t/b", "t/tally"] });
  const mixed = taskOwners(v1, [
    { memberId: "old", fingerprint: v1 },
    { memberId: "new", fingerprint: v2 },
  ]);
  deepEqual([...mixed.owners], ["new"]);
  equal(mixed.refused.size, 0);
  equal(mixed.rolling, true);
  // The same outcome whichever version leads.
  deepEqual([...taskOwners(v2, [{ memberId: "old", fingerprint: v1 }, { memberId: "new", fingerprint: v2 }]).owners], [
    "new",
  ]);
  const same = taskOwners(v1, [{ memberId: "a", fingerprint: v1 }, { memberId: "b", fingerprint: v1 }]);
  deepEqual([...same.owners].sort(), ["a", "b"]);
  equal(same.rolling, false);
  const eight = version(MODULE, { taskCount: 8 });
  const refused = taskOwners(v1, [
    { memberId: "a", fingerprint: v1 },
    { memberId: "b", fingerprint: eight },
    { memberId: "c" },
  ]);
  deepEqual([...refused.owners], ["a"]);
  equal(refused.refused.get("b"), "task count 4 → 8");
  match(refused.refused.get("c")!, /does not say which module version/);
});

function notEqualHash(a: string, b: string) {
  ok(a !== b, `${a} and ${b} differ`);
}

Deno.test("module versions: a member of an Eddy before module versions is read from its old fingerprint", () => {
  const now = version(MODULE);
  // What Eddy before module versions sent for the same module (its fields only).
  const old = {
    taskCount: 4,
    ingressTopics: ["in → t/a, t/b"],
    egresses: ["t/out"],
    endpoints: ["t/remote"],
    internalTopics: ["app-mailbox", "app-changelog"],
  };
  deepEqual(
    { ingressTopics: now.ingressTopics, egresses: now.egresses, endpoints: now.endpoints },
    { ingressTopics: old.ingressTopics, egresses: old.egresses, endpoints: old.endpoints },
    "this version still sends what the old one compares, equal for the same module",
  );
  const legacy = legacyFingerprint(old)!;
  deepEqual(legacy.ingresses, { in: ["t/a", "t/b"] });
  equal(legacy.label, "Eddy before module versions");
  // Its in-process functions are unknown: this version adds them, which rolls, and takes the tasks over.
  deepEqual(classifyChanges(legacy, now).map((c) => [c.change, c.class]), [
    ["function type t/a added", "rolls"],
    ["function type t/b added", "rolls"],
  ]);
  deepEqual([
    ...taskOwners(legacy, [{ memberId: "old", fingerprint: legacy }, { memberId: "new", fingerprint: now }])
      .owners,
  ], ["new"]);
  equal(legacyFingerprint({ taskCount: 4 }), undefined, "not an old fingerprint");
  equal(legacyFingerprint(null), undefined);
});

import { equal, match } from "node:assert/strict";
import { parseModuleSpec } from "../spec/load.ts";
import { planApp } from "./app_plan.ts";
import { appFingerprint, fingerprintDifference } from "./group_member.ts";

const MODULE = `kind: io.statefun.kafka.v1/ingress
spec:
  id: t/in
  address: kafka:9092
  consumerGroupId: app
  topics:
    - topic: in
      valueType: t/text
      targets: [t/a, t/b]
`;
const names = { mine: "this instance", theirs: "the group" };

Deno.test("fingerprints: the same module agrees, target order aside; a difference is named", () => {
  const module = parseModuleSpec(MODULE, "m.yaml");
  const mine = appFingerprint(planApp(module), module, 4);
  const reordered = parseModuleSpec(MODULE.replace("[t/a, t/b]", "[t/b, t/a]"), "m.yaml");
  equal(fingerprintDifference(mine, appFingerprint(planApp(reordered), reordered, 4), names), undefined);
  const other = parseModuleSpec(MODULE.replace("[t/a, t/b]", "[t/a, t/c]"), "m.yaml");
  match(
    fingerprintDifference(mine, appFingerprint(planApp(other), other, 8), names)!,
    /the group has 8 tasks, this instance 4; ingressTopics: only the group has "in → t\/a, t\/c"; only this instance has "in → t\/a, t\/b"/,
  );
  match(fingerprintDifference(mine, undefined, names)!, /does not say which app it runs/);
});

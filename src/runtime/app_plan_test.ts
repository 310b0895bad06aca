import { deepEqual, equal, throws } from "node:assert/strict";
import { parseModuleSpec } from "../spec/load.ts";
import { AppPlanError, planApp } from "./app_plan.ts";

function ingress(id: string, topic: string, group: string, address = "127.0.0.1:9092") {
  return `kind: io.statefun.kafka.v1/ingress
spec:
  id: ${id}
  address: ${address}
  consumerGroupId: ${group}
  topics:
    - topic: ${topic}
      valueType: io.statefun.types/string
      targets: [com.example/greeter]
`;
}

function egress(id: string, semantic: string, address = "127.0.0.1:9092") {
  return `kind: io.statefun.kafka.v1/egress
spec:
  id: ${id}
  address: ${address}
  deliverySemantic:
    type: ${semantic}
${semantic === "exactly-once" ? "    transactionTimeout: 1min\n" : ""}`;
}

const load = (...documents: string[]) => parseModuleSpec(documents.join("---\n"), "module.yaml");

Deno.test("the shared consumerGroupId is the app id; internal topics and routes follow", () => {
  const plan = planApp(load(ingress("com.example/a", "names", "greeter"), ingress("com.example/b", "more", "greeter")));
  equal(plan.appId, "greeter");
  equal(plan.mailboxTopic, "greeter-mailbox");
  equal(plan.changelogTopic, "greeter-changelog");
  deepEqual([...plan.routes.keys()], ["names", "more"]);
  deepEqual(plan.routes.get("names")?.targets, ["com.example/greeter"]);
  deepEqual(plan.brokers, ["127.0.0.1:9092"]);
});

Deno.test("different consumerGroupIds need --app-id, which names the app", () => {
  const module = load(ingress("com.example/a", "names", "g1"), ingress("com.example/b", "more", "g2"));
  throws(() => planApp(module), /different consumerGroupIds: com.example\/a \(g1, module.yaml:1\).*--app-id/);
  const plan = planApp(module, "app");
  equal(plan.appId, "app");
  equal(plan.routes.get("more")?.groupId, "g2");
});

Deno.test("refused: no ingress, two clusters, a topic read twice, a bad app id, an exactly-once egress elsewhere", () => {
  throws(() => planApp(load(egress("com.example/out", "none"))), /has no Kafka ingress/);
  throws(
    () => planApp(load(ingress("com.example/a", "names", "g"), ingress("com.example/b", "x", "g", "other:9092"))),
    (error: Error) => error instanceof AppPlanError && /module.yaml:11:7.*one Kafka cluster/s.test(error.message),
  );
  throws(
    () => planApp(load(ingress("com.example/a", "names", "g"), ingress("com.example/b", "names", "g"))),
    /topic names is read twice/,
  );
  throws(() => planApp(load(ingress("com.example/a", "names", "g")), "no spaces"), /cannot name Kafka topics/);
  throws(
    () => planApp(load(ingress("com.example/a", "names", "g"), egress("com.example/out", "exactly-once", "x:1"))),
    /transaction cannot span clusters/,
  );
  // At-least-once may point elsewhere; broker lists compare as sets.
  const plan = planApp(
    load(ingress("com.example/a", "names", "g", "b:2,a:1"), egress("com.example/out", "exactly-once", "a:1, b:2")),
  );
  equal(plan.egresses.size, 1);
  equal(planApp(load(ingress("a.b/c", "t", "g"), egress("a.b/o", "at-least-once", "x:1"))).egresses.size, 1);
});

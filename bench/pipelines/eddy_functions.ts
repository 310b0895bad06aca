/**
 * The in-process functions of the Eddy pipelines and their module spec:
 *
 * - **count** (`bench.count/counter`): one function; counts per name in its
 *   state and writes `{"name","count","sentAt"}` to the egress — the same work
 *   as the Kafka Streams app and the kafkajs loops;
 * - **greeter** (`bench.greeter/greeter` → `bench.greeter/deliverer`): the
 *   greeter of examples/greeter; the greeter counts per name in state and
 *   messages the deliverer (same id, so the same task: delivered in memory),
 *   which writes `Hello <name> #<n>` to the egress.
 *
 * Both carry the input's `sentAt` to the output.
 *
 * @module
 */

import { kafkaEgressMessage, messageBuilder, StateFun } from "../../mod.ts";
import type { Input } from "../workload.ts";

/**
 * Which app: in process, or remote (the SDK server of bench/pipelines/remote_functions.ts): the greeter (two hops per
 * input), the count (one hop), or the count beside a slow function type (1 key in 100 also messages a type that
 * answers in 2 s).
 */
export type EddyApp = "count" | "greeter" | "remote" | "remote-count" | "remote-slow";

/** The count function. */
export function countFunctions(outTopic: string): StateFun {
  const NameType = StateFun.jsonType<Input>("bench.count/Name");
  const functions = new StateFun();
  functions.bind({
    typename: "bench.count/counter",
    specs: [{ name: "count", type: StateFun.intType() }],
    fn(context, message) {
      const { name, sentAt } = message.as(NameType)!;
      const count = (context.storage.count ?? 0) + 1;
      context.storage.count = count;
      context.send(kafkaEgressMessage({
        typename: "bench.count/counts",
        topic: outTopic,
        key: name,
        value: JSON.stringify({ name, count, sentAt }),
      }));
    },
  });
  return functions;
}

/** The greeter of examples/greeter, carrying the input's send time to the output. */
export function greeterFunctions(outTopic: string): StateFun {
  const PersonType = StateFun.jsonType<Input>("bench.greeter/Person");
  const GreetingType = StateFun.jsonType<Input & { seen: number }>("bench.greeter/Greeting");
  const functions = new StateFun();
  functions.bind({
    typename: "bench.greeter/greeter",
    specs: [{ name: "seen", type: StateFun.intType() }],
    fn(context, message) {
      const person = message.as(PersonType)!;
      const seen = (context.storage.seen ?? 0) + 1;
      context.storage.seen = seen;
      context.send(messageBuilder({
        typename: "bench.greeter/deliverer",
        id: person.name,
        value: { ...person, seen },
        valueType: GreetingType,
      }));
    },
  });
  functions.bind({
    typename: "bench.greeter/deliverer",
    fn(context, message) {
      const { name, seen, sentAt } = message.as(GreetingType)!;
      context.send(kafkaEgressMessage({
        typename: "bench.greeter/greetings",
        topic: outTopic,
        key: name,
        value: JSON.stringify({ greeting: `Hello ${name} #${seen}`, sentAt }),
      }));
    },
  });
  return functions;
}

/**
 * The module spec of `app`: one ingress (earliest) and one egress, whose delivery follows the guarantee, and for a
 * remote app the `io.statefun.endpoints.v2/http` endpoint at `remotePort`. StateFun 3.3's rows run the same text
 * (bench/pipelines/statefun.ts).
 */
export function moduleYaml(
  app: EddyApp,
  options: { brokers: string[]; input: string; group: string; exactlyOnce: boolean; remotePort?: number },
): string {
  const counting = app === "count" || app === "remote-count" || app === "remote-slow";
  const namespace = counting ? "bench.count" : "bench.greeter";
  const [valueType, target, egress] = counting
    ? ["Name", app === "remote-slow" ? "counter-beside-slow" : "counter", "counts"]
    : ["Person", "greeter", "greetings"];
  const endpoint = options.remotePort === undefined ? "" : `kind: io.statefun.endpoints.v2/http
spec:
  functions: ${namespace}/*
  urlPathTemplate: http://127.0.0.1:${options.remotePort}/{function.name}
---
`;
  return `${endpoint}kind: io.statefun.kafka.v1/ingress
spec:
  id: ${namespace}/in
  address: ${options.brokers.join(",")}
  consumerGroupId: ${options.group}
  startupPosition:
    type: earliest
  topics:
    - topic: ${options.input}
      valueType: ${namespace}/${valueType}
      targets: [${namespace}/${target}]
---
kind: io.statefun.kafka.v1/egress
spec:
  id: ${namespace}/${egress}
  address: ${options.brokers.join(",")}
  deliverySemantic:
    type: ${options.exactlyOnce ? "exactly-once\n    transactionTimeout: 1min" : "at-least-once"}
`;
}

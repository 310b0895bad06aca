/**
 * The bench's greeter (bench/pipelines/eddy_functions.ts) written with the official StateFun JS SDK and served by its handler
 * under Deno's node:http: the comparison row `eddy-remote-deno-eo` beside the same functions under Node
 * (bench/statefun/functions.cjs, what the other remote rows run). `deno run --allow-net --allow-env
 * bench/pipelines/remote_greeter_functions.ts <port> <output topic>`; prints `eddy-bench: ready` once it listens.
 */

import * as http from "node:http";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../../examples/remote_greeter/deps.ts";

const [port, outTopic] = Deno.args;
const PersonType = StateFun.jsonType("bench.greeter/Person");
const GreetingType = StateFun.jsonType("bench.greeter/Greeting");
const statefun = new StateFun();

statefun.bind({
  typename: "bench.greeter/greeter",
  specs: [{ name: "seen", type: StateFun.intType() }],
  // deno-lint-ignore no-explicit-any
  fn(context: any, message: any) {
    const person = message.as(PersonType);
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

statefun.bind({
  typename: "bench.greeter/deliverer",
  // deno-lint-ignore no-explicit-any
  fn(context: any, message: any) {
    const { name, seen, sentAt } = message.as(GreetingType);
    context.send(kafkaEgressMessage({
      typename: "bench.greeter/greetings",
      topic: outTopic,
      key: name,
      value: JSON.stringify({ greeting: `Hello ${name} #${seen}`, sentAt }),
    }));
  },
});

http.createServer(statefun.handler()).listen(Number(port), "127.0.0.1", () => {
  console.log("eddy-bench: ready");
});

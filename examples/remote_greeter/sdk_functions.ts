/**
 * The remote greeter's functions, written with the official StateFun JS SDK (npm apache-flink-statefun 3.3.0): the
 * SDK's `StateFun` with its bindings. functions.ts serves it over HTTP; a test can call its handler in process
 * (`fromNodeHandler(statefun.handler())` from Eddy's test kit).
 */

import { kafkaEgressMessage, messageBuilder, StateFun } from "./deps.ts";

const PersonType = StateFun.jsonType("com.example.remote/Person");
const GreetingType = StateFun.jsonType("com.example.remote/Greeting");
const greetings = Deno.env.get("REMOTE_GREETER_TOPIC") ?? "remote-greetings";

/** The SDK's functions: the greeter and the deliverer. */
export const statefun = new StateFun();

// Counts greetings per name; the state is declared here only (Eddy learns it from the SDK's first answer).
statefun.bind({
  typename: "com.example.remote/greeter",
  specs: [{ name: "seen", type: StateFun.intType() }],
  // deno-lint-ignore no-explicit-any
  fn(context: any, message: any) {
    const person = message.as(PersonType);
    const seen = (context.storage.seen ?? 0) + 1;
    context.storage.seen = seen;
    context.send(messageBuilder({
      typename: "com.example.remote/deliverer",
      id: person.name,
      value: { name: person.name, seen },
      valueType: GreetingType,
    }));
  },
});

// Writes the greeting to Kafka.
statefun.bind({
  typename: "com.example.remote/deliverer",
  // deno-lint-ignore no-explicit-any
  fn(context: any, message: any) {
    const { name, seen } = message.as(GreetingType);
    context.send(kafkaEgressMessage({
      typename: "com.example.remote/greetings",
      topic: greetings,
      key: name,
      value: `Hello ${name} #${seen}`,
    }));
  },
});

/**
 * The greeter's functions, written against the official StateFun JS SDK's
 * API: with `import { ... } from "apache-flink-statefun"` instead of Eddy's
 * mod.ts they run on a StateFun cluster unchanged.
 *
 * `eddy run --module examples/greeter/module.yaml --functions examples/greeter/functions.ts`
 */

import { kafkaEgressMessage, messageBuilder, StateFun } from "../../mod.ts";

/** What arrives on the `names` topic. */
interface Person {
  name: string;
}

/** What the greeter tells the deliverer. */
interface Greeting {
  name: string;
  seen: number;
}

const PersonType = StateFun.jsonType<Person>("com.example.greeter/Person");
const GreetingType = StateFun.jsonType<Greeting>("com.example.greeter/Greeting");

const functions = new StateFun();

// Counts greetings per name (the address id is the record key: the name).
functions.bind({
  typename: "com.example.greeter/greeter",
  specs: [{ name: "seen", type: StateFun.intType() }],
  fn(context, message) {
    const person = message.as(PersonType)!;
    const seen = (context.storage.seen ?? 0) + 1;
    context.storage.seen = seen;
    context.send(messageBuilder({
      typename: "com.example.greeter/deliverer",
      id: person.name,
      value: { name: person.name, seen },
      valueType: GreetingType,
    }));
  },
});

// Writes the greeting to the egress.
functions.bind({
  typename: "com.example.greeter/deliverer",
  fn(context, message) {
    const { name, seen } = message.as(GreetingType)!;
    context.send(kafkaEgressMessage({
      typename: "com.example.greeter/greetings",
      topic: "greetings",
      key: name,
      value: `Hello ${name} #${seen}`,
    }));
  },
});

export default functions;

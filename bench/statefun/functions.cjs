/*
 * The bench's remote functions as a StateFun user serves them: a plain CommonJS file for Node, written with the
 * official StateFun JS SDK (apache-flink-statefun 3.3.0) and served by its handler on node:http. Both Eddy's remote rows
 * and StateFun 3.3's own rows call it over `io.statefun.endpoints.v2/http`, so they differ only in the runtime.
 *
 * - bench.greeter/greeter → bench.greeter/deliverer: the greeter of bench/pipelines/eddy_functions.ts (two HTTP hops
 *   per input: the greeter counts in state `seen` and messages the deliverer, which writes `Hello <name> #<n>`);
 * - bench.count/counter: the count (one hop: counts in state `count` and writes `{"name","count","sentAt"}`);
 * - bench.count/counter-beside-slow → bench.count/slow: the count, and for 1 key in 100 a message to a function type
 *   whose endpoint answers in 2 s.
 *
 * Each output carries its input's `sentAt` (the bench's end-to-end latency). bench/pipelines/remote_functions.ts copies
 * this file next to an `npm install apache-flink-statefun@3.3.0` (bench/.cache/statefun-node/, made once) and runs
 * `node functions.cjs <port> <output topic>`; it prints `eddy-bench: ready` once it listens (bench/child_process.ts).
 */
"use strict";

const http = require("node:http");
const { kafkaEgressMessage, messageBuilder, StateFun } = require("apache-flink-statefun");

const [port, outTopic] = process.argv.slice(2);
const PersonType = StateFun.jsonType("bench.greeter/Person");
const GreetingType = StateFun.jsonType("bench.greeter/Greeting");
const NameType = StateFun.jsonType("bench.count/Name");
const statefun = new StateFun();

statefun.bind({
  typename: "bench.greeter/greeter",
  specs: [{ name: "seen", type: StateFun.intType() }],
  fn(context, message) {
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
  fn(context, message) {
    const { name, seen, sentAt } = message.as(GreetingType);
    context.send(kafkaEgressMessage({
      typename: "bench.greeter/greetings",
      topic: outTopic,
      key: name,
      value: JSON.stringify({ greeting: `Hello ${name} #${seen}`, sentAt }),
    }));
  },
});

// The count: state `count` + 1, and its output. Returns the input.
function countInput(context, message) {
  const input = message.as(NameType);
  const count = (context.storage.count ?? 0) + 1;
  context.storage.count = count;
  context.send(kafkaEgressMessage({
    typename: "bench.count/counts",
    topic: outTopic,
    key: input.name,
    value: JSON.stringify({ name: input.name, count, sentAt: input.sentAt }),
  }));
  return input;
}

statefun.bind({
  typename: "bench.count/counter",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn: countInput,
});

// The slow row (eddy-remote-slow-eo): the count, and for 1 key in 100 a message to a function type whose endpoint
// answers in 2 s (stuck on a slow dependency) and writes nothing. What it costs the count's outputs of the same tasks is
// the figure. The 2 s are per request, not per message (the server below holds /slow's requests): a batch of 100
// messages for one address would otherwise take 200 s and time out.
statefun.bind({
  typename: "bench.count/counter-beside-slow",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(context, message) {
    const { name, sentAt } = countInput(context, message);
    if (Number(name.slice(name.lastIndexOf("-") + 1)) % 100 === 0) {
      context.send(
        messageBuilder({ typename: "bench.count/slow", id: name, value: { name, sentAt }, valueType: NameType }),
      );
    }
  },
});

statefun.bind({ typename: "bench.count/slow", fn() {} });

const handler = statefun.handler();
http.createServer((request, response) => {
  if (request.url === "/slow") setTimeout(() => handler(request, response), 2000);
  else handler(request, response);
}).listen(Number(port), "127.0.0.1", () => {
  process.stdout.write("eddy-bench: ready\n");
});

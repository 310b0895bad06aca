/**
 * The greeter, end to end, with no manual steps: starts the local Kafka broker, creates the topics `names` and
 * `greetings`, starts Eddy with the greeter's module and in-process functions, produces a few names and prints the
 * greetings, then stops Eddy gracefully.
 *
 * `deno task example` (state lives in Kafka: a second run continues the counts).
 */

import { runGreeterExample } from "../greeter_run.ts";

await runGreeterExample({
  name: "greeter",
  module: "examples/greeter/module.yaml",
  functions: "examples/greeter/functions.ts",
  topics: { names: "names", greetings: "greetings" },
});

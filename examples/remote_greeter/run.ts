/**
 * The remote greeter, end to end, with no manual steps: starts the local Kafka broker, creates the topics, starts
 * the functions (the official StateFun JS SDK's HTTP handler, functions.ts) and Eddy with the module alone — no
 * --functions: Eddy calls them over StateFun's request-reply protocol — produces a few names and prints the
 * greetings, then stops both.
 *
 * `deno task example:remote` (state lives in Kafka: a second run continues the counts).
 */

import { runGreeterExample } from "../greeter_run.ts";

const root = new URL("../../", import.meta.url).pathname;

await runGreeterExample({
  name: "remote-greeter",
  module: "examples/remote_greeter/module.yaml",
  topics: { names: "remote-names", greetings: "remote-greetings" },
  before: () => {
    console.log("starting the functions (official JS SDK) on 127.0.0.1:18000");
    return new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-env", "--allow-read", "examples/remote_greeter/functions.ts", "18000"],
      cwd: root,
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  },
});

/**
 * Characterization: kafkajs 2.2.4 under Deno 2 — the permissions it needs and
 * what Deno's test sanitizers say about it.
 */

import { equal, match } from "node:assert/strict";
import { kafkaTest } from "./helpers.ts";

const fixtures = new URL("./fixtures/", import.meta.url).pathname;

async function deno(...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
}

kafkaTest("kafkajs needs env (it reads NODE_ENV on import) and net to the brokers, nothing more", async () => {
  const connect = `${fixtures}connect.ts`;
  const enough = await deno("run", "--no-prompt", "--allow-net=127.0.0.1:9092", "--allow-env", connect);
  equal(enough.code, 0, enough.stderr);
  equal(enough.stdout.trim(), "brokers: 1");

  const noEnv = await deno("run", "--no-prompt", "--allow-net=127.0.0.1:9092", connect);
  equal(noEnv.code, 1);
  match(noEnv.stderr, /NotCapable: Requires env access to "NODE_ENV"/);

  const noNet = await deno("run", "--no-prompt", "--allow-env", connect);
  equal(noNet.code, 1);
  match(noNet.stderr, /KafkaJSNumberOfRetriesExceeded: Connection error: Requires net access to "127\.0\.0\.1:9092"/);
});

kafkaTest("Deno's op and resource sanitizers pass for kafkajs clients that disconnect", async () => {
  const result = await deno("test", "--allow-all", `${fixtures}sanitized_check.ts`);
  equal(result.code, 0, result.stdout + result.stderr);
  match(result.stdout, /ok \| 2 passed \| 0 failed/);
});

kafkaTest("NODE_ENV=test switches kafkajs to its test retry defaults (15 retries instead of 5)", async () => {
  const run = async (env: Record<string, string>) => {
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-env", `${fixtures}unreachable.ts`],
      env: { NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(stdout).trim();
  };
  const [normal, test] = await Promise.all([run({ NODE_ENV: "production" }), run({ NODE_ENV: "test" })]);
  equal(normal, "attempts: 6");
  equal(test, "attempts: 16");
});

/**
 * `eddy run` and `eddy reset` as a user runs them, on the real broker: clear
 * refusals (missing topic, unreachable broker, a bad functions module, an
 * internal topic that does not match), a graceful SIGTERM with exit 0 and JSON
 * logs, and a reset that starts the app over.
 */

import { equal, match } from "node:assert/strict";
import { OUT } from "../runtime/fixtures/functions.ts";
import { cleanUp, moduleYaml, readAll, type TestModule } from "../runtime/harness.ts";
import {
  brokers,
  createTopic,
  kafkaTest,
  produce,
  readBack,
  uniqueName,
  waitFor,
  withAdmin,
} from "../kafka/helpers.ts";

const mod = new URL("../../mod.ts", import.meta.url).pathname;
const functionsFile = new URL("../runtime/fixtures/counter_main.ts", import.meta.url).pathname;
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function writeModule(module: TestModule | string): Promise<string> {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(file, typeof module === "string" ? module : moduleYaml(module));
  return file;
}

function eddy(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", mod, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

async function eddyOutput(args: string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await eddy(args, env).output();
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

kafkaTest("eddy run refuses clearly: usage, a missing topic, no broker, a bad functions module", async () => {
  const usage = await eddyOutput(["run", "--functions", functionsFile]);
  equal(usage.code, 2);
  match(usage.stderr, /--module is required/);

  const badPolicy = await eddyOutput([
    "run",
    "--module",
    "m.yaml",
    "--functions",
    functionsFile,
    "--unroutable-records",
    "drop",
  ]);
  equal(badPolicy.code, 2);
  match(badPolicy.stderr, /--unroutable-records must be stop, skip or dead-letter:<topic>, not "drop"/);

  const missing = uniqueName("missing");
  const file = await writeModule({
    group: uniqueName("app"),
    topics: [{ topic: missing, targets: ["test.eddy/counter"] }],
  });
  const noTopic = await eddyOutput(["run", "--module", file, "--functions", functionsFile]);
  equal(noTopic.code, 1);
  match(
    noTopic.stderr,
    new RegExp(`ingress test.eddy/in \\(.*\\.yaml:1\\) reads topic ${missing}, which does not exist`),
  );
  equal(noTopic.stderr.includes("    at "), false, "no stack trace");

  const unreachable = await writeModule(
    moduleYaml({ group: "g", topics: [{ topic: "t", targets: ["test.eddy/counter"] }] })
      .replaceAll(brokers.join(","), "127.0.0.1:1"),
  );
  const noBroker = await eddyOutput(["run", "--module", unreachable, "--functions", functionsFile]);
  equal(noBroker.code, 1);
  match(noBroker.stderr, /cannot reach Kafka at 127\.0\.0\.1:1/);

  const notStateFun = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(notStateFun, "export default 42;\n");
  const badFunctions = await eddyOutput(["run", "--module", file, "--functions", notStateFun]);
  equal(badFunctions.code, 1);
  match(badFunctions.stderr, /must export a StateFun instance as its default export/);

  const input = await createTopic("in");
  const group = uniqueName("app");
  const runnable = await writeModule({ group, topics: [{ topic: input, targets: ["test.eddy/counter"] }] });
  const notAFolder = await Deno.makeTempFile();
  const badStateDir = await eddyOutput([
    "run",
    "--module",
    runnable,
    "--functions",
    functionsFile,
    "--state-dir",
    notAFolder,
  ]);
  equal(badStateDir.code, 1);
  match(
    badStateDir.stderr,
    new RegExp(`eddy: cannot keep state in ${notAFolder}/${group}-changelog \\(--state-dir\\)`),
  );
  equal(badStateDir.stderr.includes("    at "), false, "no stack trace");
  for (const path of [file, unreachable, notStateFun, runnable, notAFolder]) await Deno.remove(path);
  await cleanUp(group, input);
});

kafkaTest("eddy run refuses an internal topic that does not match, saying what differs", async () => {
  const input = await createTopic("in", { partitions: 2 });
  const group = uniqueName("app");
  await withAdmin((admin) => admin.createTopics({ topics: [{ topic: `${group}-changelog`, numPartitions: 3 }] }));
  const file = await writeModule({ group, topics: [{ topic: input, targets: ["test.eddy/counter"] }] });
  const result = await eddyOutput(["run", "--module", file, "--functions", functionsFile]);
  equal(result.code, 1);
  match(
    result.stderr,
    new RegExp(
      `refusing to start: topic ${group}-changelog exists but does not match: 3 partitions, needs 2; cleanup.policy=delete, needs compact`,
    ),
  );
  await Deno.remove(file);
  await cleanUp(group, input);
});

kafkaTest("SIGTERM stops eddy run gracefully (exit 0, JSON logs); eddy reset starts the app over", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const group = uniqueName("app");
  const module: TestModule = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
  };
  const file = await writeModule(module);
  await produce(input, [{ key: "k", value: "a" }, { key: "k", value: "b" }]);
  const run = () =>
    eddy([
      "run",
      "--module",
      file,
      "--functions",
      functionsFile,
      "--log-format",
      "json",
      "--control-addr",
      "127.0.0.1:0",
    ], {
      EDDY_TEST_OUT_TOPIC: output,
    })
      .spawn();

  const first = run();
  await readBack(output, 2);
  const refused = await eddyOutput(["reset", "--module", file, "--yes"]);
  equal(refused.code, 1);
  match(refused.stderr, new RegExp(`refusing to reset: group ${group} has members`));
  first.kill("SIGTERM");
  const { code, stderr } = await first.output();
  equal(code, 0, decode(stderr));
  const lines = decode(stderr).trim().split("\n").map((line) => JSON.parse(line));
  equal(lines.some((line) => line.message === "stopped cleanly" && line.app === group), true);
  const started = lines.find((line) => line.task === 0 && /task started/.test(line.message));
  equal(typeof started?.restoreMs, "number"); // how long its restore took (the restore bench reads it)

  const dryRun = await eddyOutput(["reset", "--module", file]);
  equal(dryRun.code, 1);
  match(dryRun.stderr, /run again with --yes/);
  const reset = await eddyOutput(["reset", "--module", file, "--yes"]);
  equal(reset.code, 0, reset.stderr);
  match(reset.stdout, new RegExp(`topics deleted: ${group}-mailbox, ${group}-changelog`));

  // Started over: the startup position (earliest) applies again and the state is new.
  const second = run();
  await readBack(output, 4);
  second.kill("SIGTERM");
  equal((await second.output()).code, 0);
  const values = (await readAll(output)).map((record) => record.value);
  equal(values.join(","), "1:a,2:b,1:a,2:b");
  await waitFor(
    "the group to be empty",
    async () => (await withAdmin((admin) => admin.describeGroups([group]))).groups[0].members.length === 0,
  );
  await Deno.remove(file);
  await cleanUp(group, input, output);
});

kafkaTest("a rejection nothing handles ends eddy run, logged first as one JSON line with its whole trace", async () => {
  const input = await createTopic("in");
  const group = uniqueName("app");
  const file = await writeModule({ group, topics: [{ topic: input, targets: ["test.eddy/counter"] }] });
  await produce(input, [{ key: "k", value: "a" }]);
  const dangling = new URL("../runtime/fixtures/dangling_rejection_main.ts", import.meta.url).pathname;
  const { code, stderr } = await eddyOutput([
    "run",
    "--module",
    file,
    "--functions",
    dangling,
    "--log-format",
    "json",
    "--control-addr",
    "none",
  ]);
  equal(code, 1, stderr);
  const logged = stderr.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
    .find((line) => line.level === "error" && /^uncaught error/.test(line.message));
  equal(logged?.message, "uncaught error, the process ends: a promise nobody awaited failed", stderr);
  equal(logged.app, group);
  match(logged.stack, /dangling_rejection_main\.ts/);
  await Deno.remove(file);
  await cleanUp(group, input);
});

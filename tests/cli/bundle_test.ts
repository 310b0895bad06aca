/**
 * The one file Eddy ships as: `deno task bundle` writes dist/eddy.js (`deno bundle`), which runs with
 * `deno run --allow-net --allow-read --allow-env dist/eddy.js …`. The test bundles into a temporary folder, validates
 * the greeter's module with the bundle, and runs the greeter with it on the real broker (its functions loaded from
 * examples/greeter/functions.ts) until a greeting comes back, then stops it with SIGTERM.
 */

import { equal, match, ok } from "node:assert/strict";
import { brokers, createTopic, kafkaTest, produce, uniqueName, waitFor, withAdmin } from "../kafka/helpers.ts";
import { readAll } from "../runtime/harness.ts";
import { freePort, remoteModuleYaml, startFunctions, stringValue } from "../remote/fixtures/remote_app.ts";

const root = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();

async function bundle(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/eddy.js`;
  // The bundle task's command, with another output file.
  const task = JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks.bundle as string;
  const args = task.split(" ").slice(1).map((arg) => arg === "dist/eddy.js" ? out : arg);
  const { success, stderr } = await new Deno.Command(deno, { args, cwd: root, stdout: "null", stderr: "piped" })
    .output();
  if (!success) throw new Error(`deno bundle failed: ${new TextDecoder().decode(stderr)}`);
  return out;
}

kafkaTest("dist/eddy.js: validate and a short eddy run of the greeter", async () => {
  const eddy = await bundle();
  const permissions = ["--allow-net", "--allow-read", "--allow-env"];
  const validate = await new Deno.Command(deno, {
    args: ["run", ...permissions, eddy, "validate", "examples/greeter/module.yaml"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(validate.code, 0, new TextDecoder().decode(validate.stderr));
  match(new TextDecoder().decode(validate.stdout), /examples\/greeter\/module\.yaml: valid/);

  // The greeter's module with an input topic and app of its own; its functions write to `greetings`, as in
  // `deno task example`, so the greeting is found there by its unique name.
  const names = await createTopic("names", { partitions: 4 });
  await withAdmin(async (admin) => {
    if (!(await admin.listTopics()).includes("greetings")) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: "greetings", numPartitions: 1 }] });
    }
  });
  const group = uniqueName("greeter");
  const name = uniqueName("Bundle");
  const module = (await Deno.readTextFile(`${root}examples/greeter/module.yaml`))
    .replace("consumerGroupId: greeter", `consumerGroupId: ${group}`)
    .replace("- topic: names", `- topic: ${names}`)
    .replaceAll("127.0.0.1:9092", brokers.join(","));
  const moduleFile = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(moduleFile, module);
  const controlPort = freePort();
  const child = new Deno.Command(deno, {
    args: [
      "run",
      ...permissions,
      eddy,
      "run",
      "--module",
      moduleFile,
      "--functions",
      "examples/greeter/functions.ts",
      "--control-addr",
      `127.0.0.1:${controlPort}`,
    ],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let failure: unknown;
  try {
    await produce(names, [{ key: name, value: JSON.stringify({ name }) }]);
    await waitFor(
      `the greeting of ${name}`,
      async () => (await readAll("greetings")).some((record) => record.value === `Hello ${name} #1`),
      60_000,
    );
    // The dashboard's page, stylesheet and script are embedded in the bundle.
    for (const [path, marker] of [["/", "dashboard.js"], ["/dashboard.css", "--bar"], ["/dashboard.js", "syncRows"]]) {
      const text = await (await fetch(`http://127.0.0.1:${controlPort}${path}`)).text();
      ok(text.includes(marker), `${path} from the bundle`);
    }
  } catch (error) {
    failure = error;
  }
  child.kill("SIGTERM");
  const { code, stderr } = await child.output();
  const log = new TextDecoder().decode(stderr);
  await Deno.remove(moduleFile);
  await withAdmin(async (admin) => {
    await admin.deleteTopics({ topics: [names, `${group}-mailbox`, `${group}-changelog`] });
    await admin.deleteGroups([group]).catch(() => {});
  });
  if (failure !== undefined) throw new Error(`${(failure as Error).message}; eddy's log:\n${log}`);
  equal(code, 0, log);
});

kafkaTest("dist/eddy.js runs a remote module: functions of the official JS SDK over HTTP, no --functions", async () => {
  const eddy = await bundle();
  const port = freePort();
  const input = await createTopic("in");
  const output = await createTopic("out");
  const group = uniqueName("remote");
  const moduleFile = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(moduleFile, remoteModuleYaml({ port, group, input }));
  const functions = startFunctions(port, output);
  const child = new Deno.Command(deno, {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      eddy,
      "run",
      "--module",
      moduleFile,
      "--control-addr",
      "none",
    ],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let failure: unknown;
  try {
    await produce(input, [{ key: "k", value: stringValue("x") }]);
    await waitFor("the remote output", async () => (await readAll(output)).some((r) => r.value === "1:x"), 60_000);
  } catch (error) {
    failure = error;
  }
  child.kill("SIGTERM");
  const { code, stderr } = await child.output();
  functions.kill("SIGTERM");
  await functions.status;
  const log = new TextDecoder().decode(stderr);
  await Deno.remove(moduleFile);
  await withAdmin(async (admin) => {
    await admin.deleteTopics({ topics: [input, output, `${group}-mailbox`, `${group}-changelog`] });
    await admin.deleteGroups([group]).catch(() => {});
  });
  if (failure !== undefined) throw new Error(`${(failure as Error).message}; eddy's log:\n${log}`);
  equal(code, 0, log);
});

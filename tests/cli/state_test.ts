/**
 * `eddy state export` and `eddy state import` on the real broker: the state exported from a running app and imported
 * into a new app id is where that app's next start goes on from — every key continues counting from its exported
 * value; an import refuses a running app, and a file with a bad line imports nothing and names the line.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName, withAdmin } from "../kafka/helpers.ts";
import { counterFunctions } from "../runtime/fixtures/functions.ts";
import { cleanUp, moduleYaml, readAll, startApp, stopApp, type TestModule, valuesByKey } from "../runtime/harness.ts";

async function eddy(...args: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err: err.join("\n") };
}

kafkaTest(
  "state exported from a running app and imported under a new app id: every key counts on from it",
  async () => {
    const input = await createTopic("in", { partitions: 4 });
    const before = await createTopic("out");
    const after = await createTopic("out");
    const group = uniqueName("state");
    const clone = uniqueName("clone");
    const refused = uniqueName("refused");
    const module: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: "test.eddy/out", delivery: "exactly-once" }],
    };
    const moduleFile = await Deno.makeTempFile({ suffix: ".yaml" });
    const stateFile = await Deno.makeTempFile({ suffix: ".ndjson" });
    const badFile = await Deno.makeTempFile({ suffix: ".ndjson" });
    await Deno.writeTextFile(moduleFile, moduleYaml(module));
    const keys = Array.from({ length: 20 }, (_, k) => `key-${k}`);
    const rounds = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => keys.map((key) => ({ key, value: String(from + i) }))).flat();
    try {
      const app = await startApp(module, counterFunctions(before));
      try {
        await produce(input, rounds(0, 10));
        await readBack(before, keys.length * 10, 60_000);
        // Exported while the app runs.
        const exported = await eddy("state", "export", "--module", moduleFile);
        equal(exported.code, 0, exported.err);
        equal(exported.out.length, keys.length, "one value per key");
        const first = JSON.parse(exported.out[0]);
        deepEqual(
          { function: first.function, state: first.state, typename: first.typename, readable: first.readable },
          { function: "test.eddy/counter", state: "n", typename: "io.statefun.types/int", readable: 10 },
        );
        ok(typeof first.value === "string" && first.value.length > 0, "the value in base64");
        match(exported.err, /exported 20 state value\(s\)/);
        await Deno.writeTextFile(stateFile, exported.out.join("\n") + "\n");
        const onlyOther = await eddy("state", "export", "--module", moduleFile, "--function", "test.eddy/other");
        deepEqual(onlyOther.out, [], "--function keeps one function type's state");

        const running = await eddy("state", "import", "--module", moduleFile, stateFile);
        equal(running.code, 1);
        match(running.err, new RegExp(`refusing to import: app ${group} is running`));
      } finally {
        await stopApp(app);
      }

      // A bad line: nothing written, not even the internal topics; the line is named.
      const lines = (await Deno.readTextFile(stateFile)).trimEnd().split("\n");
      await Deno.writeTextFile(
        badFile,
        [lines[0], lines[1].replace(/"typename":"[^"]+"/, '"typename":"int"'), lines[2]].join("\n"),
      );
      const bad = await eddy("state", "import", "--module", moduleFile, "--app-id", refused, badFile);
      equal(bad.code, 1);
      match(bad.err, new RegExp(`${badFile}:2: "typename" must be "namespace/name", got "int"`));
      match(bad.err, /1 bad line\(s\) .*: nothing imported/);
      const topics = await withAdmin((admin) => admin.listTopics());
      ok(!topics.includes(`${refused}-changelog`), "no changelog was created for the refused import");

      const imported = await eddy("state", "import", "--module", moduleFile, "--app-id", clone, stateFile);
      equal(imported.code, 0, imported.err);
      match(
        imported.out.join("\n"),
        new RegExp(`imported 20 state value\\(s\\) into ${clone}-changelog \\(app ${clone}, 4 tasks\\)`),
      );

      // The clone shares the ingress's consumer group: it reads on from the records the first app committed.
      const cloned = await startApp(module, counterFunctions(after), { appId: clone });
      try {
        await produce(input, rounds(10, 15));
        await readBack(after, keys.length * 5, 60_000);
      } finally {
        await stopApp(cloned);
      }
      const counted = valuesByKey(await readAll(after));
      for (const key of keys) deepEqual(counted.get(key), ["11:10", "12:11", "13:12", "14:13", "15:14"], key);
    } finally {
      await Deno.remove(moduleFile);
      await Deno.remove(stateFile);
      await Deno.remove(badFile);
    }
    await cleanUp(clone);
    await cleanUp(group, input, before, after);
  },
);

/**
 * serve() as docs/cli.md's "serve() in your own program" and mod.ts's example use it, imported from mod.ts: a module
 * whose topic is missing is refused with a RuntimeError naming it; with the topic there, the app runs its functions
 * until it is stopped, and stops cleanly (exit code 0).
 */

import { equal, match, ok } from "node:assert/strict";
import { RuntimeError, serve } from "../../mod.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName, withAdmin } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "../runtime/fixtures/functions.ts";
import { cleanUp, moduleYaml } from "../runtime/harness.ts";

kafkaTest("serve() from mod.ts: a missing topic is a RuntimeError naming it; then the app runs and stops", async () => {
  const input = uniqueName("in");
  const output = await createTopic("out");
  const group = uniqueName("app");
  const module = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(
    module,
    moduleYaml({
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    }),
  );
  const options = { module, functions: counterFunctions(output), handleSignals: false, controlAddr: "none" };
  try {
    const refused = await serve(options).then(() => undefined, (error) => error);
    ok(refused instanceof RuntimeError, String(refused));
    match(refused.message, new RegExp(`reads topic ${input}, which does not exist`));

    await withAdmin((admin) =>
      admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 2 }] })
    );
    const app = await serve(options);
    await produce(input, [{ key: "Ada", value: "hello" }]);
    equal((await readBack(output, 1, 30_000))[0].value, "1:hello");
    await app.stop();
    equal(await app.finished, 0);
  } finally {
    await Deno.remove(module);
    await cleanUp(group, input, output);
  }
});

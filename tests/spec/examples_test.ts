/** The examples' module specs stay valid, without warnings. */

import { deepEqual } from "node:assert/strict";
import { loadModuleSpec } from "../../mod.ts";

const examples = new URL("../../examples/", import.meta.url).pathname;

Deno.test("every example module.yaml loads without warnings", async () => {
  const files = [...Deno.readDirSync(examples)].filter((entry) => entry.isDirectory)
    .map((entry) => `${examples}${entry.name}/module.yaml`);
  deepEqual(files.length > 0, true);
  for (const file of files) deepEqual((await loadModuleSpec(file, { strict: true })).warnings, [], file);
});

Deno.test("the greeter's functions bind every function its module and messages use", async () => {
  const { default: functions } = await import("../../examples/greeter/functions.ts");
  const module = await loadModuleSpec(`${examples}greeter/module.yaml`);
  for (const target of module.ingresses.flatMap((ingress) => ingress.topics.flatMap((topic) => topic.targets))) {
    deepEqual(functions.functionSpec(target) !== undefined, true, target);
  }
  deepEqual(functions.typenames.sort(), ["com.example.greeter/deliverer", "com.example.greeter/greeter"]);
});

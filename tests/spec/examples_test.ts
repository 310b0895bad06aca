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

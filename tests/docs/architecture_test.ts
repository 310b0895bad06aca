/**
 * ARCHITECTURE.md's layer table holds: every module under src/ (tests beside the code aside) imports only from its
 * own folder and the folders its row allows, and kafkajs is imported in src/kafka/ only. The table is read from
 * ARCHITECTURE.md, so the page and the code cannot drift apart.
 */

import { deepEqual, ok } from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const src = new URL("src/", root);

/** The layer table: folder name → the names it may import (folders, `deps`, `version`). */
function layerRules(): Map<string, Set<string>> {
  const text = Deno.readTextFileSync(new URL("ARCHITECTURE.md", root));
  const rules = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const match = /^\|\s*`src\/([a-z_]+)\/`\s*\|[^|]*\|\s*([^|]*?)\s*\|\s*$/.exec(line);
    if (match === null) continue;
    const allowed = match[2] === "nothing" ? [] : match[2].split(",").map((name) => name.trim());
    rules.set(match[1], new Set(allowed));
  }
  return rules;
}

function modules(dir: URL): URL[] {
  const found: URL[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) found.push(...modules(url));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) found.push(url);
  }
  return found;
}

/** The specifiers of a module's static imports and re-exports (statements at the start of a line: not doc examples). */
function imports(text: string): string[] {
  return [
    ...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms),
    ...text.matchAll(/^import\s+"([^"]+)"/gm),
  ]
    .map((match) => match[1]);
}

/** What a specifier of a module in src/<folder>/ reaches: another folder's name, `deps`, `version`, or undefined. */
function layerOf(specifier: string, from: URL): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const path = new URL(specifier, from).href.slice(src.href.length);
  if (!path.includes("/")) return path.replace(/\.ts$/, ""); // src/deps.ts, src/version.ts
  return path.split("/")[0];
}

Deno.test("architecture: every src/ folder imports only what ARCHITECTURE.md's layer table allows", () => {
  const rules = layerRules();
  const folders = [...Deno.readDirSync(src)].filter((entry) => entry.isDirectory).map((entry) => entry.name).sort();
  deepEqual([...rules.keys()].sort(), folders, "the table has one row per folder of src/");
  const violations: string[] = [];
  for (const folder of folders) {
    for (const module of modules(new URL(`${folder}/`, src))) {
      const text = Deno.readTextFileSync(module);
      for (const specifier of imports(text)) {
        const layer = layerOf(specifier, module);
        if (layer === undefined || layer === folder || rules.get(folder)!.has(layer)) continue;
        violations.push(
          `${module.href.slice(root.href.length)} imports ${specifier} (${folder} may not import ${layer})`,
        );
      }
    }
  }
  deepEqual(violations, []);
});

Deno.test("architecture: kafkajs is imported in src/kafka/ only", () => {
  const importers = modules(src).filter((module) =>
    imports(Deno.readTextFileSync(module)).some((specifier) => specifier.startsWith("npm:kafkajs"))
  ).map((module) => module.href.slice(root.href.length));
  ok(importers.length > 0);
  deepEqual(importers.filter((path) => !path.startsWith("src/kafka/")), []);
});

/**
 * Hostile module specs, property-based (issue #15): real specs — the StateFun corpus (tests/spec/fixtures/), the
 * examples and the spec test data — mutated by fast-check (lines deleted, repeated, swapped or
 * cut; values replaced by names from Object.prototype, huge or fractional numbers, odd durations, aliases, brackets,
 * line breaks, control characters). Whatever comes out, loading it either gives a module (which the summary and
 * `--json` can print) or a SpecError whose every issue has a line and column and reads as one line — never another
 * exception (a stack trace for the user) and never a hang.
 */

import { ok } from "node:assert/strict";
import { summarize } from "../../src/cli/validate.ts";
import { formatIssue, parseModuleSpec, SpecError } from "../../mod.ts";
import { fc } from "../deps.ts";

const root = new URL("../../", import.meta.url).pathname;
const corpus = Deno.env.get("EDDY_STATEFUN_CORPUS") ?? `${root}tests/spec/fixtures/statefun_corpus/`;

function yamlFiles(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((entry) => entry.isFile && /\.ya?ml$/.test(entry.name))
      .map((entry) => `${dir}${entry.name}`);
  } catch {
    return [];
  }
}

const seeds = [
  ...yamlFiles(corpus),
  ...yamlFiles(`${root}src/spec/testdata/`),
  `${root}examples/greeter/module.yaml`,
].map((file) => ({ file, text: Deno.readTextFileSync(file) }));

const HOSTILE = [
  "toString",
  "__proto__",
  "constructor",
  "9".repeat(400),
  "9007199254740991d",
  "1ns",
  "1.5",
  "-1",
  "2147483648",
  "9223372036854775807",
  "~",
  "",
  '""',
  "[",
  "{a: 1}",
  "*nope",
  "&a x",
  "3.0",
  "0050-01-01 00:00:00.000 +0000",
  "\u0000",
  "\u2028",
  '"a\\nm.yaml:1:1: warning: forged"',
  "x".repeat(10_000),
  "🙂",
];

type Mutation =
  | { kind: "delete" | "repeat" | "cut"; line: number }
  | { kind: "swap"; line: number; other: number }
  | { kind: "value"; line: number; value: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("delete", "repeat", "cut") as fc.Arbitrary<"delete" | "repeat" | "cut">,
    line: fc.nat(),
  }),
  fc.record({ kind: fc.constant("swap" as const), line: fc.nat(), other: fc.nat() }),
  fc.record({
    kind: fc.constant("value" as const),
    line: fc.nat(),
    value: fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 12 })),
  }),
);

function mutate(text: string, mutations: Mutation[]): string {
  let lines = text.split("\n");
  for (const m of mutations) {
    const i = m.line % Math.max(1, lines.length);
    if (m.kind === "delete") lines.splice(i, 1);
    else if (m.kind === "repeat") lines.splice(i, 0, lines[i] ?? "");
    else if (m.kind === "cut") lines = lines.slice(0, i);
    else if (m.kind === "swap") {
      const j = m.other % Math.max(1, lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
    } else if (m.kind === "value") {
      // Replace what follows the line's first `: ` (a value), or the whole line's content after its indentation.
      const line = lines[i] ?? "";
      const colon = line.indexOf(": ");
      lines[i] = colon >= 0 ? `${line.slice(0, colon + 2)}${m.value}` : `${line.match(/^\s*-?\s*/)![0]}${m.value}`;
    }
  }
  return lines.join("\n");
}

Deno.test(`spec fuzzing: ${seeds.length} real specs, mutated, give a module or located one-line errors`, () => {
  ok(seeds.length >= 3, "seed specs found");
  fc.assert(
    fc.property(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 6 }),
      (index, mutations) => {
        const { file, text } = seeds[index];
        const mutated = mutate(text, mutations);
        try {
          const module = parseModuleSpec(mutated, file);
          summarize(module);
          JSON.stringify(module);
        } catch (error) {
          if (!(error instanceof SpecError)) {
            throw new Error(
              `not a SpecError: ${(error as Error)?.stack ?? error}\n--- input ---\n${mutated.slice(0, 2000)}`,
            );
          }
          for (const issue of error.issues) {
            ok(issue.at.line >= 1 && issue.at.column >= 1, `no position: ${formatIssue(issue)}`);
            ok(!formatIssue(issue).includes("\n"), `more than one line: ${formatIssue(issue)}`);
          }
        }
      },
    ),
    // 500 cases a run, a new seed each run (fast-check prints the seed and the shrunk case of a failure).
    { numRuns: 500, interruptAfterTimeLimit: 120_000 },
  );
});

import { ingressModule } from "../spec/testdata/test_modules.ts";
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { runCli } from "./main.ts";

const testdata = new URL("../spec/testdata/", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

async function withFile(text: string, fn: (file: string) => Promise<void>): Promise<void> {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, text);
    await fn(file);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("eddy validate prints a summary of a valid module and exits 0", async () => {
  const { code, out, err } = await run("validate", `${testdata}full_legacy.yaml`);
  equal(code, 0);
  equal(err, "");
  equal(
    out,
    [
      `${testdata}full_legacy.yaml: valid (version "3.0" format)`,
      "  endpoints:",
      "    com.example.fns/* → http://localhost:8000/statefun (v1, okhttp, call timeout 2min)",
      "  ingresses:",
      "    com.example.io/names: kafka:9092, group greeter, start group-offsets, reset latest",
      "      names → com.example.fns/greeter (as io.statefun.types/string)",
      "  egresses:",
      "    com.example.io/greetings: kafka:9092, delivery at-least-once",
    ].join("\n"),
  );
});

Deno.test("eddy validate --json prints the normalized model", async () => {
  const { code, out } = await run("validate", "--json", `${testdata}full_components.yaml`);
  equal(code, 0);
  const model = JSON.parse(out);
  equal(model.format, "components");
  deepEqual(model.egresses[0].deliverySemantic, { type: "exactly-once", transactionTimeoutMs: 60_000 });
  const both = JSON.parse(
    (await run("validate", "--json", `${testdata}full_legacy.yaml`, `${testdata}full_components.yaml`)).out,
  );
  equal(both.length, 2);
});

Deno.test("eddy validate prints every problem of every file and exits 1", async () => {
  await withFile(
    "kind: io.statefun.kafka.v1/egress\nspec:\n  id: nope\n  deliverySemantic: {type: sometimes}\n",
    async (file) => {
      const { code, out, err } = await run("validate", file, `${testdata}full_legacy.yaml`);
      equal(code, 1);
      match(out, /full_legacy\.yaml: valid/, "the valid file is still summarized");
      const lines = err.split("\n");
      match(lines[0], new RegExp(`^${file}:2:1: error: spec\\.address: required field is missing`));
      match(lines[1], new RegExp(`^${file}:3:7: error: spec\\.id: invalid type name "nope"`));
      match(
        lines[2],
        new RegExp(`^${file}:4:28: error: spec\\.deliverySemantic\\.type: invalid delivery semantic type`),
      );
      equal(lines[3], `${file}: invalid (3 problems)`);
    },
  );
});

Deno.test("eddy validate shows warnings, and --strict makes them fail", async () => {
  const text =
    "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: a/*\n  urlPathTemplate: http://x/\n  colour: red\n";
  await withFile(text, async (file) => {
    const lenient = await run("validate", file);
    equal(lenient.code, 0);
    equal(lenient.err, `${file}:5:11: warning: spec.colour: unknown field "colour" is ignored (as StateFun does)`);
    const strict = await run("validate", "--strict", file);
    equal(strict.code, 1);
    match(strict.err, /5:11: warning: spec\.colour/);
    match(strict.err, /invalid \(1 problem\)/);
  });
});

Deno.test("eddy validate names a file it cannot read", async () => {
  const { code, err } = await run("validate", "/nonexistent/module.yaml");
  equal(code, 1);
  match(err, /^cannot read module spec \/nonexistent\/module\.yaml: .*No such file/);
});

Deno.test("usage errors exit 2 with a message and the usage", async () => {
  for (
    const [args, message] of [
      [["validate"], /^eddy: no module spec file given\n\nUsage: eddy validate/],
      [["validate", "--jsn", "m.yaml"], /^eddy: Unknown option '--jsn'\n\nUsage: eddy validate/],
      [["deploy"], /^eddy: unknown command "deploy"\n\nEddy /],
      [["help", "deploy"], /^eddy: unknown command "deploy"/],
      // Names inherited from Object.prototype are no commands (issue #15: a crash, and `undefined` with exit 0).
      [["help", "__proto__"], /^eddy: unknown command "__proto__"/],
      [["help", "toString"], /^eddy: unknown command "toString"/],
      [["constructor"], /^eddy: unknown command "constructor"/],
      [["help", "a\nb"], /^eddy: unknown command "a\\nb"/], // echoed escaped: no forged line
      [["schema", "--pretty"], /^eddy: Unknown option '--pretty'\n\nUsage: eddy schema/],
      [[], /^$/],
    ] as const
  ) {
    const { code, err } = await run(...args);
    equal(code, 2, args.join(" "));
    match(err, message, args.join(" "));
  }
});

Deno.test("help, version and schema", async () => {
  const help = await run("--help");
  equal(help.code, 0);
  match(help.out, /Commands:\n\s+run --module/);
  for (const command of ["run", "status", "reset", "validate", "schema", "version"]) {
    const viaFlag = await run(command, "--help");
    const viaHelp = await run("help", command);
    equal(viaFlag.code, 0);
    equal(viaFlag.out, viaHelp.out);
    match(viaFlag.out, new RegExp(`^Usage: eddy ${command}`));
  }
  match((await run("version")).out, /^eddy \d+\.\d+\.\d+ \(StateFun 3\.3 compatible, deno \d+\.\d+\.\d+\)$/);
  equal((await run("--version")).out, (await run("version")).out);
  const schema = JSON.parse((await run("schema")).out);
  equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  const kinds = schema.anyOf.map((option: { properties: { kind?: { const: string } } }) =>
    option.properties.kind?.const
  );
  deepEqual(kinds, [
    "io.statefun.endpoints.v2/http",
    "io.statefun.endpoints.v1/http",
    "io.statefun.kafka.v1/ingress",
    "io.statefun.kafka.v1/egress",
    undefined,
  ]);
  ok(schema.anyOf[4].properties.version, "the legacy format is described too");
});

Deno.test("eddy validate --json with a bad file still prints the good ones, and exits 1", async () => {
  await withFile("kind: io.statefun.kafka.v1/egress\nspec:\n  id: nope\n", async (file) => {
    const { code, out, err } = await run("validate", "--json", file, `${testdata}full_legacy.yaml`);
    equal(code, 1);
    const valid = JSON.parse(out);
    equal(valid.length, 1);
    equal(valid[0].format, "legacy-3.0");
    match(err, /invalid \(\d+ problems?\)/);
  });
});

Deno.test("the summary of an ingress with 200 000 topics (one push per line, no stack overflow)", async () => {
  const { summarize } = await import("./validate.ts");
  const { parseModuleSpec } = await import("../spec/load.ts");
  const module = parseModuleSpec(
    `kind: io.statefun.kafka.v1/ingress
spec:
  id: a/in
  address: localhost:9092
  consumerGroupId: g
  topics:
    - topic: t
      valueType: a/t
      targets: [a/f]
`,
    "m.yaml",
  );
  const topic = module.ingresses[0].topics[0];
  module.ingresses[0].topics = Array.from({ length: 200_000 }, (_, i) => ({ ...topic, topic: `t${i}` }));
  const summary = summarize(module);
  ok(summary.split("\n").length > 200_000);
});

Deno.test("eddy run refuses a topic config name that is none before it loads anything", async () => {
  for (const name of ["__proto__", "Bad Name", "toString"]) {
    const { code, err } = await run(
      "run",
      "--module",
      `${testdata}full_components.yaml`,
      "--functions",
      "/nonexistent.ts",
      "--internal-topic-config",
      `${name}=1`,
    );
    equal(code, 2, name);
    match(err, new RegExp(`^eddy: --internal-topic-config: "${name}" is not a Kafka topic config name`), name);
  }
});

Deno.test("eddy reset reads the ingresses' client properties as eddy run does: one that cannot work refuses it", async () => {
  const module = ingressModule(`  properties:
    - security.protocol: SSL
    - ssl.truststore.location: /etc/kafka/truststore.jks
    - ssl.truststore.type: JKS
`);
  await withFile(module, async (file) => {
    const { code, err } = await run("reset", "--module", file);
    equal(code, 1);
    match(
      err,
      /^eddy: .*\.yaml:1:7: error: ingress t\/in: properties: ssl\.truststore\.type=JKS: kafkajs reads PEM only/,
    );
  });
});

Deno.test("eddy validate --against prints each difference with what it needs and exits 1 when one does not roll", async () => {
  const running = ingressModule();
  const added = `${running}---
kind: io.statefun.kafka.v1/egress
spec:
  id: com.example/audit
  address: kafka:9092
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: com.example/*
  urlPathTemplate: http://functions:8000/{function.name}
`;
  await withFile(running, async (before) => {
    await withFile(added, async (after) => {
      const rolls = await run("validate", "--against", before, after);
      equal(rolls.code, 0, rolls.err);
      match(rolls.out, /rolls\s+function type com\.example\/\* added: the tasks go only to members that run it/);
      match(rolls.out, /rolls\s+egress com\.example\/audit added/);
      match(rolls.out, /every difference rolls/);
      const back = await run("validate", "--against", after, before);
      equal(back.code, 1);
      match(back.out, /full-stop\s+egress com\.example\/audit removed: messages already sent to it/);
      match(back.out, /2 of 2 difference\(s\) need a full stop: the new version cannot roll/);
      const json = await run("validate", "--json", "--against", after, before);
      deepEqual(JSON.parse(json.out).map((change: { class: string }) => change.class), ["full-stop", "full-stop"]);
      const same = await run("validate", "--against", before, before);
      equal(same.code, 0);
      match(same.out, /no difference Eddy acts on/);
    });
  });
});

Deno.test("eddy validate --against names another app id as a reset, and refuses a second new file", async () => {
  await withFile(ingressModule(), async (file) => {
    const other = await run("validate", "--against", file, "--app-id", "other-app", file);
    equal(other.code, 0, "the same app id from both files");
    ok((await run("validate", "--against", file, file, file)).code === 2);
  });
  await withFile(ingressModule(), async (before) => {
    await withFile(ingressModule().replace(/consumerGroupId: \S+/, "consumerGroupId: renamed"), async (after) => {
      const renamed = await run("validate", "--against", before, after);
      equal(renamed.code, 1);
      match(renamed.out, /reset\s+internal topics .* → renamed-mailbox, renamed-changelog: another app id/);
    });
  });
});

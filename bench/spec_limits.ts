/**
 * Hostile module specs within the file size limit (issue #26): generates specs with very many components or topics
 * and runs `eddy validate` on each in a child process, printing its wall time, peak RSS (GNU time's `%M`), exit code
 * and first line of output. A measurement, not a test: `deno run -A bench/spec_limits.ts [--sizes 1000,130000]`.
 *
 * Shapes: one ingress with N topics; N ingress documents; N egress documents; N targets in one flow list; one
 * value of N × 200 bytes; one document with N unknown fields (each a warning).
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "10000,130000" } } });
const sizes = values.sizes!.split(",").map(Number);
const mod = new URL("../mod.ts", import.meta.url).pathname;
const folder = await Deno.makeTempDir({ prefix: "eddy-spec-limits-" });

const shapes: Record<string, (n: number) => string> = {
  "one ingress, N topics": (n) =>
    `kind: io.statefun.kafka.v1/ingress
spec:
  id: com.example/in
  address: kafka:9092
  consumerGroupId: app
  topics:
${
      Array.from({ length: n }, (_, i) =>
        `    - topic: topic-${i}
      valueType: com.example/Type
      targets: [com.example/fn]`).join("\n")
    }
`,
  "N ingresses": (n) =>
    Array.from({ length: n }, (_, i) =>
      `kind: io.statefun.kafka.v1/ingress
spec:
  id: com.example/in-${i}
  address: kafka:9092
  consumerGroupId: app
  topics:
    - topic: topic-${i}
      valueType: com.example/Type
      targets: [com.example/fn]
`).join("---\n"),
  "N egresses": (n) =>
    Array.from({ length: n }, (_, i) =>
      `kind: io.statefun.kafka.v1/egress
spec:
  id: com.example/out-${i}
  address: kafka:9092
  deliverySemantic:
    type: at-least-once
`).join("---\n"),
  "one topic with N targets in a flow list": (n) =>
    `kind: io.statefun.kafka.v1/ingress
spec:
  id: com.example/in
  address: kafka:9092
  consumerGroupId: app
  topics:
    - topic: in
      valueType: com.example/Type
      targets: [${Array.from({ length: n }, (_, i) => `a/f${i}`).join(",")}]
`,
  "a value of N × 200 bytes": (n) =>
    `kind: io.statefun.kafka.v1/egress
spec:
  id: com.example/out
  address: kafka:9092
  deliverySemantic:
    type: at-least-once
  note: "${"x".repeat(n * 200)}"
`,
  "N unknown fields": (n) =>
    `kind: io.statefun.kafka.v1/egress
spec:
  id: com.example/out
  address: kafka:9092
  deliverySemantic:
    type: at-least-once
${Array.from({ length: n }, (_, i) => `  unknown${i}: ${i}`).join("\n")}
`,
};

console.log("| shape | N | bytes | seconds | peak RSS MiB | exit | first line |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const [shape, make] of Object.entries(shapes)) {
  for (const n of sizes) {
    const file = `${folder}/spec.yaml`;
    await Deno.writeTextFile(file, make(n));
    const bytes = (await Deno.stat(file)).size;
    const output = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "eddy-time %e %M", Deno.execPath(), "run", "-A", mod, "validate", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    const [, seconds, kib] = /eddy-time ([\d.]+) (\d+)/.exec(stderr) ?? [];
    const text = (new TextDecoder().decode(output.stdout) + stderr).split("\n")
      .find((line) => line.trim() !== "" && !line.startsWith("eddy-time")) ?? "";
    console.log(
      `| ${shape} | ${n} | ${bytes} | ${seconds} | ${Math.round(Number(kib) / 1024)} | ${output.code} | ${
        text.replaceAll(folder, "<tmp>").slice(0, 110)
      } |`,
    );
  }
}
await Deno.remove(folder, { recursive: true });

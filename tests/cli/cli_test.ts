/**
 * The CLI as users run it: `deno run mod.ts <command>` (what the compiled
 * `eddy` binary runs), and `deno run http://…/mod.ts` from a URL with an
 * empty DENO_DIR, so every import must resolve without the project's deno.json.
 */

import { equal, match } from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const corpus = new URL("../../src/spec/testdata/", import.meta.url).pathname;

async function deno(args: string[], env: Record<string, string> = {}, cwd = root.pathname) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1", ...env },
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

const PERMISSIONS = ["--allow-read", "--allow-net", "--allow-env"];

Deno.test("deno run mod.ts validate: exit codes and output for a user", async () => {
  const valid = await deno(["run", ...PERMISSIONS, "mod.ts", "validate", `${corpus}full_legacy.yaml`]);
  equal(valid.code, 0, valid.stderr);
  match(valid.stdout, /full_legacy\.yaml: valid/);

  const bad = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(bad, "kind: io.statefun.kafka.v1/ingress\nspec:\n  id: a/b\n  topics: oops\n");
  const invalid = await deno(["run", ...PERMISSIONS, "mod.ts", "validate", bad]);
  await Deno.remove(bad);
  equal(invalid.code, 1);
  match(invalid.stderr, /:4:11: error: spec\.topics: expected array, got the text "oops"/);
  equal(invalid.stderr.includes("    at "), false, "no stack trace for a user's mistake");

  const usage = await deno(["run", ...PERMISSIONS, "mod.ts", "frobnicate"]);
  equal(usage.code, 2);
  match(usage.stderr, /^eddy: unknown command "frobnicate"/);
});

Deno.test("deno run http://127.0.0.1:<port>/mod.ts works from a URL with an empty DENO_DIR", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    try {
      const body = await Deno.readFile(new URL(`.${path}`, root));
      return new Response(body, { headers: { "content-type": "application/typescript" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const denoDir = await Deno.makeTempDir();
  const elsewhere = await Deno.makeTempDir(); // no deno.json up the tree
  try {
    const url = `http://127.0.0.1:${server.addr.port}/mod.ts`;
    const version = await deno(["run", ...PERMISSIONS, url, "version"], { DENO_DIR: denoDir }, elsewhere);
    equal(version.code, 0, version.stderr);
    match(version.stdout, /^eddy \d+\.\d+\.\d+ /);
    const validate = await deno(
      ["run", ...PERMISSIONS, url, "validate", `${corpus}full_components.yaml`],
      { DENO_DIR: denoDir },
      elsewhere,
    );
    equal(validate.code, 0, validate.stderr);
    match(validate.stdout, /full_components\.yaml: valid/);
  } finally {
    await server.shutdown();
    await Deno.remove(denoDir, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});

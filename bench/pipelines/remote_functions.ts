/**
 * The SDK server of the remote rows (Eddy's and StateFun 3.3's): the bench's
 * functions written with the official StateFun JS SDK, served as a StateFun
 * user serves them — `node functions.cjs` (bench/statefun/functions.cjs) next
 * to an `npm install apache-flink-statefun@3.3.0`. (The same SDK served under
 * Deno's node:http, the bench's server before, took as much CPU per input and
 * 70 MiB more RSS, and Eddy's throughput against it was within the machine's
 * noise: it is no longer a row.)
 *
 * The bench process spawns the server itself (not the runtime's child), so the
 * server's CPU and peak RSS are measured apart from the runtime's
 * (bench/measure.ts). The npm folder is made once, in bench/.cache/statefun-node/
 * (gitignored, outside fmt/lint/check: deno.json).
 *
 * @module
 */

import { Child } from "../child_process.ts";

/** The SDK version Eddy's examples pin (examples/remote_greeter/deps.ts). */
export const SDK_VERSION = "3.3.0";

const source = new URL("../statefun/functions.cjs", import.meta.url).pathname;
const folder = new URL("../.cache/statefun-node/", import.meta.url).pathname;

/** Makes the npm folder unless it holds the pinned SDK already; copies the server file into it. */
export async function prepareNodeFunctions(): Promise<void> {
  await Deno.mkdir(folder, { recursive: true });
  let installed: string | undefined;
  try {
    installed = JSON.parse(
      await Deno.readTextFile(`${folder}node_modules/apache-flink-statefun/package.json`),
    ).version;
  } catch {
    // not installed yet
  }
  if (installed !== SDK_VERSION) {
    console.log(`setting up bench/.cache/statefun-node (npm install apache-flink-statefun@${SDK_VERSION}) …`);
    await Deno.writeTextFile(
      `${folder}package.json`,
      JSON.stringify({ private: true, dependencies: { "apache-flink-statefun": SDK_VERSION } }, null, 2) + "\n",
    );
    const { success, stdout, stderr } = await new Deno.Command("npm", {
      args: ["install", "--no-audit", "--no-fund", "--loglevel=error"],
      cwd: folder,
    }).output();
    if (!success) {
      await Deno.stderr.write(stdout);
      await Deno.stderr.write(stderr);
      throw new Error("npm install failed in bench/.cache/statefun-node (see npm's output above)");
    }
  }
  await Deno.copyFile(source, `${folder}functions.cjs`);
}

/** A free loopback port (the kernel's pick; closed again for the server to take). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts the SDK server (`node functions.cjs <port> <output>`) on a free port; resolves once it listens. */
export async function startSdkServer(name: string, output: string): Promise<{ server: Child; port: number }> {
  const port = freePort();
  const server = new Child({ name, command: "node", args: [`${folder}functions.cjs`, String(port), output] });
  try {
    await server.ready(30_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { server, port };
}

/**
 * Eddy's pipelines: the count and the greeter (bench/pipelines/eddy_functions.ts)
 * in-process under both processing guarantees, and the greeter remote (the
 * official StateFun JS SDK over HTTP, bench/pipelines/remote_greeter_functions.ts),
 * exactly-once. Default settings (commit interval 100 ms, one transactional
 * producer per task). Each runs `serve()` in a child process of its own (the
 * remote one also starts the SDK's server, as its own child).
 *
 * `BENCH_TRACE_EVERY=<n>` (with `BENCH_LOG_LEVEL=info`) logs the walk of every nth record of each partition through its
 * task (`--trace-every`): where a record's time goes, stage by stage.
 *
 * `BENCH_MEMORY_FILE=<file>` makes the child append its memory use (RSS, V8 heap total and used, external) every second
 * — after a full collection when run with `DENO_V8_FLAGS=--expose-gc`, which shows the live set (BENCHMARKS.md).
 *
 * Run as a child: `deno run -A bench/pipelines/eddy.ts <count|greeter|remote> <exactly-once|at-least-once>
 * <brokers> <input> <output> <group>`.
 *
 * @module
 */

import { type ChildReport, denoChild, runAsChild } from "../child_process.ts";
import { Logger, type LogLevel } from "../../src/runtime/logger.ts";
import { serve } from "../../src/serve/serve.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";
import { BROKERS, createdTopics, RUN } from "../workload.ts";
import { countFunctions, type EddyApp, greeterFunctions, moduleYaml } from "./eddy_functions.ts";
import type { Guarantee, PipelineTopics, Started, StreamPipeline } from "./pipeline.ts";

function eddyPipeline(
  id: string,
  name: string,
  app: EddyApp,
  guarantee: Exclude<Guarantee, "none">,
): StreamPipeline {
  return {
    kind: "stream",
    id,
    name,
    family: "eddy",
    guarantee,
    start({ input, output }: PipelineTopics): Promise<Started> {
      const group = `bench-${RUN}-${id}`;
      const stateTopics = [`${group}-changelog`, `${group}-mailbox`];
      createdTopics.push(...stateTopics);
      const child = denoChild(id, import.meta.url, [app, guarantee, BROKERS.join(","), input, output, group]);
      return Promise.resolve({ child, stateTopics });
    },
  };
}

/** Eddy's rows. */
export const eddyPipelines: StreamPipeline[] = [
  eddyPipeline("eddy-count-eo", "eddy count exactly-once", "count", "exactly-once"),
  eddyPipeline("eddy-count-alo", "eddy count at-least-once", "count", "at-least-once"),
  eddyPipeline("eddy-greeter-eo", "eddy greeter exactly-once", "greeter", "exactly-once"),
  eddyPipeline("eddy-greeter-alo", "eddy greeter at-least-once", "greeter", "at-least-once"),
  eddyPipeline("eddy-remote-eo", "eddy remote greeter (JS SDK) exactly-once", "remote", "exactly-once"),
];

/** Starts the SDK's server for the remote greeter on a free port; resolves once it accepts connections. */
async function startRemoteFunctions(output: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      new URL("./remote_greeter_functions.ts", import.meta.url).pathname,
      String(port),
      output,
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  for (let i = 0;; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (error) {
      if (i === 400) throw new Error(`the remote functions did not listen on ${port}: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port,
    stop: async () => {
      server.kill("SIGTERM");
      await server.status;
    },
  };
}

async function startEddy(
  app: EddyApp,
  guarantee: Exclude<Guarantee, "none">,
  options: { brokers: string[]; input: string; output: string; group: string },
) {
  const remote = app === "remote" ? await startRemoteFunctions(options.output) : undefined;
  const yaml = moduleYaml(app, { ...options, exactlyOnce: guarantee === "exactly-once", remotePort: remote?.port });
  const running = await serve({
    module: parseModuleSpec(yaml, `bench-${app}.yaml`),
    ...(app === "remote" ? {} : { functions: (app === "count" ? countFunctions : greeterFunctions)(options.output) }),
    processingGuarantee: guarantee,
    traceEvery: Number(Deno.env.get("BENCH_TRACE_EVERY") ?? 0),
    handleSignals: false,
    controlAddr: "none",
    logger: new Logger({ level: (Deno.env.get("BENCH_LOG_LEVEL") ?? "warn") as LogLevel }),
  });
  return async (): Promise<ChildReport> => {
    const tasks = running.runtime.status().tasks;
    const sum = (value: (task: (typeof tasks)[number]) => number) => tasks.reduce((total, t) => total + value(t), 0);
    const commitSeconds = sum((task) => task.commitSeconds.sum);
    const commits = sum((task) => task.commitSeconds.count);
    await running.stop();
    await remote?.stop();
    return {
      commits: sum((task) => task.commits),
      meanCommitMs: commits === 0 ? undefined : (commitSeconds / commits) * 1000,
      carriedOver: sum((task) => task.carriedOver),
    };
  };
}

if (import.meta.main) {
  const memoryFile = Deno.env.get("BENCH_MEMORY_FILE");
  if (memoryFile !== undefined) {
    // The live set when the process may collect on demand (DENO_V8_FLAGS=--expose-gc), else what the heap holds.
    const started = performance.now();
    setInterval(() => {
      (globalThis as { gc?: () => void }).gc?.();
      const { rss, heapTotal, heapUsed, external } = Deno.memoryUsage();
      const mib = (bytes: number) => Math.round(bytes / 1048576);
      Deno.writeTextFileSync(
        memoryFile,
        `${Math.round(performance.now() - started)} ms rss ${mib(rss)} heapTotal ${mib(heapTotal)} heapUsed ${
          mib(heapUsed)
        } external ${mib(external)}\n`,
        { append: true },
      );
    }, 1000);
  }
  const [app, guarantee, brokers, input, output, group] = Deno.args;
  await runAsChild(() =>
    startEddy(app as EddyApp, guarantee as Exclude<Guarantee, "none">, {
      brokers: brokers.split(","),
      input,
      output,
      group,
    })
  );
}

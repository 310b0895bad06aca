/**
 * Eddy's pipelines: the count and the greeter (bench/pipelines/eddy_functions.ts)
 * in-process under both processing guarantees, and remote, exactly-once: the
 * greeter (two HTTP hops per input) and the count (one hop) served by the
 * official StateFun JS SDK under Node (bench/statefun/functions.cjs), and the count beside a function type that
 * answers in 2 s (1 key in 100 messages it: what a slow endpoint costs the others of its task). Default
 * settings (commit interval 100 ms, one transactional producer per task). Each
 * runs `serve()` in a child process of its own; the bench spawns a remote row's
 * SDK server beside it (bench/pipelines/remote_functions.ts), so the two are
 * measured apart.
 *
 * `BENCH_TRACE_EVERY=<n>` (with `BENCH_LOG_LEVEL=info`) logs the walk of every nth record of each partition through its
 * task (`--trace-every`): where a record's time goes, stage by stage.
 *
 * `BENCH_MEMORY_FILE=<file>` makes the child append its memory use (RSS, V8 heap total and used, external) every second
 * — after a full collection when run with `DENO_V8_FLAGS=--expose-gc`, which shows the live set (BENCHMARKS.md).
 *
 * Run as a child: `deno run -A bench/pipelines/eddy.ts <count|greeter|remote|remote-count|remote-slow>
 * <exactly-once|at-least-once> <brokers> <input> <output> <group> [<SDK server port>]`.
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
import { prepareNodeFunctions, startSdkServer } from "./remote_functions.ts";

function eddyPipeline(
  id: string,
  name: string,
  app: EddyApp,
  guarantee: Exclude<Guarantee, "none">,
  remote = false,
): StreamPipeline {
  return {
    kind: "stream",
    id,
    name,
    family: "eddy",
    guarantee,
    ...(remote ? { prepare: prepareNodeFunctions } : {}),
    async start({ input, output }: PipelineTopics): Promise<Started> {
      const group = `bench-${RUN}-${id}`;
      const stateTopics = [`${group}-changelog`, `${group}-mailbox`];
      createdTopics.push(...stateTopics);
      const sdk = remote ? await startSdkServer(`${id} SDK server`, output) : undefined;
      const args = [app, guarantee, BROKERS.join(","), input, output, group];
      const child = denoChild(id, import.meta.url, sdk === undefined ? args : [...args, String(sdk.port)]);
      return { child, stateTopics, sdkServer: sdk?.server };
    },
  };
}

/** Eddy's rows. */
export const eddyPipelines: StreamPipeline[] = [
  eddyPipeline("eddy-count-eo", "eddy count exactly-once", "count", "exactly-once"),
  eddyPipeline("eddy-count-alo", "eddy count at-least-once", "count", "at-least-once"),
  eddyPipeline("eddy-greeter-eo", "eddy greeter exactly-once", "greeter", "exactly-once"),
  eddyPipeline("eddy-greeter-alo", "eddy greeter at-least-once", "greeter", "at-least-once"),
  eddyPipeline("eddy-remote-eo", "eddy remote greeter (Node SDK) exactly-once", "remote", "exactly-once", true),
  eddyPipeline(
    "eddy-remote-count-eo",
    "eddy remote count (Node SDK) exactly-once",
    "remote-count",
    "exactly-once",
    true,
  ),
  eddyPipeline(
    "eddy-remote-slow-eo",
    "eddy remote count beside a 2 s function (Node SDK) exactly-once",
    "remote-slow",
    "exactly-once",
    true,
  ),
];

async function startEddy(
  app: EddyApp,
  guarantee: Exclude<Guarantee, "none">,
  options: { brokers: string[]; input: string; output: string; group: string; remotePort?: number },
) {
  const yaml = moduleYaml(app, { ...options, exactlyOnce: guarantee === "exactly-once" });
  const running = await serve({
    module: parseModuleSpec(yaml, `bench-${app}.yaml`),
    ...(options.remotePort !== undefined
      ? {}
      : { functions: (app === "count" ? countFunctions : greeterFunctions)(options.output) }),
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
  const [app, guarantee, brokers, input, output, group, remotePort] = Deno.args;
  await runAsChild(() =>
    startEddy(app as EddyApp, guarantee as Exclude<Guarantee, "none">, {
      brokers: brokers.split(","),
      input,
      output,
      group,
      remotePort: remotePort === undefined ? undefined : Number(remotePort),
    })
  );
}

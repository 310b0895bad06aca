/**
 * StateFun 3.3 itself on the remote greeter, the anchor of Eddy's remote rows:
 * the same module.yaml as `eddy-remote-eo` (bench/pipelines/eddy_functions.ts:
 * an `io.statefun.endpoints.v2/http` endpoint, the Kafka ingress, the
 * exactly-once Kafka egress) and the same SDK server (the StateFun JS SDK under
 * Node, bench/statefun/functions.cjs, spawned by the bench and measured apart),
 * run by StateFun's own runtime: Apache Flink Stateful Functions 3.3.0 on a
 * local Flink 1.16.2 MiniCluster, started by StateFun's Harness from
 * bench/statefun/…/StateFunRunner.java (built from Maven Central with
 * `mvn -q -B package` when its jar is older than its sources, as the Kafka
 * Streams app is). Parallelism 2 (the machine's cores), the hashmap state
 * backend, checkpoints every 1 s and every 200 ms (exactly-once: the egress
 * commits its Kafka transactions when a checkpoint completes, so the
 * checkpoint interval bounds the latency). `java -Xmx1g` with Java 17's
 * `--add-opens` for Flink 1.16 (/work/shared/reference/statefun-anchor.md; one more
 * than it names, java.util.concurrent.atomic, for the egress's closure).
 *
 * Ready: every task of the job RUNNING (the runner polls Flink's REST API; the
 * job itself is RUNNING seconds earlier). StateFun keeps its state in Flink's
 * checkpoints (in the JobManager's memory here), not in Kafka: it has no state
 * topics.
 *
 * @module
 */

import { Child } from "../child_process.ts";
import { BROKERS, RUN } from "../workload.ts";
import { moduleYaml } from "./eddy_functions.ts";
import { buildMavenProject } from "./kafka_streams.ts";
import type { PipelineTopics, Started, StreamPipeline } from "./pipeline.ts";
import { freePort, prepareNodeFunctions, startSdkServer } from "./remote_functions.ts";

const project = new URL("../statefun/", import.meta.url).pathname;
const jar = `${project}target/statefun-bench.jar`;

/** StateFun's parallelism: one subtask of each operator per core. */
const PARALLELISM = 2;

async function prepare(): Promise<void> {
  await buildMavenProject(project, jar);
  await prepareNodeFunctions();
}

function stateFunPipeline(id: string, name: string, checkpointMs: number): StreamPipeline {
  return {
    kind: "stream",
    id,
    name,
    family: "statefun",
    guarantee: "exactly-once",
    prepare,
    async start({ input, output }: PipelineTopics): Promise<Started> {
      const { server: sdkServer, port } = await startSdkServer(`${id} SDK server`, output);
      const folder = await Deno.makeTempDir({ prefix: "eddy-bench-statefun-" });
      const module = `${folder}/module.yaml`;
      await Deno.writeTextFile(
        module,
        moduleYaml("remote", {
          brokers: BROKERS,
          input,
          group: `bench-${RUN}-${id}`,
          exactlyOnce: true,
          remotePort: port,
        }),
      );
      let resets = 0, warnings = 0;
      const child = new Child({
        name: id,
        command: "java",
        args: [
          "-Xmx1g",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          // Flink's closure cleaner reaches into the exactly-once egress's AtomicLong (not in statefun-anchor.md).
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          `-Dlog4j.configurationFile=${project}log4j2.properties`,
          // Flink's temporary files (its extracted RPC jar, blobs) go with the run's folder.
          `-Djava.io.tmpdir=${folder}`,
          "-cp",
          `${jar}:${project}target/lib/*`,
          "dev.eddy.bench.StateFunRunner",
          module,
          String(checkpointMs),
          String(PARALLELISM),
          String(freePort()),
        ],
        // One line per warning (bench/statefun/log4j2.properties): the first few are echoed, all are counted.
        echoStderr: false,
        onStderrLine(line) {
          const warning = /^(WARN|ERROR)/.test(line);
          if (warning) warnings++;
          if (warning && /Connection reset|Disconnected|ClosedChannel/.test(line)) resets++;
          if (!warning || warnings <= 5 || line.startsWith("ERROR")) console.error(`  [${id}] ${line}`);
          else if (warnings === 6) console.error(`  [${id}] (further warnings counted, not echoed)`);
        },
      });
      void child.exited.then(() => Deno.remove(folder, { recursive: true }).catch(() => {}));
      return {
        child,
        stateTopics: [],
        sdkServer,
        describe: () =>
          warnings === 0 ? undefined : `${warnings} warnings logged (${resets} HTTP calls reset, retried)`,
      };
    },
  };
}

/** StateFun 3.3's rows: checkpoints every 1 s and every 200 ms. */
export const stateFunPipelines: StreamPipeline[] = [
  stateFunPipeline("statefun-1s", "statefun 3.3 greeter, 1 s checkpoints", 1000),
  stateFunPipeline("statefun-200ms", "statefun 3.3 greeter, 200 ms checkpoints", 200),
];

/**
 * Kafka Streams: the keyed count of bench/kafka_streams (KeyedCount.java,
 * kafka-streams of the broker's version, from Maven Central) under
 * `exactly_once_v2` and `at_least_once`, commit interval 100 ms, one stream
 * thread, an in-memory store with its changelog and cache. Built with
 * `mvn -q -B package` when its jar is older than its sources; run with
 * `java -Xmx512m -cp …` as a child process.
 *
 * @module
 */

import { Child } from "../child_process.ts";
import { BROKERS, createdTopics, RUN } from "../workload.ts";
import { JAVA_OPTS } from "./kafka_perf_tools.ts";
import type { Guarantee, PipelineTopics, Started, StreamPipeline } from "./pipeline.ts";

const project = new URL("../kafka_streams/", import.meta.url).pathname;
const jar = `${project}target/kafka-streams-bench.jar`;

/** Builds the app unless its jar is newer than its pom and sources. */
export function buildKafkaStreamsApp(): Promise<void> {
  return buildMavenProject(project, jar);
}

/**
 * Builds a Maven project of the bench (`mvn -q -B package` in `project`) unless `jar` is newer than its pom and
 * sources: the Kafka Streams app here, StateFun's runner (bench/pipelines/statefun.ts).
 */
export async function buildMavenProject(project: string, jar: string): Promise<void> {
  const built = mtime(jar);
  const sources = [`${project}pom.xml`, ...files(`${project}src`)];
  if (built !== undefined && sources.every((source) => (mtime(source) ?? Infinity) < built)) return;
  const name = project.slice(new URL("../../", import.meta.url).pathname.length).replace(/\/$/, "");
  console.log(`building ${name} (mvn -q -B package) …`);
  const { success, stdout, stderr } = await new Deno.Command("mvn", {
    args: ["-q", "-B", "-Dstyle.color=never", "package"],
    cwd: project,
    env: { MAVEN_OPTS: "-Djansi.force=false -Djansi.passthrough=false" },
  }).output();
  if (!success) {
    await Deno.stderr.write(stdout);
    await Deno.stderr.write(stderr);
    throw new Error(`mvn package failed in ${name} (see Maven's output above)`);
  }
}

function mtime(path: string): number | undefined {
  try {
    return Deno.statSync(path).mtime?.getTime();
  } catch {
    return undefined;
  }
}

function files(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((entry) =>
    entry.isDirectory ? files(`${dir}/${entry.name}`) : [`${dir}/${entry.name}`]
  );
}

function streamsPipeline(id: string, name: string, guarantee: Exclude<Guarantee, "none">): StreamPipeline {
  return {
    kind: "stream",
    id,
    name,
    family: "streams",
    guarantee,
    prepare: buildKafkaStreamsApp,
    async start({ input, output }: PipelineTopics): Promise<Started> {
      const applicationId = `bench-${RUN}-${id}`;
      const changelog = `${applicationId}-counts-changelog`;
      createdTopics.push(changelog);
      const stateDir = await Deno.makeTempDir({ prefix: "eddy-bench-streams-" });
      const child = new Child({
        name: id,
        command: "java",
        args: [
          ...JAVA_OPTS,
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
          // A start-up warning about global stores (there are none here).
          "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.StreamsConfig=error",
          "-cp",
          `${jar}:${project}target/lib/*`,
          "dev.eddy.bench.KeyedCount",
          BROKERS.join(","),
          input,
          output,
          applicationId,
          guarantee === "exactly-once" ? "exactly_once_v2" : "at_least_once",
          stateDir,
        ],
      });
      void child.exited.then(() => Deno.remove(stateDir, { recursive: true }).catch(() => {}));
      return { child, stateTopics: [changelog] };
    },
  };
}

/** Kafka Streams' rows. */
export const kafkaStreamsPipelines: StreamPipeline[] = [
  streamsPipeline("streams-eo", "kafka streams exactly_once_v2", "exactly-once"),
  streamsPipeline("streams-alo", "kafka streams at_least_once", "at-least-once"),
];

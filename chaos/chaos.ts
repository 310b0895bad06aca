/**
 * The chaos harness: Eddy instances as child processes on one app, a steady
 * stream of numbered records, and faults at seeded random moments — SIGKILL
 * and restart, SIGSTOP past the session timeout then SIGCONT (a zombie that
 * must be fenced), broker restarts — then an exact check of the outputs.
 *
 * `deno task chaos` runs the full size; `tests/chaos/chaos_test.ts` the CI size.
 * `deno task chaos --seed 42 --size ci` replays a run.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { KafkaAdmin } from "../src/kafka/admin.ts";
import { createKafka } from "../src/kafka/client.ts";
import { EgressProducer } from "../src/kafka/egress_producer.ts";
import type { Kafka } from "../src/kafka/kafkajs.ts";

/** What one run does. */
export interface ChaosOptions {
  /** Records in total. */
  records: number;
  /** Keys (each gets records/keys records, numbered 1..n). */
  keys: number;
  /** SIGKILL + restart faults. */
  kills: number;
  /** SIGSTOP/SIGCONT faults. */
  pauses: number;
  /** Broker restarts. */
  brokerRestarts: number;
  /** Seconds over which the records are produced (the faults happen inside). */
  seconds: number;
  /** The seed of the fault schedule. */
  seed: number;
  /** The processing guarantee. */
  guarantee: "exactly-once" | "at-least-once";
  /** Where progress lines go. */
  log?: (line: string) => void;
}

/** Sizes of `deno task chaos --size`. */
export const SIZES: Record<"ci" | "full", Omit<ChaosOptions, "seed" | "guarantee">> = {
  ci: { records: 2_000, keys: 20, kills: 3, pauses: 1, brokerRestarts: 0, seconds: 40 },
  full: { records: 100_000, keys: 1_000, kills: 20, pauses: 3, brokerRestarts: 2, seconds: 300 },
};

/** One fault as it happened. */
export interface Fault {
  /** `kill`, `pause` or `broker-restart`. */
  kind: "kill" | "pause" | "broker-restart";
  /** The instance, for kill and pause. */
  instance?: number;
  /** When (epoch ms). */
  at: number;
  /** Time until every key had an output written after the fault (ms), once known. */
  recoveryMs?: number;
}

/** What the checker found. */
export interface ChaosReport {
  /** The seed. */
  seed: number;
  /** Records produced. */
  produced: number;
  /** Outputs read (read_committed). */
  outputs: number;
  /** Records without output. */
  lost: number;
  /** Outputs beyond one per record. */
  duplicated: number;
  /** Keys whose outputs are not `seq:count` with seq = count = 1..n in order. */
  disordered: string[];
  /** The faults. */
  faults: Fault[];
  /** Child processes that exited by themselves (and were restarted). */
  unexpectedExits: number;
}

const root = new URL("../", import.meta.url).pathname;
const brokers = ["127.0.0.1:9092"];

/** mulberry32: a small seeded PRNG, so a schedule can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An Eddy child process that can be killed, paused and restarted. */
class Instance {
  #child: Deno.ChildProcess | undefined;
  #stopping = false;
  unexpectedExits = 0;
  readonly #logFile: string;

  constructor(readonly index: number, readonly moduleFile: string, readonly out: string, readonly guarantee: string) {
    this.#logFile = `${root}.kafka/chaos-instance-${index}.log`;
  }

  start(): void {
    const log = Deno.openSync(this.#logFile, { create: true, append: true });
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-env",
        `${root}mod.ts`,
        "run",
        "--module",
        this.moduleFile,
        "--functions",
        `${root}chaos/functions.ts`,
        "--processing-guarantee",
        this.guarantee,
        "--log-format",
        "json",
        "--control-addr",
        "127.0.0.1:0",
      ],
      env: { EDDY_CHAOS_OUT: this.out },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const child = this.#child;
    void child.stderr.pipeTo(log.writable).catch(() => {});
    void child.status.then(() => {
      if (this.#child === child && !this.#stopping) {
        this.unexpectedExits++;
        this.start(); // an instance that died by itself comes back, and is counted
      }
    });
  }

  signal(signal: Deno.Signal): void {
    this.#child?.kill(signal);
  }

  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    child?.kill("SIGKILL");
    await child?.status;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    child?.kill("SIGCONT");
    child?.kill("SIGTERM");
    await child?.status;
  }
}

async function broker(command: "start" | "stop"): Promise<void> {
  const { success, stderr } = await new Deno.Command("bash", {
    args: [`${root}scripts/kafka/broker.sh`, command],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`broker.sh ${command} failed: ${new TextDecoder().decode(stderr)}`);
}

/** Reads every committed output (key, value, timestamp), from the start to the topic's end. */
async function readOutputs(kafka: Kafka, admin: KafkaAdmin, topic: string) {
  const ends = new Map(
    (await admin.topicOffsets(topic)).filter((o) => o.lastStable > o.low).map((o) => [o.partition, o.lastStable]),
  );
  const outputs: { key: string; value: string; timestamp: number; partition: number; offset: number }[] = [];
  if (ends.size === 0) return outputs;
  const consumer = kafka.consumer({ groupId: `chaos-reader-${crypto.randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach its end`)), 120_000);
      consumer.run({
        eachBatch: ({ batch }) => {
          for (const message of batch.messages) {
            if (Number(message.offset) >= (ends.get(batch.partition) ?? 0)) continue;
            outputs.push({
              key: message.key!.toString(),
              value: message.value!.toString(),
              timestamp: Number(message.timestamp),
              partition: batch.partition,
              offset: Number(message.offset),
            });
          }
          if (Number(batch.lastOffset()) + 1 >= (ends.get(batch.partition) ?? 0)) ends.delete(batch.partition);
          if (ends.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return outputs.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Runs the harness; the broker must be running. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const next = random(options.seed);
  const run = `chaos-${Date.now().toString(36)}`;
  const input = `${run}-in`;
  const out = `${run}-out`;
  const kafka = createKafka({ brokers, clientId: "eddy-chaos" });
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  await admin.ensureTopic({ topic: input, partitions: 4 });
  await admin.ensureTopic({ topic: out, partitions: 4 });
  const moduleFile = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(
    moduleFile,
    `kind: io.statefun.kafka.v1/ingress
spec:
  id: chaos/in
  address: ${brokers.join(",")}
  consumerGroupId: ${run}
  startupPosition:
    type: earliest
  topics:
    - topic: ${input}
      valueType: chaos/text
      targets: [chaos/counter]
---
kind: io.statefun.kafka.v1/egress
spec:
  id: chaos/out
  address: ${brokers.join(",")}
  deliverySemantic:
    type: ${options.guarantee === "exactly-once" ? "exactly-once\n    transactionTimeout: 1min" : "at-least-once"}
`,
  );

  const instances = [0, 1].map((index) => new Instance(index, moduleFile, out, options.guarantee));
  instances.forEach((instance) => instance.start());
  log(
    `chaos seed ${options.seed}: ${options.records} records over ${options.keys} keys in ${options.seconds} s, ` +
      `${options.kills} kills, ${options.pauses} pauses, ${options.brokerRestarts} broker restarts, ${options.guarantee}`,
  );

  // The schedule: faults at random moments of the middle of the stream, a few seconds apart.
  const kinds: Fault["kind"][] = [
    ...Array(options.kills).fill("kill"),
    ...Array(options.pauses).fill("pause"),
    ...Array(options.brokerRestarts).fill("broker-restart"),
  ];
  const window = options.seconds * 1000 * 0.8;
  const schedule = kinds.map((kind) => ({
    kind,
    offset: 2_000 + next() * (window - 4_000),
    instance: next() < 0.5 ? 0 : 1,
  }))
    .sort((a, b) => a.offset - b.offset);

  const perKey = Math.floor(options.records / options.keys);
  const total = perKey * options.keys;
  const producer = new EgressProducer(kafka);
  await producer.connect();
  const started = Date.now();
  const producing = (async () => {
    const rounds = perKey;
    for (let seq = 1; seq <= rounds; seq++) {
      const records = Array.from(
        { length: options.keys },
        (_, k) => ({ topic: input, key: `key-${k}`, value: String(seq) }),
      );
      for (;;) {
        try {
          await producer.send(records);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 500)); // the broker is restarting
        }
      }
      const wait = started + (seq * options.seconds * 1000) / rounds - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();

  const faults: Fault[] = [];
  for (const planned of schedule) {
    const wait = started + planned.offset - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const fault: Fault = { kind: planned.kind, at: Date.now() };
    faults.push(fault);
    if (planned.kind === "kill") {
      fault.instance = planned.instance;
      log(`+${((fault.at - started) / 1000).toFixed(1)} s: SIGKILL instance ${planned.instance}, restart in 1 s`);
      await instances[planned.instance].kill();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      instances[planned.instance].start();
    } else if (planned.kind === "pause") {
      fault.instance = planned.instance;
      log(
        `+${
          ((fault.at - started) / 1000).toFixed(1)
        } s: SIGSTOP instance ${planned.instance} for 9 s (session timeout 6 s)`,
      );
      instances[planned.instance].signal("SIGSTOP");
      await new Promise((resolve) => setTimeout(resolve, 9_000));
      instances[planned.instance].signal("SIGCONT");
    } else {
      log(`+${((fault.at - started) / 1000).toFixed(1)} s: broker restart`);
      await broker("stop");
      await broker("start");
    }
  }
  await producing;
  await producer.disconnect();

  // Wait until the outputs stop growing (everything processed), then check.
  let last = -1;
  // Idle = 15 s without a new output: longer than a fenced task's wait for the group (two session timeouts).
  for (let idle = 0; idle < 15;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const count = (await admin.topicOffsets(out)).reduce((sum, o) => sum + o.lastStable, 0);
    idle = count === last ? idle + 1 : 0;
    last = count;
  }
  for (const instance of instances) await instance.stop();
  const outputs = await readOutputs(kafka, admin, out);

  const byKey = new Map<string, { values: string[]; timestamps: number[] }>();
  for (const { key, value, timestamp } of outputs) {
    const entry = byKey.get(key) ?? { values: [], timestamps: [] };
    entry.values.push(value);
    entry.timestamps.push(timestamp);
    byKey.set(key, entry);
  }
  let distinct = 0;
  const disordered: string[] = [];
  for (let k = 0; k < options.keys; k++) {
    const entry = byKey.get(`key-${k}`) ?? { values: [], timestamps: [] };
    distinct += new Set(entry.values.map((value) => value.split(":")[0])).size;
    const expected = Array.from({ length: perKey }, (_, i) => `${i + 1}:${i + 1}`);
    if (entry.values.join(",") !== expected.join(",")) disordered.push(`key-${k}`);
  }
  for (const fault of faults) {
    const firsts = [...byKey.values()].map(({ timestamps }) => timestamps.find((time) => time > fault.at));
    if (firsts.every((time) => time !== undefined)) fault.recoveryMs = Math.max(...firsts.map((t) => t! - fault.at));
  }
  await admin.deleteTopics([input, out, `${run}-mailbox`, `${run}-changelog`]);
  await admin.deleteGroups([run]).catch(() => {});
  await admin.disconnect();
  await Deno.remove(moduleFile);

  const report: ChaosReport = {
    seed: options.seed,
    produced: total,
    outputs: outputs.length,
    lost: total - distinct,
    duplicated: outputs.length - distinct,
    disordered,
    faults,
    unexpectedExits: instances.reduce((sum, instance) => sum + instance.unexpectedExits, 0),
  };
  log(
    `records ${report.produced}, outputs ${report.outputs}, lost ${report.lost}, duplicated ${report.duplicated}, ` +
      `keys out of order ${disordered.length}, unexpected exits ${report.unexpectedExits}`,
  );
  for (const kind of ["kill", "pause", "broker-restart"] as const) {
    const ofKind = faults.filter((fault) => fault.kind === kind);
    if (ofKind.length === 0) continue;
    const times = ofKind.map((fault) =>
      fault.recoveryMs === undefined ? "n/a" : `${(fault.recoveryMs / 1000).toFixed(1)} s`
    );
    log(`${kind}: ${ofKind.length}, recovery (every key has a new output) ${times.join(", ")}`);
  }
  return report;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seed: { type: "string" },
      size: { type: "string", default: "full" },
      guarantee: { type: "string", default: "exactly-once" },
    },
  });
  const size = values.size === "ci" ? SIZES.ci : SIZES.full;
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  await broker("start");
  const report = await runChaos({
    ...size,
    seed,
    guarantee: values.guarantee === "at-least-once" ? "at-least-once" : "exactly-once",
  });
  const exact = values.guarantee !== "at-least-once";
  const failed = report.lost > 0 || (exact && (report.duplicated > 0 || report.disordered.length > 0));
  Deno.exit(failed ? 1 : 0);
}

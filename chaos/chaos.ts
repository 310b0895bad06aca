/**
 * The chaos harness: Eddy instances as child processes on one app, a steady
 * stream of numbered records, and faults at seeded random moments — SIGKILL
 * and restart, SIGSTOP past the session timeout then SIGCONT (a zombie that
 * must be fenced), members joining and leaving, broker restarts — then an
 * exact check of the outputs, and of every key's state as read through each
 * live instance's control API.
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

/**
 * How the input's producer picks partitions: Kafka's default (murmur2, as Eddy routes, so records land on the task
 * that owns their key), librdkafka's `consistent_random` (CRC32 of the key: most records land on another task and
 * are forwarded through the mailbox), or a random partition per record (every key on every task, forwarded too).
 */
export type ChaosPartitioner = "default" | "crc32" | "random";

/**
 * `pair`: two instances share the app; faults hit either. `takeover`: one instance at a time; a kill restarts it,
 * a takeover freezes it (SIGSTOP), starts a new instance, wakes the old one 15 s later (SIGCONT) and kills it 5 s
 * after that (issue #8's scenario). `trio`: three instances share the app; faults hit any live one, a join starts
 * one more and a leave stops one gracefully for good (issue #12's scale-out scenario).
 */
export type ChaosTopology = "pair" | "takeover" | "trio";

/** What one run does. */
export interface ChaosOptions {
  /** Records in total. */
  records: number;
  /** Keys (each gets records/keys records, numbered 1..n). */
  keys: number;
  /** The input producer's partitioner. */
  partitioner: ChaosPartitioner;
  /** Instances and how faults hit them. */
  topology: ChaosTopology;
  /** SIGKILL + restart faults. */
  kills: number;
  /** SIGSTOP/SIGCONT faults (pair). */
  pauses: number;
  /** Frozen-instance takeovers (takeover). */
  takeovers: number;
  /** Instances started mid-stream, which join the group (trio). */
  joins: number;
  /** Graceful stops for good (SIGTERM, then the exit awaited) of a live instance (trio; fewer than 3). */
  leaves: number;
  /** Broker restarts. */
  brokerRestarts: number;
  /** Seconds over which the records are produced (the faults happen inside). */
  seconds: number;
  /** The seed of the fault schedule. */
  seed: number;
  /** The processing guarantee. */
  guarantee: "exactly-once" | "at-least-once";
  /** Each instance keeps its tasks' state in a `--state-dir` of its own, kept across its restarts (default: memory). */
  localState?: boolean;
  /** Where progress lines go. */
  log?: (line: string) => void;
}

/** A named run of a plan. */
export type ChaosRun = Omit<ChaosOptions, "seed" | "log"> & { name: string };

/**
 * The runs of `deno task chaos --size ci|full`: each topology, each non-default partitioner and both processing
 * guarantees appear. The CI size is what `deno task test` runs (tests/chaos/chaos_test.ts).
 */
export const PLANS: Record<"ci" | "full", ChaosRun[]> = {
  ci: [
    {
      name: "pair-crc32",
      ...{ records: 2_000, keys: 20, seconds: 40, partitioner: "crc32", topology: "pair", guarantee: "exactly-once" },
      ...{ kills: 3, pauses: 1, takeovers: 0, joins: 0, leaves: 0, brokerRestarts: 0, localState: true },
    },
    {
      name: "takeover-random",
      ...{
        records: 2_000,
        keys: 20,
        seconds: 45,
        partitioner: "random",
        topology: "takeover",
        guarantee: "exactly-once",
      },
      ...{ kills: 1, pauses: 0, takeovers: 1, joins: 0, leaves: 0, brokerRestarts: 0 },
    },
    {
      name: "pair-crc32-at-least-once",
      ...{ records: 2_000, keys: 20, seconds: 30, partitioner: "crc32", topology: "pair", guarantee: "at-least-once" },
      ...{ kills: 2, pauses: 1, takeovers: 0, joins: 0, leaves: 0, brokerRestarts: 0 },
    },
    {
      name: "trio-crc32",
      ...{ records: 3_000, keys: 60, seconds: 50, partitioner: "crc32", topology: "trio", guarantee: "exactly-once" },
      ...{ kills: 1, pauses: 1, takeovers: 0, joins: 1, leaves: 1, brokerRestarts: 0 },
    },
  ],
  full: [
    {
      name: "pair-crc32",
      ...{ records: 100_000, keys: 1_000, seconds: 300, partitioner: "crc32", topology: "pair", localState: true },
      ...{ guarantee: "exactly-once", kills: 20, pauses: 3, takeovers: 0, joins: 0, leaves: 0, brokerRestarts: 2 },
    },
    {
      name: "takeover-random",
      ...{ records: 40_000, keys: 400, seconds: 150, partitioner: "random", topology: "takeover" },
      ...{ guarantee: "exactly-once", kills: 4, pauses: 0, takeovers: 4, joins: 0, leaves: 0, brokerRestarts: 0 },
    },
    {
      name: "takeover-crc32",
      ...{ records: 40_000, keys: 400, seconds: 120, partitioner: "crc32", topology: "takeover" },
      ...{ guarantee: "exactly-once", kills: 3, pauses: 0, takeovers: 3, joins: 0, leaves: 0, brokerRestarts: 0 },
    },
    {
      name: "pair-random-at-least-once",
      ...{ records: 40_000, keys: 400, seconds: 120, partitioner: "random", topology: "pair" },
      ...{ guarantee: "at-least-once", kills: 8, pauses: 2, takeovers: 0, joins: 0, leaves: 0, brokerRestarts: 1 },
    },
    {
      name: "trio-random",
      ...{ records: 60_000, keys: 600, seconds: 180, partitioner: "random", topology: "trio" },
      ...{ guarantee: "exactly-once", kills: 4, pauses: 2, takeovers: 0, joins: 2, leaves: 2, brokerRestarts: 0 },
    },
  ],
};

/**
 * Whether a report shows what its guarantee promises: nothing lost, every key's state as expected through every
 * instance, every graceful stop clean; under exactly-once also nothing repeated.
 */
export function chaosPassed(report: ChaosReport, guarantee: ChaosOptions["guarantee"]): boolean {
  const exact = report.duplicated === 0 && report.disordered.length === 0;
  const healthy = report.unexpectedExits === 0 && report.uncleanStops === 0 && report.stateMismatches.length === 0;
  return report.lost === 0 && healthy && (guarantee === "at-least-once" || exact);
}

/** One fault as it happened. */
export interface Fault {
  /** `kill`, `pause`, `takeover`, `join`, `leave` or `broker-restart`. */
  kind: "kill" | "pause" | "takeover" | "join" | "leave" | "broker-restart";
  /** The instance it hit (a join: the instance started). */
  instance?: number;
  /** When (epoch ms). */
  at: number;
  /** Time until every key had an output written after the fault (ms), once known. */
  recoveryMs?: number;
  /** A leave's exit code (0: stopped cleanly). */
  exitCode?: number;
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
  /**
   * Keys whose counts do not read 1..n in output order, or (default and CRC32 partitioners, which keep a key in one
   * partition) whose outputs are not `seq:count` with seq = count.
   */
  disordered: string[];
  /** The faults. */
  faults: Fault[];
  /** Child processes that exited by themselves (and were restarted). */
  unexpectedExits: number;
  /** Why each of them exited: the instance, its exit code and its last error lines (or what it printed that was not JSON). */
  exitCauses: string[];
  /** Graceful stops (leaves, and every instance's at the end) that did not exit 0. */
  uncleanStops: number;
  /** Task starts that read only the changelog after a local store's checkpoint (with `localState`). */
  tailRestores: number;
  /** State reads through the control API after the run: one per key and live instance. */
  stateReads: {
    /** Reads made. */
    reads: number;
    /** Reads answered by another instance than the one asked (the key's owner, through the group view). */
    proxied: number;
  };
  /**
   * Reads that did not show the key's expected count (n; under at-least-once at least n), as `<key> via instance
   * <i>: <what it answered>`, and why a read could not be made.
   */
  stateMismatches: string[];
}

const root = new URL("../", import.meta.url).pathname;
const brokers = ["127.0.0.1:9092"];

/** CRC-32 (IEEE), as librdkafka's `consistent_random` partitioner hashes keys. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The input producer's partition for a key, by the run's partitioner. */
function inputPartitioner(
  partitioner: ChaosPartitioner,
  partitions: number,
  next: () => number,
): (key: string) => number | undefined {
  const utf8 = new TextEncoder();
  if (partitioner === "crc32") return (key) => crc32(utf8.encode(key)) % partitions;
  if (partitioner === "random") return () => Math.floor(next() * partitions);
  return () => undefined; // kafkajs' default partitioner: murmur2, as Eddy routes
}

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

/** An Eddy child process that can be killed, paused, restarted and stopped gracefully. */
class Instance {
  #child: Deno.ChildProcess | undefined;
  #stopping = false;
  unexpectedExits = 0;
  /** For each unexpected exit: the exit code and the process' last error lines. */
  readonly exitCauses: string[] = [];
  /** The running process' last error-level log lines and non-JSON lines (an uncaught exception's trace). */
  #lastErrors: string[] = [];
  /** Where the running process' control API answers, once it has logged it. */
  controlUrl: string | undefined;
  /** Whether the running process has logged that it started (it handles SIGTERM gracefully from then on). */
  started = false;
  /** Task starts from a local store's checkpoint, over all its processes. */
  tailRestores = 0;
  readonly #logFile: string;

  constructor(
    readonly index: number,
    readonly moduleFile: string,
    readonly out: string,
    readonly guarantee: string,
    readonly stateDir: string | undefined,
  ) {
    this.#logFile = `${root}.kafka/chaos-instance-${index}.log`;
  }

  /** Stopped for good (retired or left): faults pass it by. */
  get gone(): boolean {
    return this.#stopping;
  }

  start(): void {
    const log = Deno.openSync(this.#logFile, { create: true, append: true });
    this.controlUrl = undefined;
    this.started = false;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-env",
        "--allow-write",
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
        ...(this.stateDir === undefined ? [] : ["--state-dir", this.stateDir]),
      ],
      env: { EDDY_CHAOS_OUT: this.out },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const child = this.#child;
    const [toFile, toScan] = child.stderr.tee();
    void toFile.pipeTo(log.writable).catch(() => {});
    this.#lastErrors = [];
    const scanned = this.#watchLog(child, toScan);
    void child.status.then(async ({ code, signal }) => {
      if (this.#child === child && !this.#stopping) {
        await scanned;
        this.unexpectedExits++;
        this.exitCauses.push(
          `instance ${this.index} exited with ${signal ?? `code ${code}`}: ${
            this.#lastErrors.join(" | ") || "(no error logged)"
          }`,
        );
        this.start(); // an instance that died by itself comes back, and is counted
      }
    });
  }

  /** Reads the process' log for the control API's bound URL (port 0: the instance picks one) and its start. */
  async #watchLog(child: Deno.ChildProcess, stderr: ReadableStream<Uint8Array>): Promise<void> {
    const utf8 = new TextDecoder();
    let rest = "";
    let frames = 0;
    try {
      for await (const bytes of stderr) {
        const lines = (rest + utf8.decode(bytes, { stream: true })).split("\n");
        rest = lines.pop()!;
        for (const line of lines) {
          const parsed = parseLogLine(line);
          const message = parsed?.message ?? "";
          if (this.#child !== child) return;
          // An uncaught error's trace: its message line and the first frames, not the last ones (the tail of a
          // deep kafkajs stack says nothing of the error).
          const frame = parsed === undefined && /^\s+at /.test(line);
          frames = frame ? frames + 1 : 0;
          if (line.trim() !== "" && (parsed === undefined || parsed.level === "error") && frames <= 3) {
            this.#lastErrors = [...this.#lastErrors.slice(-5), line.slice(0, 600)];
          }
          const url = /^control API at (\S+)/.exec(message)?.[1];
          if (url !== undefined) this.controlUrl = url;
          if (message.startsWith("started: ")) this.started = true;
          if (/changelog records restored from offset/.test(message)) this.tailRestores++;
        }
      }
    } catch {
      // the process died mid-line: nothing more to learn from it
    }
  }

  signal(signal: Deno.Signal): void {
    this.#child?.kill(signal);
  }

  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    this.controlUrl = undefined;
    this.started = false;
    child?.kill("SIGKILL");
    await child?.status;
  }

  /** SIGKILLs it for good (a takeover's old instance). */
  async retire(): Promise<void> {
    this.#stopping = true;
    await this.kill();
  }

  /** Stops it gracefully for good, as an operator would (SIGTERM); its exit code, unless it was not running. */
  async stop(): Promise<number | undefined> {
    this.#stopping = true;
    const child = this.#child;
    this.#child = undefined;
    this.controlUrl = undefined;
    this.started = false;
    child?.kill("SIGCONT");
    child?.kill("SIGTERM");
    return (await child?.status)?.code;
  }
}

/** A JSON log line's message (`--log-format json`), or undefined for anything else. */
function parseLogLine(line: string): { message?: string; level?: string } | undefined {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
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

/** What a member's `GET /v1/status` says, as far as the state check needs it. */
interface MemberStatus {
  instance: string;
  taskCount: number;
  group: { instance: string | null; controlUrl: string | null; tasks: number[] }[];
  tasks: { task: number; status: string }[];
}

async function getStatus(instance: Instance): Promise<MemberStatus> {
  if (instance.controlUrl === undefined) throw new Error(`instance ${instance.index} has logged no control URL`);
  const response = await fetch(`${instance.controlUrl}/v1/status`);
  if (!response.ok) throw new Error(`instance ${instance.index}: GET /v1/status answered ${response.status}`);
  return await response.json();
}

/**
 * Waits until every member's status shows the same group of exactly these members, each task owned by one of them
 * and running (restored); undefined then, or what the last look showed after a minute.
 */
async function waitForSettledGroup(members: Instance[]): Promise<string | undefined> {
  let last = "";
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    try {
      const views = await Promise.all(members.map(getStatus));
      const ids = views.map((view) => view.instance).sort().join(",");
      const unsettled = views.flatMap((view, i) => {
        const owned = view.group.flatMap((member) => member.tasks).sort((a, b) => a - b).join(",");
        const all = Array.from({ length: view.taskCount }, (_, task) => task).join(",");
        const seen = view.group.map((member) => member.instance).sort().join(",");
        const notRunning = view.tasks.filter((task) => task.status !== "running").map((task) => task.task);
        return [
          ...(seen === ids ? [] : [`instance ${members[i].index} sees members ${seen}, not ${ids}`]),
          ...(owned === all ? [] : [`instance ${members[i].index} sees tasks ${owned} owned`]),
          ...(notRunning.length === 0 ? [] : [`instance ${members[i].index}'s tasks ${notRunning} are not running`]),
          ...(view.group.every((member) => member.controlUrl !== null) ? [] : ["a member has no control URL"]),
        ];
      });
      if (unsettled.length === 0) return undefined;
      last = unsettled.join("; ");
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return `the group did not settle within 60 s: ${last}`;
}

/**
 * Reads every key's `chaos/counter` state through each member's control API, once the group has settled: a read that
 * fails, or whose count `expected` refuses, is a mismatch.
 */
async function readStates(
  members: Instance[],
  keys: string[],
  expected: (count: number) => boolean,
): Promise<{ reads: number; proxied: number; mismatches: string[] }> {
  const mismatches: string[] = [];
  const unsettled = await waitForSettledGroup(members);
  if (unsettled !== undefined) mismatches.push(unsettled);
  let reads = 0;
  let proxied = 0;
  for (const member of members) {
    let self: string;
    try {
      self = (await getStatus(member)).instance;
    } catch (error) {
      mismatches.push(`state reads via instance ${member.index}: ${(error as Error).message}`);
      continue;
    }
    const read = async (key: string) => {
      const url = `${member.controlUrl}/v1/functions/chaos/counter/state?id=${encodeURIComponent(key)}`;
      try {
        const response = await fetch(url);
        const body = await response.json().catch(() => undefined);
        reads++;
        const answeredBy = response.headers.get("x-eddy-answered-by");
        if (answeredBy !== null && answeredBy !== self) proxied++;
        const count = body?.values?.count?.value;
        if (!response.ok || typeof count !== "number" || !expected(count)) {
          mismatches.push(`${key} via instance ${member.index}: ${response.status} ${JSON.stringify(body)}`);
        }
      } catch (error) {
        mismatches.push(`${key} via instance ${member.index}: GET ${url} failed: ${(error as Error).message}`);
      }
    };
    // A few at a time: each proxied read describes the group once.
    for (let i = 0; i < keys.length; i += 8) await Promise.all(keys.slice(i, i + 8).map(read));
  }
  return { reads, proxied, mismatches };
}

/** Runs the harness; the broker must be running. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const next = random(options.seed);
  if (options.topology !== "trio" && options.joins + options.leaves > 0) {
    throw new Error(`runChaos: joins and leaves need the trio topology, not ${options.topology}`);
  }
  if (options.leaves >= 3) throw new Error(`runChaos: ${options.leaves} leaves would stop every instance of a trio`);
  // Unique per run, also against runs of other checkouts on the same broker at the same millisecond.
  const run = `chaos-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 6)}`;
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

  // Pair: instances 0 and 1 all along. Takeover: one live instance at a time (the last one started). Trio: 0, 1 and
  // 2, then whoever joins, less whoever left.
  const instances: Instance[] = [];
  const launch = () => {
    const stateDir = options.localState ? Deno.makeTempDirSync({ prefix: `${run}-state-` }) : undefined;
    const instance = new Instance(instances.length, moduleFile, out, options.guarantee, stateDir);
    instances.push(instance);
    instance.start();
    return instance;
  };
  for (let i = 0; i < { pair: 2, takeover: 1, trio: 3 }[options.topology]; i++) launch();
  const live = () => instances.filter((instance) => !instance.gone);
  log(
    `chaos seed ${options.seed}: ${options.records} records over ${options.keys} keys in ${options.seconds} s, ` +
      `${options.topology}, ${options.partitioner} partitioner, ${options.kills} kills, ${options.pauses} pauses, ` +
      `${options.takeovers} takeovers, ${options.joins} joins, ${options.leaves} leaves, ` +
      `${options.brokerRestarts} broker restarts, ${options.guarantee}` +
      (options.localState ? ", local state stores" : ""),
  );

  // The schedule: faults at random moments of the middle of the stream, a few seconds apart. A takeover lasts
  // 20 s (frozen 15 s, then awake 5 s until killed); faults after it wait for it to end.
  const kinds: Fault["kind"][] = [
    ...Array(options.kills).fill("kill"),
    ...Array(options.pauses).fill("pause"),
    ...Array(options.takeovers).fill("takeover"),
    ...Array(options.joins).fill("join"),
    ...Array(options.leaves).fill("leave"),
    ...Array(options.brokerRestarts).fill("broker-restart"),
  ];
  const window = options.seconds * 1000 * 0.8;
  // `pick` chooses among the instances live at the fault's moment (in a pair: below 0.5 the first).
  const schedule = kinds.map((kind) => ({ kind, offset: 2_000 + next() * (window - 4_000), pick: next() }))
    .sort((a, b) => a.offset - b.offset);

  const perKey = Math.floor(options.records / options.keys);
  const total = perKey * options.keys;
  const partitionOf = inputPartitioner(options.partitioner, 4, next);
  const producer = new EgressProducer(kafka);
  await producer.connect();
  const started = Date.now();
  const producing = (async () => {
    const rounds = perKey;
    for (let seq = 1; seq <= rounds; seq++) {
      const records = Array.from({ length: options.keys }, (_, k) => {
        const key = `key-${k}`;
        return { topic: input, key, value: String(seq), partition: partitionOf(key) };
      });
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

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const faults: Fault[] = [];
  for (const planned of schedule) {
    const wait = started + planned.offset - Date.now();
    if (wait > 0) await sleep(wait);
    const fault: Fault = { kind: planned.kind, at: Date.now() };
    faults.push(fault);
    const at = `+${((fault.at - started) / 1000).toFixed(1)} s`;
    // In a pair or trio the planned one of the live instances; in a takeover the one live instance.
    const members = live();
    const target = options.topology === "takeover"
      ? instances[instances.length - 1]
      : members[Math.floor(planned.pick * members.length)];
    fault.instance = target.index;
    if (planned.kind === "kill") {
      log(`${at}: SIGKILL instance ${target.index}, restart in 1 s`);
      await target.kill();
      await sleep(1_000);
      target.start();
    } else if (planned.kind === "pause") {
      log(`${at}: SIGSTOP instance ${target.index} for 9 s (session timeout 6 s)`);
      target.signal("SIGSTOP");
      await sleep(9_000);
      target.signal("SIGCONT");
    } else if (planned.kind === "takeover") {
      target.signal("SIGSTOP");
      const successor = launch();
      log(`${at}: SIGSTOP instance ${target.index}, instance ${successor.index} takes over; SIGCONT in 15 s`);
      await sleep(15_000);
      target.signal("SIGCONT");
      await sleep(5_000);
      log(`+${((Date.now() - started) / 1000).toFixed(1)} s: SIGKILL instance ${target.index} (woken 5 s ago)`);
      await target.retire();
    } else if (planned.kind === "join") {
      const joining = launch();
      fault.instance = joining.index;
      log(`${at}: instance ${joining.index} joins`);
    } else if (planned.kind === "leave") {
      // As an operator stops a running instance: one still starting (after a kill) has no SIGTERM handler yet.
      for (let waited = 0; !target.started && waited < 60_000; waited += 200) await sleep(200);
      log(`+${((Date.now() - started) / 1000).toFixed(1)} s: SIGTERM instance ${target.index} (leaves for good)`);
      fault.exitCode = await target.stop();
      log(`+${((Date.now() - started) / 1000).toFixed(1)} s: instance ${target.index} exited ${fault.exitCode}`);
    } else {
      log(`${at}: broker restart`);
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
  // Every key's state through each live instance's control API, as an operator reads it: most reads are answered
  // by the key's owner through the instance asked.
  const keys = Array.from({ length: options.keys }, (_, k) => `key-${k}`);
  // Under at-least-once a replayed record may be counted twice: at least n, then.
  const readers = live();
  const states = await readStates(
    readers,
    keys,
    (count) => options.guarantee === "exactly-once" ? count === perKey : count >= perKey,
  );
  let uncleanStops = faults.filter((fault) => fault.kind === "leave" && fault.exitCode !== 0).length;
  for (const instance of instances) {
    const code = await instance.stop();
    if (code !== undefined && code !== 0) {
      uncleanStops++;
      log(`instance ${instance.index} exited ${code} after SIGTERM at the end`);
    }
  }
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
    // Exact: the counts read 1..n in output order (each input counted once, state carried on). With a partitioner
    // that keeps a key in one partition the input's order holds too, so output i is `i:i`; a random partitioner
    // spreads a key over partitions, whose records Kafka does not order among each other.
    const counts = entry.values.map((value) => value.split(":")[1]).join(",");
    const expected = Array.from({ length: perKey }, (_, i) => String(i + 1));
    const inOrder = options.partitioner === "random" || entry.values.every((value, i) => value === `${i + 1}:${i + 1}`);
    if (counts !== expected.join(",") || !inOrder) disordered.push(`key-${k}`);
  }
  for (const fault of faults) {
    const firsts = [...byKey.values()].map(({ timestamps }) => timestamps.find((time) => time > fault.at));
    if (firsts.every((time) => time !== undefined)) fault.recoveryMs = Math.max(...firsts.map((t) => t! - fault.at));
  }
  await admin.deleteTopics([input, out, `${run}-mailbox`, `${run}-changelog`]);
  await admin.deleteGroups([run]).catch(() => {});
  await admin.disconnect();
  await Deno.remove(moduleFile);
  for (const { stateDir } of instances) if (stateDir !== undefined) await Deno.remove(stateDir, { recursive: true });

  const report: ChaosReport = {
    seed: options.seed,
    produced: total,
    outputs: outputs.length,
    lost: total - distinct,
    duplicated: outputs.length - distinct,
    disordered,
    faults,
    unexpectedExits: instances.reduce((sum, instance) => sum + instance.unexpectedExits, 0),
    exitCauses: instances.flatMap((instance) => instance.exitCauses),
    uncleanStops,
    tailRestores: instances.reduce((sum, instance) => sum + instance.tailRestores, 0),
    stateReads: { reads: states.reads, proxied: states.proxied },
    stateMismatches: states.mismatches,
  };
  log(
    `records ${report.produced}, outputs ${report.outputs}, lost ${report.lost}, duplicated ${report.duplicated}, ` +
      `keys out of order ${disordered.length}, unexpected exits ${report.unexpectedExits}, ` +
      `unclean stops ${uncleanStops}` +
      (options.localState ? `, task starts from a local checkpoint ${report.tailRestores}` : ""),
  );
  log(
    `state of ${keys.length} keys read through ${readers.length} instances: ${states.reads} reads, ` +
      `${states.proxied} answered by another instance (the owner), ${states.mismatches.length} mismatches`,
  );
  for (const mismatch of states.mismatches.slice(0, 10)) log(`  state mismatch: ${mismatch}`);
  for (const cause of report.exitCauses) log(`  unexpected exit: ${cause}`);
  for (const kind of ["kill", "pause", "takeover", "join", "leave", "broker-restart"] as const) {
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
      runs: { type: "string" },
      repeat: { type: "string", default: "1" },
    },
  });
  const plan = values.size === "ci" ? PLANS.ci : PLANS.full;
  const names = values.runs?.split(",");
  const runs = names === undefined ? plan : plan.filter((run) => names.includes(run.name));
  if (runs.length === 0) {
    console.error(`no run named ${values.runs} in the ${values.size} plan: ${plan.map((run) => run.name).join(", ")}`);
    Deno.exit(2);
  }
  // Seeds run consecutively from the given one (or a random one), each run of each repeat its own.
  let seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  await broker("start");
  const results: string[] = [];
  for (let repeat = 0; repeat < Number(values.repeat); repeat++) {
    for (const { name, ...run } of runs) {
      const report = await runChaos({ ...run, seed });
      const passed = chaosPassed(report, run.guarantee);
      const verdict = passed ? (run.guarantee === "exactly-once" ? "exact" : "nothing lost") : "FAILED";
      results.push(
        `${verdict} ${name} seed ${seed}: lost ${report.lost}, ` +
          `duplicated ${report.duplicated}, keys out of order ${report.disordered.length}, ` +
          `state mismatches ${report.stateMismatches.length}, unexpected exits ${report.unexpectedExits}, ` +
          `unclean stops ${report.uncleanStops}`,
      );
      console.log(results.at(-1));
      seed++;
    }
  }
  console.log(results.join("\n"));
  Deno.exit(results.some((line) => line.startsWith("FAILED")) ? 1 : 0);
}

/**
 * Pipelines run as child processes, so each one has its own memory figure
 * (the peak RSS, `VmHWM` in /proc/<pid>/status, summed over the child's
 * process tree) and its own event loop. Both sides of the protocol are here:
 *
 * - the child prints `eddy-bench: ready` once it processes, and on SIGTERM
 *   stops, prints `eddy-bench: stopped {json}` (its report) and exits;
 * - the parent (`Child`) spawns it, waits for the ready line, polls its peak
 *   RSS, and stops it.
 *
 * The Kafka Streams app (bench/kafka_streams) prints the same two lines.
 *
 * @module
 */

const MARK = "eddy-bench: ";

/** What a child tells on stopping (Deno children: their event loop's longest stall). */
export interface ChildReport {
  /** The longest the child's event loop was blocked (a 50 ms timer's lateness), in ms. */
  maxStallMs?: number;
  /** Commits it made (transactions under exactly-once), and their mean duration (ms). */
  commits?: number;
  meanCommitMs?: number;
  /** Eddy: messages carried past a commit (each a pending entry and its tombstone in the changelog). */
  carriedOver?: number;
}

/** How to start a child. */
export interface ChildOptions {
  /** A name for its log lines. */
  name: string;
  /** The program. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** Echo its stderr, prefixed with its name (default true). */
  echoStderr?: boolean;
  /** Called with each stderr line as it arrives (Eddy's log, for its events). */
  onStderrLine?: (line: string) => void;
}

/** A running child process. */
export class Child {
  /** Its stdout lines other than the protocol's (the perf tools' results). */
  readonly lines: string[] = [];
  /** Its last stderr lines. */
  readonly errorLines: string[] = [];
  /** Resolves with its exit status. */
  readonly exited: Promise<Deno.CommandStatus>;
  readonly #process: Deno.ChildProcess;
  readonly #spawnedAt = performance.now();
  #readyAt: number | undefined;
  #onReady: (() => void)[] = [];
  #report: ChildReport | undefined;
  #peakKiB = 0;
  #poller: ReturnType<typeof setInterval>;

  /** Spawns it. */
  constructor(readonly options: ChildOptions) {
    this.#process = new Deno.Command(options.command, {
      args: options.args,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#poller = setInterval(() => this.#pollRss(), 250);
    const stdout = this.#readLines(this.#process.stdout, (line) => this.#onStdout(line));
    const stderr = this.#readLines(this.#process.stderr, (line) => {
      this.errorLines.push(line);
      if (this.errorLines.length > 50) this.errorLines.shift();
      options.onStderrLine?.(line);
      if (options.echoStderr !== false) console.error(`  [${options.name}] ${line}`);
    });
    this.exited = this.#process.status.then(async (status) => {
      clearInterval(this.#poller);
      await Promise.all([stdout, stderr]);
      return status;
    });
  }

  /** Its process id. */
  get pid(): number {
    return this.#process.pid;
  }

  /** Milliseconds from spawn to its ready line (undefined before). */
  get startupMs(): number | undefined {
    return this.#readyAt === undefined ? undefined : this.#readyAt - this.#spawnedAt;
  }

  /**
   * Resolves with the time (performance.now) of its ready line.
   *
   * @throws {Error} when it exits first or is not ready within `timeoutMs`.
   */
  async ready(timeoutMs = 120_000): Promise<number> {
    if (this.#readyAt !== undefined) return this.#readyAt;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ready = new Promise<void>((resolve) => this.#onReady.push(resolve));
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.options.name}: not ready after ${timeoutMs} ms`)), timeoutMs);
      void this.exited.then((status) => reject(this.#exitError(status)));
    });
    try {
      await Promise.race([ready, failed]);
    } finally {
      clearTimeout(timer);
    }
    return this.#readyAt!;
  }

  /** Rejects when it exits (for racing against what waits on its work). */
  async failure(): Promise<never> {
    throw this.#exitError(await this.exited);
  }

  /** The peak RSS of its process tree so far, in MiB (the sum of each process's VmHWM). */
  peakRssMiB(): number {
    this.#pollRss();
    return this.#peakKiB / 1024;
  }

  /** CPU time its process tree used so far (user + system, s; 0 once it exited). */
  cpuSeconds(): number {
    return treeCpuSeconds(this.#process.pid);
  }

  /** Sends SIGTERM and waits for it to exit (SIGKILL after `timeoutMs`); returns its report. */
  async stop(timeoutMs = 45_000): Promise<ChildReport> {
    this.#pollRss();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      this.#process.kill("SIGTERM");
    } catch {
      // already exited
    }
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        console.error(`  [${this.options.name}] did not stop within ${timeoutMs} ms; killing it`);
        try {
          this.#process.kill("SIGKILL");
        } catch {
          // exited meanwhile
        }
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    await this.exited;
    clearTimeout(timer);
    return this.#report ?? {};
  }

  /** Waits until it exits by itself; throws unless it exited with 0. */
  async finished(): Promise<void> {
    const status = await this.exited;
    if (!status.success) throw this.#exitError(status);
  }

  #onStdout(line: string): void {
    if (!line.startsWith(MARK)) {
      this.lines.push(line);
      return;
    }
    const [event, ...rest] = line.slice(MARK.length).split(" ");
    if (event === "ready" && this.#readyAt === undefined) {
      this.#readyAt = performance.now();
      for (const resolve of this.#onReady) resolve();
    } else if (event === "stopped" && rest.length > 0) {
      this.#report = JSON.parse(rest.join(" "));
    }
  }

  #exitError(status: Deno.CommandStatus): Error {
    const tail = this.errorLines.slice(-10).join("\n    ");
    return new Error(
      `${this.options.name} exited (code ${status.code}${status.signal ? `, ${status.signal}` : ""})` +
        (tail === "" ? "" : `; its last stderr lines:\n    ${tail}`),
    );
  }

  #pollRss(): void {
    const total = treeHighWaterKiB(this.#process.pid);
    if (total > this.#peakKiB) this.#peakKiB = total;
  }

  async #readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop()!;
      for (const line of lines) onLine(line);
    }
    if (rest !== "") onLine(rest);
  }
}

/** A Deno child: `deno run --allow-all <module> <args>`. */
export function denoChild(name: string, module: string, args: string[]): Child {
  // BENCH_INSPECT=<name>@<host:port> opens that child's inspector, for bench/cpu_profile.ts.
  const [inspected, address] = (Deno.env.get("BENCH_INSPECT") ?? "").split("@");
  const inspect = inspected === name && address !== undefined ? [`--inspect=${address}`] : [];
  return new Child({
    name,
    command: Deno.execPath(),
    args: ["run", "--allow-all", ...inspect, new URL(module).pathname, ...args],
  });
}

/** The sum of VmHWM (peak resident set) over a process and its descendants, in KiB; 0 once it is gone. */
export function treeHighWaterKiB(pid: number): number {
  return treeStatusKiB(pid, "VmHWM");
}

/** The sum of VmRSS (resident set now) over a process and its descendants, in KiB; 0 once it is gone. */
export function treeResidentKiB(pid: number): number {
  return treeStatusKiB(pid, "VmRSS");
}

function treeStatusKiB(pid: number, field: "VmHWM" | "VmRSS"): number {
  let total = 0;
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    total += Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    for (const thread of Deno.readDirSync(`/proc/${pid}/task`)) {
      const children = Deno.readTextFileSync(`/proc/${pid}/task/${thread.name}/children`).trim();
      if (children === "") continue;
      for (const child of children.split(" ")) total += treeStatusKiB(Number(child), field);
    }
  } catch {
    // the process (or a thread) ended while being read
  }
  return total;
}

/** User + system CPU time of a process and its descendants, in seconds; 0 once it is gone. */
export function treeCpuSeconds(pid: number): number {
  let seconds = 0;
  try {
    // Fields after the command name (which may hold spaces): the state is field 3, utime 14, stime 15.
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    seconds += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    for (const thread of Deno.readDirSync(`/proc/${pid}/task`)) {
      const children = Deno.readTextFileSync(`/proc/${pid}/task/${thread.name}/children`).trim();
      if (children === "") continue;
      for (const child of children.split(" ")) seconds += treeCpuSeconds(Number(child));
    }
  } catch {
    // the process (or a thread) ended while being read
  }
  return seconds;
}

/** CPU time the whole machine spent busy (all cores; /proc/stat: everything but idle and iowait), in seconds. */
export function machineBusySeconds(): number {
  try {
    const [, ...ticks] = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + (ticks[7] ?? 0);
    return busy / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Linux's USER_HZ (clock ticks per second in /proc/<pid>/stat), 100 on every mainstream architecture. */
const CLOCK_TICKS = 100;

/**
 * The child side, for Deno children: starts what `start` starts, prints the
 * ready line, and on SIGTERM stops it, prints its report (what the stop
 * function returns, and the longest loop stall) and exits (1 if anything threw).
 */
export async function runAsChild(start: () => Promise<() => Promise<ChildReport | void>>): Promise<void> {
  const stalls = stallMonitor();
  let stop: () => Promise<ChildReport | void>;
  try {
    stop = await start();
  } catch (error) {
    console.error(error);
    Deno.exit(1);
  }
  console.log(`${MARK}ready`);
  Deno.addSignalListener("SIGTERM", async () => {
    let code = 0;
    let report: ChildReport = {};
    try {
      report = (await stop()) ?? {};
    } catch (error) {
      console.error(error);
      code = 1;
    }
    console.log(`${MARK}stopped ${JSON.stringify({ ...report, maxStallMs: stalls() } satisfies ChildReport)}`);
    Deno.exit(code);
  });
}

/** Measures how late a 50 ms timer fires: the longest the event loop was blocked. */
export function stallMonitor(): () => number {
  let max = 0;
  let expected = performance.now() + 50;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - expected);
    expected = now + 50;
  }, 50);
  return () => {
    clearInterval(timer);
    return Math.round(max);
  };
}

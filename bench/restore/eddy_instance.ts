/**
 * One Eddy instance as a child process, started the way a user starts it: `deno run -A mod.ts run --module <file>
 * --functions bench/restore/count_functions.ts --control-addr 127.0.0.1:0 --log-format json [--state-dir <dir>]`.
 * The bench follows its JSON log on stderr (the control API's URL, each "task started" line with the records its
 * restore read and how long that took), asks its control API (`/ready`, `/v1/status`, pause and resume), reads its
 * resident set and CPU time from /proc, and stops it with SIGTERM (a graceful stop exits 0).
 *
 * @module
 */

import { Child, treeCpuSeconds, treeResidentKiB } from "../child_process.ts";

/** How to start an instance. */
export interface EddyInstanceOptions {
  /** A name for the bench's log lines. */
  name: string;
  /** The module spec file. */
  module: string;
  /** The count function's output topic. */
  output: string;
  /** `--state-dir`, or none (state in memory). */
  stateDir?: string;
}

/** A "task started" line. */
export interface TaskStarted {
  /** The task. */
  task: number;
  /** When it was logged (epoch ms). */
  at: number;
  /** Changelog records its restore read. */
  restored: number;
  /** How long its restore took (ms): the changelog's offsets, the reads and the store's writes. */
  restoreMs: number;
  /** `memory` or `sqlite`. */
  store: string;
  /** State values it holds. */
  stateValues: number;
  /** The line's message (where the restore started and why). */
  message: string;
}

/** What `/v1/status` says (the fields the bench reads). */
export interface InstanceStatus {
  ready: boolean;
  state: string;
  tasks: { task: number; status: string; invocations: number; restoredRecords: number; stateValues: number }[];
  group: { tasks: number[]; self: boolean }[];
}

interface LogLine {
  time: string;
  level: string;
  message: string;
  task?: number;
  [field: string]: unknown;
}

/** A running Eddy instance. */
export class EddyInstance {
  /** Its process. */
  readonly child: Child;
  /** When it was spawned (epoch ms). */
  readonly spawnedAt = Date.now();
  /** Its "task started" lines, in order. */
  readonly started: TaskStarted[] = [];
  /** Its log lines (parsed). */
  readonly lines: LogLine[] = [];
  #controlUrl: string | undefined;
  #waiters = new Set<() => void>();
  #exitCode: number | undefined;

  /** Spawns it. */
  constructor(readonly options: EddyInstanceOptions) {
    const mod = new URL("../../mod.ts", import.meta.url).pathname;
    const functions = new URL("./count_functions.ts", import.meta.url).pathname;
    this.child = new Child({
      name: options.name,
      command: Deno.execPath(),
      args: [
        "run",
        "--allow-all",
        ...(Deno.env.get("BENCH_EDDY_DENO_FLAGS") ?? "").split(" ").filter((flag) => flag !== ""),
        mod,
        "run",
        "--module",
        options.module,
        "--functions",
        functions,
        "--control-addr",
        "127.0.0.1:0",
        "--log-format",
        "json",
        "--log-level",
        "info",
        ...(options.stateDir === undefined ? [] : ["--state-dir", options.stateDir]),
      ],
      env: { BENCH_OUTPUT: options.output, EDDY_STATE_DIR: "" },
      echoStderr: false,
      onStderrLine: (line) => this.#onLine(line),
    });
    void this.child.exited.then((status) => {
      this.#exitCode = status.code;
      this.#wake();
    });
  }

  /** Its process id. */
  get pid(): number {
    return this.child.pid;
  }

  /** Its exit code, once it exited. */
  get exitCode(): number | undefined {
    return this.#exitCode;
  }

  /**
   * Resolves with what `probe` returns once it returns something (it is asked after each log line and every 100 ms).
   *
   * @throws {Error} when the instance exits first or after `timeoutMs`.
   */
  waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 600_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const check = () => {
        let value: T | undefined;
        try {
          value = probe();
        } catch (error) {
          done();
          reject(error);
          return;
        }
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (this.#exitCode !== undefined) {
          done();
          reject(this.#failure(`exited (code ${this.#exitCode}) while waiting for ${what}`));
        } else if (Date.now() > deadline) {
          done();
          reject(this.#failure(`no ${what} after ${timeoutMs} ms`));
        }
      };
      const timer = setInterval(check, 100);
      const done = () => {
        clearInterval(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Resolves once `count` tasks started after the `after`-th "task started" line; returns those lines. */
  tasksStarted(count: number, after = 0, timeoutMs?: number): Promise<TaskStarted[]> {
    return this.waitFor(
      `${count} started task(s)`,
      () => this.started.length >= after + count ? this.started.slice(after, after + count) : undefined,
      timeoutMs,
    );
  }

  /** Its control API's base URL (once it logged it). */
  controlUrl(): Promise<string> {
    return this.waitFor("control API", () => this.#controlUrl, 120_000);
  }

  /** GET `/v1/status`. */
  async status(): Promise<InstanceStatus> {
    const response = await fetch(`${await this.controlUrl()}/v1/status`);
    if (!response.ok) throw new Error(`${this.options.name}: /v1/status answered ${response.status}`);
    return await response.json();
  }

  /** Whether `/ready` answers 200 (joined its group, and no task of it restoring). */
  async isReady(): Promise<boolean> {
    const response = await fetch(`${await this.controlUrl()}/ready`);
    await response.body?.cancel();
    return response.ok;
  }

  /** Polls `/v1/status` every 100 ms until `accept` says yes; returns that status. */
  async statusWhen(what: string, accept: (status: InstanceStatus) => boolean, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status();
      if (accept(status)) return status;
      if (this.#exitCode !== undefined) throw this.#failure(`exited while waiting for ${what}`);
      if (Date.now() > deadline) throw this.#failure(`no ${what} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** POSTs to its control API (pause and resume of an ingress: the whole app). */
  async post(path: string): Promise<void> {
    const response = await fetch(`${await this.controlUrl()}${path}`, { method: "POST" });
    const body = await response.text();
    if (!response.ok) throw new Error(`${this.options.name}: POST ${path} answered ${response.status}: ${body}`);
  }

  /** Its resident set now (MiB). */
  rssMiB(): number {
    return treeResidentKiB(this.pid) / 1024;
  }

  /** Its peak resident set so far (MiB; VmHWM). */
  peakRssMiB(): number {
    return this.child.peakRssMiB();
  }

  /** Its CPU time so far (s). */
  cpuSeconds(): number {
    return treeCpuSeconds(this.pid);
  }

  /** SIGTERM, then waits for its exit (SIGKILL after 60 s); returns the exit code and how long it took. */
  async stop(): Promise<{ code: number; stopMs: number; stoppedAt: number }> {
    const sent = Date.now();
    await this.child.stop(60_000);
    const status = await this.child.exited;
    return { code: status.code, stopMs: Date.now() - sent, stoppedAt: Date.now() };
  }

  /** Its log lines at warn and error (what went wrong, for the bench's output), but kafkajs' rejoin notices. */
  problems(): string[] {
    return this.lines.filter((line) => isProblem(line)).map((line) => line.message);
  }

  #onLine(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text);
    } catch {
      console.error(`  [${this.options.name}] ${text}`);
      return;
    }
    this.lines.push(line);
    if (isProblem(line)) console.error(`  [${this.options.name}] ${line.message}`);
    const control = /^control API at (\S+)/.exec(line.message);
    if (control !== null) this.#controlUrl = control[1];
    const started = /^task started \((\d+) changelog records restored/.exec(line.message);
    if (started !== null && typeof line.task === "number") {
      this.started.push({
        task: line.task,
        at: Date.parse(line.time),
        restored: Number(started[1]),
        restoreMs: Number(line.restoreMs),
        store: String(line.store),
        stateValues: Number(line.stateValues),
        message: line.message,
      });
    }
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #failure(what: string): Error {
    const tail = this.child.errorLines.slice(-8).join("\n    ");
    return new Error(`${this.options.name}: ${what}${tail === "" ? "" : `; its last log lines:\n    ${tail}`}`);
  }
}

/** A warning or error other than kafkajs' notice that its group is rebalancing (every join and leave makes one). */
function isProblem(line: LogLine): boolean {
  return (line.level === "warn" || line.level === "error") && !REBALANCING.test(line.message);
}

/** kafkajs' notice (at warn) that the member learned of a rebalance: it rejoins. */
export const REBALANCING = /^The group is rebalancing, re-joining/;

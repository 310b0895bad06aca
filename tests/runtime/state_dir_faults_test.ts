/**
 * `--state-dir` on a file system that stops taking writes (issue #26): a small tmpfs mounted for the test, filled up,
 * then remounted read-only. The task whose local store cannot be written stops, naming the folder and SQLite's error;
 * the changelog stays the source of truth (the Kafka transaction committed before the store write failed); and a
 * restart once the folder can be written again loses and repeats nothing.
 *
 * Mounting needs root (as on the project's machines and CI); where `mount` is refused the test is skipped, saying so.
 */

import { deepEqual, match } from "node:assert/strict";
import type { RunningApp } from "../../src/serve/serve.ts";
import { createTopic, produce, readBack, type TestRecord, uniqueName, waitFor } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import { allTasksRunning, cleanUp, readAll, startApp, stopApp, type TestModule, valuesByKey } from "./harness.ts";

const KEYS = Array.from({ length: 10 }, (_, k) => `key-${k}`);

function round(i: number): TestRecord[] {
  return KEYS.map((key) => ({ key, value: String(i) }));
}

async function run(command: string, ...args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const output = await new Deno.Command(command, { args, stdout: "null", stderr: "piped" }).output();
  return { ok: output.success, stderr: new TextDecoder().decode(output.stderr) };
}

/** Mounts a tmpfs of `size` at a new folder, or says why not. */
async function mountTmpfs(size: string): Promise<{ path: string } | { refused: string }> {
  const path = await Deno.makeTempDir({ prefix: "eddy-small-fs-" });
  const mounted = await run("mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", path);
  if (mounted.ok) return { path };
  await Deno.remove(path);
  return { refused: mounted.stderr.trim() };
}

const probe = await mountTmpfs("64k").catch((error) => ({ refused: String(error) }));
if ("path" in probe) {
  await run("umount", probe.path);
  await Deno.remove(probe.path);
} else {
  console.warn(`state_dir_faults_test: skipped, a tmpfs cannot be mounted here (${probe.refused})`);
}

/** Waits until a task has stopped; returns its reason. */
async function stoppedTask(app: RunningApp): Promise<string> {
  let reason = "";
  await waitFor("a task to stop at its local store", () => {
    const failed = app.runtime.status().tasks.find((task) => task.status === "failed");
    reason = failed?.failure?.reason ?? "";
    return failed !== undefined;
  }, 60_000);
  return reason;
}

/** Fills a file system: writes a file until it is full. */
async function fill(path: string): Promise<void> {
  const file = await Deno.open(`${path}/filler`, { write: true, create: true });
  try {
    const chunk = new Uint8Array(4096);
    while (true) await file.write(chunk);
  } catch (error) {
    if (!/No space left|ENOSPC|os error 28/i.test(String(error))) throw error;
  } finally {
    file.close();
  }
}

Deno.test({
  name: "a full, then read-only --state-dir stops the task naming the folder and the error; a restart with space " +
    "goes on from the changelog with nothing lost or repeated",
  ignore: !("path" in probe),
  async fn() {
    const mount = await mountTmpfs("2m");
    if (!("path" in mount)) throw new Error(`cannot mount a tmpfs: ${mount.refused}`);
    const stateDir = mount.path;
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out", { partitions: 2 });
    const group = uniqueName("app");
    const module: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    };
    const apps: RunningApp[] = [];
    const start = async () => {
      const app = await startApp(module, counterFunctions(output), { stateDir });
      apps.push(app);
      return app;
    };
    let rounds = 0;
    const produceRound = () => produce(input, round(rounds++));
    try {
      const app = await start();
      await allTasksRunning(app, 2);
      for (let i = 0; i < 3; i++) await produceRound();
      await readBack(output, rounds * KEYS.length);

      // 1. Full: the next commits reach Kafka, their store writes fail; the task stops, naming the folder.
      await fill(stateDir);
      for (let i = 0; i < 3; i++) await produceRound();
      const full = await stoppedTask(app);
      match(full, new RegExp(`cannot write the local state in ${stateDir}/${group}-changelog \\(--state-dir\\)`));
      match(full, /full/i);
      await app.stop();

      // 2. Space again: a restart goes on from the changelog.
      await Deno.remove(`${stateDir}/filler`);
      const again = await start();
      await readBack(output, rounds * KEYS.length, 60_000);

      // 3. Read-only (a mount with files open for writing cannot be remounted read-only: the app stops first, and its
      // next start meets the read-only folder): refused, naming the folder and the error; nothing read is lost.
      await stopApp(again);
      for (let i = 0; i < 3; i++) await produceRound();
      const readOnly = await run("mount", "-o", "remount,ro", stateDir);
      if (!readOnly.ok) throw new Error(`cannot remount ${stateDir} read-only: ${readOnly.stderr}`);
      const refused = await start().then(stoppedTask, (error: Error) => error.message);
      match(refused, new RegExp(`${stateDir}/${group}-changelog \\(--state-dir\\)`));
      match(refused, /read-?only/i);
      for (const app of apps) await app.stop();
      const writable = await run("mount", "-o", "remount,rw", stateDir);
      if (!writable.ok) throw new Error(`cannot remount ${stateDir} read-write: ${writable.stderr}`);
      const last = await start();
      await readBack(output, rounds * KEYS.length, 60_000);
      await stopApp(last);

      const byKey = valuesByKey(await readAll(output));
      for (const key of KEYS) {
        deepEqual(byKey.get(key), Array.from({ length: rounds }, (_, i) => `${i + 1}:${i}`), key);
      }
    } finally {
      for (const app of apps) await app.stop().catch(() => {});
      await run("umount", "-l", stateDir);
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
      await cleanUp(group, input, output);
    }
  },
});

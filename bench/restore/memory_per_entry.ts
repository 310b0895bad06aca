/**
 * Memory per in-memory state entry, measured in a process of its own: `deno run --allow-all --v8-flags=--expose-gc
 * bench/restore/memory_per_entry.ts <mode> <entries>` restores `entries` changelog records of the count function
 * (bench/restore/changelog_fill.ts) and prints, per entry, what V8's heap, its external memory and the resident set
 * grew by (after two full GCs, against the same figures before). Modes:
 *
 * - `eddy`: Eddy's own restore path — `TaskState.restoreRecords` into the in-memory store, in batches of 10 000
 *   records whose key and value are copied out of the fetched buffers as Eddy's app consumer copies them
 *   (`new Uint8Array(buffer)`): each value its own 45-byte ArrayBuffer;
 * - `own`: the same ids in a plain `Map`, each value a fresh 45–48-byte `Uint8Array` of its own, nothing else
 *   allocated (what the store holds, without the restore's garbage);
 * - `views`: the same, the values views into one shared buffer (not what Eddy does: what one ArrayBuffer per value
 *   costs, by difference);
 * - `ids`: the same ids in a `Map`, a number for each value (the id and the map's entry alone).
 *
 * @module
 */

import { TaskState } from "../../src/state/task_state.ts";
import { counterRecord } from "./changelog_fill.ts";

/** What one probe measured, per entry (bytes). */
export interface MemoryPerEntry {
  mode: string;
  entries: number;
  heapUsed: number;
  external: number;
  rss: number;
  /** The value bytes of one entry, and its whole changelog record (key and value). */
  valueBytes: number;
  recordBytes: number;
}

const BATCH = 10_000;

function probe(mode: string, entries: number): MemoryPerEntry {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  const now = Date.now();
  const sample = counterRecord(0, 1, now);
  gc();
  gc();
  const before = Deno.memoryUsage();
  let kept: TaskState | Map<string, unknown>;
  if (mode === "eddy") {
    const state = new TaskState();
    for (let start = 0; start < entries; start += BATCH) {
      const batch = [];
      for (let i = start; i < Math.min(entries, start + BATCH); i++) {
        const record = counterRecord(i, (i % 1000) + 1, now);
        batch.push({ key: new Uint8Array(record.key), value: new Uint8Array(record.value) });
      }
      state.restoreRecords(batch);
    }
    if (state.valueCount !== entries) throw new Error(`${state.valueCount} values, not ${entries}`);
    kept = state;
  } else if (mode === "own" || mode === "views" || mode === "ids") {
    const size = sample.value.length;
    const slab = new Uint8Array(mode === "views" ? entries * size : 0);
    const values = new Map<string, Uint8Array | number>();
    for (let i = 0; i < entries; i++) {
      const id = `s\u0000bench.count/counter\u0000count\u0000name-${i}`;
      if (mode === "ids") values.set(id, i);
      else if (mode === "own") values.set(id, new Uint8Array(size).fill(i & 255));
      else values.set(id, slab.subarray(i * size, (i + 1) * size).fill(i & 255));
    }
    kept = values;
  } else throw new Error(`unknown mode ${mode}`);
  gc();
  gc();
  const after = Deno.memoryUsage();
  // Read what was kept after the measurement, so that it is alive during it.
  const size = kept instanceof TaskState ? kept.valueCount : (kept as Map<string, unknown>).size;
  if (size !== entries) throw new Error(`${size} entries kept, not ${entries}`);
  const per = (field: keyof Deno.MemoryUsage) => (after[field] - before[field]) / entries;
  return {
    mode,
    entries,
    heapUsed: per("heapUsed"),
    external: per("external"),
    rss: per("rss"),
    valueBytes: sample.value.length,
    recordBytes: sample.key.length + sample.value.length,
  };
}

if (import.meta.main) {
  const [mode, entries] = Deno.args;
  console.log(JSON.stringify(probe(mode, Number(entries))));
}

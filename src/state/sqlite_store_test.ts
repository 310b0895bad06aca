import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { SqliteStateStore, StateDirectory, StateDirectoryError, StateDirectoryLockedError } from "./sqlite_store.ts";

const write = (id: string, value: Uint8Array | null) => ({ id, key: new TextEncoder().encode(id), value });

Deno.test("state directory: one instance per folder; a folder that cannot be made is named", () => {
  const root = Deno.makeTempDirSync();
  const first = StateDirectory.open(root, "app-changelog");
  throws(() => StateDirectory.open(`${root}/`, "app-changelog"), StateDirectoryLockedError);
  first.close();
  StateDirectory.open(root, "app-changelog").close(); // released on close (and by the kernel when a process dies)
  const file = Deno.makeTempFileSync();
  throws(() => StateDirectory.open(file, "app-changelog"), (error: unknown) => {
    ok(error instanceof StateDirectoryError);
    match(error.message, new RegExp(`cannot keep state in ${file}/app-changelog \\(--state-dir\\)`));
    return true;
  });
});

Deno.test("sqlite store: a file that is not a store is deleted with a warning and rebuilt (the changelog restores it)", () => {
  const file = Deno.makeTempFileSync({ suffix: ".sqlite" });
  Deno.writeTextFileSync(file, "not a database, ".repeat(512));
  const warnings: string[] = [];
  const store = SqliteStateStore.open(file, (message) => warnings.push(message));
  equal(warnings.length, 1);
  match(
    warnings[0],
    new RegExp(`the local state file ${file} cannot be read .*: deleting it, the changelog restores it`),
  );
  deepEqual([store.size, store.checkpoint], [0, undefined]);
  store.apply([write("s\u0000a/f\u0000n\u0000x", new Uint8Array([1]))], { offset: 7, writtenAt: 1 });
  store.close();
  const again = SqliteStateStore.open(file, (message) => warnings.push(message));
  deepEqual([again.size, again.checkpoint, warnings.length], [1, { offset: 7, writtenAt: 1 }, 1]);
  again.close();
});

Deno.test("sqlite store: records and checkpoint commit together; timers and pending messages come back as records", () => {
  const store = SqliteStateStore.open(Deno.makeTempFileSync({ suffix: ".sqlite" }), () => {});
  store.apply([
    write("s\u0000a/f\u0000n\u0000x", new Uint8Array([1])),
    write("s\u0000a/f\u0000n\u0000x", new Uint8Array([2])), // an update: still one value
    write("t\u0000timer", new Uint8Array([3])),
  ]);
  deepEqual([store.size, store.get("s\u0000a/f\u0000n\u0000x"), store.checkpoint], [1, new Uint8Array([2]), undefined]);
  deepEqual(store.stateTypes(), ["a/f"]);
  deepEqual([...store.records()].map(({ value }) => [...value]), [[3]]);
  store.apply([write("s\u0000a/f\u0000n\u0000x", null)], { offset: 9, writtenAt: 2 });
  deepEqual([store.size, store.checkpoint?.offset], [0, 9]);
  store.clear();
  deepEqual([store.size, store.checkpoint, [...store.records()].length], [0, undefined, 0]);
  store.close();
});

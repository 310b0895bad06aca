import { deepEqual, equal, rejects } from "node:assert/strict";
import { AtLeastOnceCommitter } from "./at_least_once_committer.ts";
import type { ClusterAdmin, GroupOffset, OutgoingRecord } from "./ports.ts";

const record = (value: string): OutgoingRecord => ({ topic: "app-changelog", partition: 0, key: "k", value });
const offset = (value: number): GroupOffset => ({ groupId: "app", topic: "in", partition: 0, offset: value });

function committer(commitAppOffsets: (offsets: GroupOffset[]) => Promise<void>) {
  const calls: string[] = [];
  const instance = new AtLeastOnceCommitter(
    "app-task-0",
    {
      send: (records) => {
        calls.push(`send ${records.map((r) => r.value).join(",")}`);
        return Promise.resolve(new Map());
      },
      disconnect: () => Promise.resolve(),
    },
    "app",
    (offsets) => {
      calls.push(`offsets ${offsets.map((o) => o.offset).join(",")}`);
      return commitAppOffsets(offsets);
    },
    {} as ClusterAdmin,
  );
  return { instance, calls };
}

Deno.test("at-least-once commits: records, then offsets; from the second on, the last offsets again first (still a member?)", async () => {
  const { instance, calls } = committer(() => Promise.resolve());
  await instance.commit({ records: [record("a")], offsets: [offset(1)] });
  await instance.commit({ records: [record("b")], offsets: [offset(2)] });
  await instance.commit({ records: [], offsets: [offset(3)] }); // nothing to write: nothing to check
  deepEqual(calls, ["send a", "offsets 1", "offsets 1", "send b", "offsets 2", "send ", "offsets 3"]);
});

Deno.test("at-least-once commits: a member the group expelled (a frozen zombie) writes nothing", async () => {
  let expelled = false;
  const { instance, calls } = committer(() =>
    expelled ? Promise.reject(new Error("The coordinator is not aware of this member")) : Promise.resolve()
  );
  await instance.commit({ records: [record("a")], offsets: [offset(1)] });
  expelled = true;
  await rejects(instance.commit({ records: [record("stale")], offsets: [offset(2)] }), /not aware of this member/);
  equal(calls.some((call) => call.includes("stale")), false, "the stale state never reached the changelog");
});

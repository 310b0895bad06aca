/**
 * The chaos harness at CI size (chaos/chaos.ts): two Eddy instances, a stream
 * of 2000 numbered records over 20 keys, 3 SIGKILLs and 1 SIGSTOP past the
 * session timeout at seeded random moments; exactly-once means every key's
 * outputs are exactly 1..n, in order. A failure prints the seed:
 * `deno task chaos --size ci --seed <seed>` replays its schedule.
 */

import { deepEqual, equal } from "node:assert/strict";
import { runChaos, SIZES } from "../../chaos/chaos.ts";
import { kafkaTest } from "../kafka/helpers.ts";

kafkaTest("chaos (CI size): kills and a zombie pause lose and duplicate nothing under exactly-once", async () => {
  const seed = Number(Deno.env.get("EDDY_CHAOS_SEED") ?? Math.floor(Math.random() * 2 ** 31));
  const report = await runChaos({ ...SIZES.ci, seed, guarantee: "exactly-once" });
  const replay = `(replay: deno task chaos --size ci --seed ${seed})`;
  equal(report.lost, 0, `lost ${report.lost} ${replay}`);
  equal(report.duplicated, 0, `duplicated ${report.duplicated} ${replay}`);
  deepEqual(report.disordered, [], `keys out of order ${replay}`);
  equal(report.unexpectedExits, 0, `instances exited by themselves ${replay}`);
  equal(report.faults.length, SIZES.ci.kills + SIZES.ci.pauses);
});

/**
 * The chaos harness at CI size (chaos/chaos.ts, `PLANS.ci`): two instances, each with a local state store of its own
 * (`--state-dir`), with SIGKILLs and a zombie pause, input from librdkafka's CRC32 partitioner; one instance at a time with a kill and a frozen-instance takeover, input from
 * a random partitioner (issue #8's scenario); the pair under at-least-once processing; and three instances with a
 * kill, a zombie pause, a member joining and one leaving gracefully (issue #12). Exactly-once means every key's outputs
 * are exactly 1..n, in order, and its state reads n through every instance's control API; at-least-once that none is
 * missing and the state is at least n. A failure prints the seed:
 * `deno task chaos --size ci --runs <name> --seed <seed>` replays its schedule.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { chaosPassed, PLANS, runChaos } from "../../chaos/chaos.ts";
import { kafkaTest } from "../kafka/helpers.ts";

for (const { name, ...run } of PLANS.ci) {
  kafkaTest(
    `chaos (CI size, ${name}): ${run.guarantee} holds under kills, pauses, takeovers, joins and leaves`,
    async () => {
      const seed = Number(Deno.env.get("EDDY_CHAOS_SEED") ?? Math.floor(Math.random() * 2 ** 31));
      const report = await runChaos({ ...run, seed });
      const replay = `(replay: deno task chaos --size ci --runs ${name} --seed ${seed})`;
      equal(report.lost, 0, `lost ${report.lost} ${replay}`);
      if (run.guarantee === "exactly-once") {
        equal(report.duplicated, 0, `duplicated ${report.duplicated} ${replay}`);
        deepEqual(report.disordered, [], `keys out of order ${replay}`);
      }
      equal(report.unexpectedExits, 0, `instances exited by themselves ${replay}: ${report.exitCauses.join("; ")}`);
      equal(report.uncleanStops, 0, `graceful stops that did not exit 0 ${replay}`);
      deepEqual(report.stateMismatches, [], `state read through the control API ${replay}`);
      const liveAtEnd = { pair: 2, takeover: 1, trio: 3 + run.joins - run.leaves }[run.topology];
      equal(report.stateReads.reads, run.keys * liveAtEnd, "one state read per key through each live instance");
      if (run.topology !== "takeover") {
        ok(report.stateReads.proxied > 0, "some reads were answered by another instance");
      }
      // A killed instance restarts on its own folder: its tasks read only what came after its checkpoints.
      if (run.localState) ok(report.tailRestores > 0, `no task started from a local checkpoint ${replay}`);
      equal(report.faults.length, run.kills + run.pauses + run.takeovers + run.joins + run.leaves + run.brokerRestarts);
      equal(chaosPassed(report, run.guarantee), true);
    },
  );
}

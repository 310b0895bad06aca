/**
 * The bench's count function (bench/pipelines/eddy_functions.ts) as a functions module for `eddy run --functions`:
 * `bench.count/counter` counts per name in its int state `count` and writes `{"name","count","sentAt"}` to the topic
 * named by `BENCH_OUTPUT`.
 *
 * @module
 */

import { countFunctions } from "../pipelines/eddy_functions.ts";

const output = Deno.env.get("BENCH_OUTPUT");
if (output === undefined) throw new Error("BENCH_OUTPUT names the output topic");

export default countFunctions(output);

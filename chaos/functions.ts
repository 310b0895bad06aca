/**
 * The chaos pipeline's functions, run by each Eddy child process: `chaos/counter`
 * counts the messages of its key in state and messages `chaos/echo` (same id,
 * through the mailbox), which writes `<seq>:<count>` to the egress topic named
 * by EDDY_CHAOS_OUT. Input values are `<seq>` as plain text.
 */

import { Buffer } from "node:buffer";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../mod.ts";

/** Plain UTF-8 values. */
export const TEXT = StateFun.customType<string>("chaos/text", (text) => Buffer.from(text), (bytes) => bytes.toString());

const out = Deno.env.get("EDDY_CHAOS_OUT") ?? "chaos-out";
const functions = new StateFun();

functions.bind({
  typename: "chaos/counter",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(context, message) {
    const count = (context.storage.count ?? 0) + 1;
    context.storage.count = count;
    const value = `${message.as(TEXT)}:${count}`;
    context.send(messageBuilder({ typename: "chaos/echo", id: context.self.id, value, valueType: TEXT }));
  },
});

functions.bind({
  typename: "chaos/echo",
  fn(context, message) {
    context.send(
      kafkaEgressMessage({ typename: "chaos/out", topic: out, key: context.self.id, value: message.as(TEXT)! }),
    );
  },
});

export default functions;

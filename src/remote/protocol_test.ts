import { deepEqual, equal, throws } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { officialSdk as official } from "../../tests/deps.ts";
import { ProtoDecodeError, ProtoWriter } from "../protobuf/wire.ts";
import { Address } from "../sdk/address.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { INT_TYPE, STRING_TYPE } from "../sdk/types.ts";
import { decodeFromFunction, decodeToFunction, encodeToFunction, type InvocationBatch } from "./protocol.ts";

/** The official JS SDK's own handler, called as its HTTP handler would call it. */
async function officialHandle(statefun: InstanceType<typeof official.StateFun>, body: Uint8Array) {
  let status = 0;
  let out = new Uint8Array();
  await statefun.handle(
    {
      async *[Symbol.asyncIterator]() {
        yield Buffer.from(body);
      },
    },
    {
      writeHead: (code: number) => status = code,
      end: (bytes?: Uint8Array) => out = bytes === undefined ? out : new Uint8Array(bytes),
    },
  );
  equal(status, 200, "the official handler answered");
  return out;
}

function greeter() {
  const statefun = new official.StateFun();
  statefun.bind({
    typename: "com.example/greeter",
    specs: [{ name: "seen", type: official.StateFun.intType(), expireAfterWrite: 60_000 }],
    // deno-lint-ignore no-explicit-any
    fn(context: any, message: any) {
      const seen = (context.storage.seen ?? 0) + 1;
      context.storage.seen = message.asString() === "forget" ? null : seen;
      context.send(official.messageBuilder({ typename: "com.example/counter", id: "c-1", value: seen }));
      context.send(
        official.kafkaEgressMessage({ typename: "com.example/out", topic: "greetings", key: "k", value: `#${seen}` }),
      );
      context.sendAfter(
        1_500,
        official.messageBuilder({ typename: "com.example/greeter", id: "ada", value: "again" }),
        "remind",
      );
      context.cancelDelayedMessage("old-token");
    },
  });
  return statefun;
}

const ADA = Address.fromParts("com.example", "greeter", "ada");
const batch = (state: InvocationBatch["state"], ...texts: string[]): InvocationBatch => ({
  target: ADA,
  state,
  invocations: texts.map((text) => ({ caller: null, argument: toTypedValue(text, STRING_TYPE) })),
});

Deno.test("protocol: a request without the declared state gets the official SDK's IncompleteInvocationContext", async () => {
  const response = decodeFromFunction(await officialHandle(greeter(), encodeToFunction(batch([], "hi"))));
  deepEqual(response, {
    kind: "incomplete",
    missing: [{ name: "seen", typename: "io.statefun.types/int", expiration: { mode: "after-write", millis: 60_000 } }],
  });
});

Deno.test("protocol: the official SDK's invocation result, decoded: mutations, messages, egress, delays", async () => {
  const request = batch([{ name: "seen", value: toTypedValue(41, INT_TYPE) }], "hi");
  const response = decodeFromFunction(await officialHandle(greeter(), encodeToFunction(request)));
  if (response.kind !== "result") throw new Error(`expected a result, got ${response.kind}`);
  deepEqual(response.mutations, [{ name: "seen", kind: "modify", value: toTypedValue(42, INT_TYPE) }]);
  equal(response.outgoing.length, 1);
  equal(response.outgoing[0].target.typename, "com.example/counter");
  equal(response.outgoing[0].target.id, "c-1");
  deepEqual(response.egress.map(({ namespace, type }) => `${namespace}/${type}`), ["com.example/out"]);
  equal(response.egress[0].argument.typename, "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
  deepEqual(
    response.delayed.map((d) =>
      d.kind === "delay" ? `${d.delayMs} ${d.cancellationToken}` : `cancel ${d.cancellationToken}`
    ),
    [
      "1500 remind",
      "cancel old-token",
    ],
  );
});

Deno.test("protocol: a batch of invocations runs in order on one storage; null deletes the state", async () => {
  const request = batch([{ name: "seen", value: toTypedValue(1, INT_TYPE) }], "a", "b", "forget");
  const response = decodeFromFunction(await officialHandle(greeter(), encodeToFunction(request)));
  if (response.kind !== "result") throw new Error(response.kind);
  deepEqual(response.mutations, [{ name: "seen", kind: "delete" }]);
  equal(response.outgoing.length, 3);
});

Deno.test("protocol: ToFunction round trip, callers and empty states included", () => {
  const request: InvocationBatch = {
    target: ADA,
    state: [{ name: "empty" }, { name: "seen", value: toTypedValue(7, INT_TYPE) }],
    invocations: [
      { caller: Address.fromParts("com.example", "other", "x"), argument: toTypedValue("m1", STRING_TYPE) },
      { caller: null, argument: toTypedValue("m2", STRING_TYPE) },
    ],
  };
  deepEqual(decodeToFunction(encodeToFunction(request)), request);
});

Deno.test("protocol: malformed responses are ProtoDecodeErrors naming the problem", () => {
  throws(() => decodeFromFunction(new Uint8Array([0xff, 0xff, 0xff])), ProtoDecodeError);
  const mutation = new ProtoWriter().varint(1, 7).string(2, "seen").finish();
  const result = new ProtoWriter().bytes(1, mutation, true).finish();
  throws(() => decodeFromFunction(new ProtoWriter().bytes(100, result, true).finish()), /unknown type 7/);
  const cancel = new ProtoWriter().varint(10, true).finish();
  const withCancel = new ProtoWriter().bytes(3, cancel, true).finish();
  throws(
    () => decodeFromFunction(new ProtoWriter().bytes(100, withCancel, true).finish()),
    /cancellation request without a cancellation token/,
  );
  deepEqual(decodeFromFunction(new Uint8Array()), {
    kind: "result",
    mutations: [],
    outgoing: [],
    delayed: [],
    egress: [],
  });
});

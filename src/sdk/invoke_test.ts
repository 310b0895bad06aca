import { Buffer } from "node:buffer";
import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import { Address } from "./address.ts";
import { kafkaEgressMessage } from "./egress.ts";
import { invokeFunction } from "./invoke.ts";
import { messageBuilder } from "./message.ts";
import type { StateMutation } from "./storage.ts";
import { StateFun } from "./statefun.ts";
import { toTypedValue, type TypedValue } from "./typed_value.ts";
import { INT_TYPE, STRING_TYPE } from "./types.ts";

const visitType = StateFun.jsonType<{ last: string }>("com.example/Visit");

function greeter(): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: "com.example/greeter",
    specs: [
      { name: "seen", type: StateFun.intType() },
      { name: "visit", type: visitType, expireAfterWrite: 60_000 },
    ],
    async fn(context, message) {
      const name = message.asString()!;
      const seen = (context.storage.seen ?? 0) + 1;
      context.storage.seen = seen;
      context.storage.visit = seen > 2 ? null : { last: name };
      await Promise.resolve();
      context.send(messageBuilder({ typename: "com.example/counter", id: name, value: seen }));
      context.send(
        kafkaEgressMessage({
          typename: "com.example/out",
          topic: "greetings",
          key: name,
          value: `Hi ${name} #${seen}`,
        }),
      );
      context.sendAfter(
        1_000,
        messageBuilder({ typename: "com.example/greeter", id: name, value: name }),
        `remind-${name}`,
      );
      if (seen > 1) context.cancelDelayedMessage(`remind-${name}`);
    },
  });
  return statefun;
}

function apply(state: Map<string, TypedValue>, mutations: StateMutation[]) {
  for (const mutation of mutations) {
    if (mutation.kind === "delete") state.delete(mutation.name);
    else state.set(mutation.name, mutation.value);
  }
}

Deno.test("invokeFunction() runs a bound function with its state and returns effects and mutations", async () => {
  const spec = greeter().functionSpec("com.example/greeter")!;
  const self = Address.fromParts("com.example", "greeter", "Ada");
  const state = new Map<string, TypedValue>();
  const argument = toTypedValue("Ada", STRING_TYPE);
  const seen: number[] = [];
  for (let call = 1; call <= 3; call++) {
    const result = await invokeFunction(spec, { self, caller: null, argument, state });
    apply(state, result.mutations);
    seen.push(INT_TYPE.deserialize(Buffer.from(state.get("seen")!.value)));
    equal(result.sent.length, 1);
    equal(result.sent[0].targetAddress.toString(), "com.example/counter/Ada");
    equal(result.sent[0].asInt(), call);
    equal(result.egress[0].typename, "com.example/out");
    deepEqual(
      result.delayed.map((d) =>
        d.kind === "delay" ? [d.kind, d.delayMs, d.cancellationToken] : [d.kind, d.cancellationToken]
      ),
      [
        ["delay", 1_000, "remind-Ada"],
        ...(call > 1 ? [["cancel", "remind-Ada"]] : []),
      ],
    );
    if (call === 3) deepEqual(result.mutations.find((m) => m.name === "visit"), { name: "visit", kind: "delete" });
  }
  deepEqual(seen, [1, 2, 3]);
  equal(state.has("visit"), false, "assigning null deleted it");
});

Deno.test("the context gives self, caller, and refuses what the official SDK refuses", async () => {
  const statefun = new StateFun();
  const observed: unknown[] = [];
  statefun.bind({
    typename: "a/b",
    specs: [{ name: "only", type: StateFun.stringType() }],
    fn(context) {
      observed.push(context.self.id, context.caller?.toString(), context.storage.only);
      throws(() => (context.storage as Record<string, unknown>).undeclared = 1, TypeError);
      throws(
        () => context.sendAfter(1.5, messageBuilder({ typename: "a/b", id: "x", value: "v" })),
        /non-negative integer/,
      );
      throws(
        () => context.sendAfter(-1, messageBuilder({ typename: "a/b", id: "x", value: "v" })),
        /non-negative integer/,
      );
      throws(() => context.cancelDelayedMessage(""), /Cancellation token/);
      throws(() => context.send({} as never), /Unknown message type/);
    },
  });
  await invokeFunction(statefun.functionSpec("a/b")!, {
    self: Address.fromParts("a", "b", ""),
    caller: Address.fromParts("c", "d", "e"),
    argument: toTypedValue("x", STRING_TYPE),
    state: new Map(),
  });
  deepEqual(observed, ["", "c/d/e", null]);
});

Deno.test("a throwing function's error propagates and nothing is kept", async () => {
  const statefun = new StateFun();
  statefun.bind({ typename: "a/b", fn: () => Promise.reject(new Error("boom")) });
  await rejects(
    async () =>
      await invokeFunction(statefun.functionSpec("a/b")!, {
        self: Address.fromParts("a", "b", "x"),
        caller: null,
        argument: toTypedValue("x", STRING_TYPE),
        state: new Map(),
      }),
    /boom/,
  );
});

Deno.test("bind() checks the binding as the official SDK does", () => {
  const statefun = new StateFun();
  const fn = () => {};
  throws(() => statefun.bind({ typename: "nope", fn }), /illegal typename/);
  throws(() => statefun.bind({ typename: "a/b", fn: undefined! }), /missing function/);
  throws(
    () => statefun.bind({ typename: "a/b", fn, specs: [{ name: "Seen", type: INT_TYPE }] }),
    /invalid state name "Seen"/,
  );
  throws(() => statefun.bind({ typename: "a/b", fn, specs: [{ name: "s", type: undefined! }] }), /missing type/);
  throws(
    () => statefun.bind({ typename: "a/b", fn, specs: [{ name: "s", type: INT_TYPE }, { name: "s", type: INT_TYPE }] }),
    /state "s" of a\/b is already defined/,
  );
  throws(
    () => statefun.bind({ typename: "a/b", fn, specs: [{ name: "s", type: INT_TYPE, expireAfterCall: 1.5 }] }),
    /not an integer/,
  );
  statefun.bind({ typename: "a/b", fn, specs: [{ name: "s", type: INT_TYPE, expireAfterCall: 1000 }] });
  deepEqual(statefun.typenames, ["a/b"]);
  equal(statefun.functionSpec("a/b")!.valueSpecs[0].expireAfterCall, 1000);
  equal(statefun.functionSpec("a/b")!.valueSpecs[0].expireAfterWrite, -1);
  equal(StateFun.longType().typename, "io.statefun.types/long");
  equal(StateFun.doubleType().typename, "io.statefun.types/double");
});

/**
 * A remote function's answers checked against what it registered: a mutation of a state it never declared, or of a
 * declared state with another type, fails the call for good naming the state (StateFun: "Accessing a non-existing
 * function state"); a declared state is registered from IncompleteInvocationContext and the call made again.
 */

import { equal, match, rejects } from "node:assert/strict";
import { ProtoWriter } from "../protobuf/wire.ts";
import { FinalFailure, StatesRegistered } from "../runtime/task/callable.ts";
import { Address } from "../sdk/address.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { INT_TYPE, STRING_TYPE } from "../sdk/types.ts";
import { encodeTypedValue } from "../sdk/typed_value.ts";
import { RemoteFunction } from "./remote_function.ts";

const invocation = {
  self: Address.fromParts("t", "fn", "id"),
  caller: null,
  argument: toTypedValue("hi", STRING_TYPE),
  state: new Map(),
};

/** FromFunction { invocation_result = 100 { state_mutations = 1 { MODIFY, name, value } } }. */
function modifying(name: string, value: ReturnType<typeof toTypedValue>): Uint8Array {
  const mutation = new ProtoWriter().varint(1, 1).string(2, name).bytes(3, encodeTypedValue(value), true).finish();
  return new ProtoWriter().bytes(100, new ProtoWriter().bytes(1, mutation, true).finish(), true).finish();
}

/** FromFunction { incomplete_invocation_context = 101 { missing_values = 1 { name, type_typename = 3 } } }. */
function declaring(name: string, typename: string): Uint8Array {
  const spec = new ProtoWriter().string(1, name).string(3, typename).finish();
  return new ProtoWriter().bytes(101, new ProtoWriter().bytes(1, spec, true).finish(), true).finish();
}

function remote(answer: () => Uint8Array): RemoteFunction {
  return new RemoteFunction("t/fn", "http://fn.example/fn", {
    callTimeoutMs: 1_000,
    maxResponseBytes: 1 << 20,
    transport: () => Promise.resolve(answer()),
  });
}

Deno.test("remote function: a mutation of a state it never declared fails for good, naming it", async () => {
  await rejects(() => remote(() => modifying("ghost", toTypedValue(1, INT_TYPE))).call(invocation), (error: Error) => {
    equal(error instanceof FinalFailure, true);
    match(error.message, /Accessing a non-existing function state: ghost/);
    return true;
  });
});

Deno.test("remote function: declared states are registered; a MODIFY of another type fails naming both", async () => {
  let answer = declaring("count", INT_TYPE.typename);
  const fn = remote(() => answer);
  await rejects(() => fn.call(invocation), (error: Error) => error instanceof StatesRegistered);
  equal(fn.valueSpecs.map((spec) => `${spec.name}:${spec.type.typename}`).join(), "count:io.statefun.types/int");
  answer = modifying("count", toTypedValue("x", STRING_TYPE));
  await rejects(
    () => fn.call(invocation),
    /wrote state "count" as io\.statefun\.types\/string, registered as io\.statefun\.types\/int/,
  );
  answer = modifying("count", toTypedValue(3, INT_TYPE));
  equal((await fn.call(invocation)).mutations.length, 1);
});

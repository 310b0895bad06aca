/**
 * Writes and reads the broker's ACLs deny (issue #26), on the test broker's SASL listener as User:eddy-limited, who has
 * only the ACLs granted here: the app stops (exit code 1) with an error naming the principal, the operation and the
 * topic, group or transactional id; once the ACL is granted, a restart loses and repeats nothing.
 *
 * Needs the broker's authorizer (scripts/kafka/broker.sh starts KRaft's StandardAuthorizer); skipped, saying so,
 * against a broker without one.
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { serve } from "../../src/serve/serve.ts";
import type { RunningApp } from "../../src/serve/serve.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";
import { addAcls, hasAuthorizer, LIMITED_USER, removeAcls, type TestAcl } from "../kafka/acls.ts";
import { brokers, createTopic, produce, readBack, saslAddress, uniqueName } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import { cleanUp, moduleYaml, readAll, stopApp, testLogger, valuesByKey } from "./harness.ts";

const authorizer = await hasAuthorizer();
if (!authorizer) {
  console.warn("acl_test: skipped, the broker has no authorizer (start it with scripts/kafka/broker.sh)");
}

const PRINCIPAL = `User:${LIMITED_USER.username}`;

/** Starts the app as User:eddy-limited on the SASL listener. */
function startLimited(group: string, input: string, output: string): Promise<RunningApp> {
  const yaml = moduleYaml({
    group,
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
    properties: {
      "security.protocol": "SASL_PLAINTEXT",
      "sasl.mechanism": "SCRAM-SHA-256",
      "sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required ` +
        `username="${LIMITED_USER.username}" password="${LIMITED_USER.password}";`,
    },
  }).replaceAll(brokers.join(","), saslAddress);
  return serve({
    module: parseModuleSpec(yaml, "limited.yaml"),
    functions: counterFunctions(output),
    handleSignals: false,
    controlAddr: "none",
    logger: testLogger(),
    sessionTimeoutMs: 6_000,
  });
}

/** Waits (30 s at most) for the app to stop by itself: the error and the exit code. */
async function stoppedWith(app: RunningApp): Promise<{ message: string; code: number }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const error = await Promise.race([
    app.runtime.failed,
    new Promise<Error>((resolve) =>
      timer = setTimeout(() => resolve(new Error("the app did not stop in 30 s")), 30_000)
    ),
  ]);
  clearTimeout(timer);
  if (error.message === "the app did not stop in 30 s") await app.stop();
  return { message: error.message, code: await app.finished };
}

/**
 * Everything the app needs, on its names, then `denied` on top (a DENY wins over an ALLOW); the app stops with an
 * error that `expect` checks; the DENY is removed and a restart must process both rounds exactly once.
 */
async function deniedThenGranted(
  denied: (names: { group: string; input: string; output: string }) => TestAcl,
  expect: (message: string, names: { group: string; input: string; output: string }) => void,
): Promise<void> {
  const input = await createTopic("in", { partitions: 2 });
  const output = await createTopic("out", { partitions: 2 });
  const group = uniqueName("app");
  const names = { group, input, output };
  const grants: TestAcl[] = [
    { resource: "topic", name: group, prefixed: true, operation: "ALL" }, // the internal topics
    { resource: "topic", name: input, operation: "ALL" },
    { resource: "topic", name: output, operation: "ALL" },
    { resource: "group", name: group, prefixed: true, operation: "ALL" },
    { resource: "transactional-id", name: group, prefixed: true, operation: "ALL" },
  ];
  const deny = denied(names);
  await addAcls(PRINCIPAL, ...grants, deny);
  try {
    await produce(input, [{ key: "a", value: "1" }, { key: "b", value: "1" }]);
    const stopped = await stoppedWith(await startLimited(group, input, output));
    expect(stopped.message, names);
    equal(stopped.code, 1);

    await removeAcls(PRINCIPAL, deny);
    const app = await startLimited(group, input, output);
    try {
      await readBack(output, 2, 30_000);
      await produce(input, [{ key: "a", value: "2" }, { key: "b", value: "2" }]);
      await readBack(output, 4, 30_000);
    } finally {
      await stopApp(app);
    }
    deepEqual(valuesByKey(await readAll(output)), new Map([["a", ["1:1", "2:2"]], ["b", ["1:1", "2:2"]]]));
  } finally {
    await removeAcls(PRINCIPAL, ...grants, deny);
    await cleanUp(group, input, output);
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

Deno.test({
  name: "a write the ACLs deny (the egress topic) stops the app naming the principal, the operation and the topic; " +
    "once it is granted, a restart loses and repeats nothing",
  ignore: !authorizer,
  fn: () =>
    deniedThenGranted(
      ({ output }) => ({ resource: "topic", name: output, operation: "WRITE", deny: true }),
      (message, { output }) => {
        match(
          message,
          new RegExp(`the broker's ACLs do not allow User:eddy-limited to Write topic ${escape(output)} \\(TOPIC_AUTH`),
        );
      },
    ),
});

Deno.test({
  name: "a read the ACLs deny (the app's consumer group) stops the app naming the principal, the operation and the " +
    "group; once it is granted, a restart loses and repeats nothing",
  ignore: !authorizer,
  fn: () =>
    deniedThenGranted(
      ({ group }) => ({ resource: "group", name: group, operation: "READ", deny: true }),
      (message, { group }) => {
        match(message, new RegExp(`do not allow User:eddy-limited to Read the group ${escape(group)} `));
        match(message, /GROUP_AUTHORIZATION_FAILED/);
      },
    ),
});

Deno.test({
  name: "a transactional id the ACLs deny stops the app naming the principal and the transactional id; once it is " +
    "granted, a restart loses and repeats nothing",
  ignore: !authorizer,
  fn: () =>
    deniedThenGranted(
      ({ group }) => ({ resource: "transactional-id", name: group, prefixed: true, operation: "WRITE", deny: true }),
      (message, { group }) => {
        match(
          message,
          new RegExp(`do not allow User:eddy-limited to Write transactional id ${escape(group)}-task-\\d`),
        );
        match(message, /TRANSACTIONAL_ID_AUTHORIZATION_FAILED/);
      },
    ),
});

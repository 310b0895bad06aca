/** Kafka client properties from the module spec reach the client; what is not applied is logged with file:line. */

import { equal, match, rejects } from "node:assert/strict";
import { Logger } from "../../src/runtime/logger.ts";
import { serve } from "../../src/serve/serve.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName, waitFor, withAdmin } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import { cleanUp, moduleYaml, type TestModule } from "./harness.ts";

kafkaTest("ingress properties reach the Kafka client; unsupported ones are warnings naming file and line", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const group = uniqueName("app");
  const module: TestModule = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
    properties: { "client.id": "props-client", "fetch.max.wait.ms": "100", "linger.ms": "5" },
  };
  const lines: string[] = [];
  const app = await serve({
    module: parseModuleSpec(moduleYaml(module), "props.yaml"),
    functions: counterFunctions(output),
    handleSignals: false,
    controlAddr: "none",
    logger: new Logger({ level: "warn", write: (line) => lines.push(line) }),
  });
  try {
    await produce(input, [{ key: "k", value: "x" }]);
    await readBack(output, 1);
    await waitFor(
      "the group's description",
      async () => (await withAdmin((admin) => admin.describeGroups([group]))).groups[0].members.length === 1,
    );
    const { groups } = await withAdmin((admin) => admin.describeGroups([group]));
    equal(groups[0].members[0].clientId, "props-client");
  } finally {
    await app.stop();
  }
  match(lines.join("\n"), /props\.yaml:1:\d+: ingress test\.eddy\/in: property linger\.ms: kafkajs does not batch/);
  await cleanUp(group, input, output);
});

kafkaTest("ingresses whose consumer properties differ are refused (they share one consumer)", async () => {
  const a = moduleYaml({
    group: "g",
    topics: [{ topic: "a", targets: ["test.eddy/counter"] }],
    properties: { "session.timeout.ms": "10000" },
  });
  const b = moduleYaml({
    group: "g",
    topics: [{ topic: "b", targets: ["test.eddy/counter"] }],
    properties: { "session.timeout.ms": "20000" },
  })
    .replace("id: test.eddy/in", "id: test.eddy/other");
  await rejects(
    serve({
      module: parseModuleSpec(`${a}---\n${b}`, "two.yaml"),
      functions: counterFunctions("unused"),
      handleSignals: false,
      controlAddr: "none",
    }),
    /two\.yaml:\d+:\d+: error: the ingresses share one consumer, but their properties differ: sessionTimeoutMs: 10000 in ingress test\.eddy\/in but 20000 in ingress test\.eddy\/other/,
  );
  const jks = moduleYaml({
    group: "g",
    topics: [{ topic: "a", targets: ["test.eddy/counter"] }],
    properties: { "security.protocol": "SSL", "ssl.truststore.location": "/x.jks", "ssl.truststore.type": "JKS" },
  });
  await rejects(
    serve({ module: parseModuleSpec(jks, "jks.yaml"), functions: counterFunctions("unused"), handleSignals: false }),
    /jks\.yaml:1:\d+: error: ingress test\.eddy\/in: properties: ssl\.truststore\.type=JKS: kafkajs reads PEM only/,
  );
});

kafkaTest("internal topics are created with the configured replication factor and configs", async () => {
  const input = await createTopic("in");
  const group = uniqueName("app");
  const app = await serve({
    module: parseModuleSpec(
      moduleYaml({ group, topics: [{ topic: input, targets: ["test.eddy/counter"] }] }),
      "m.yaml",
    ),
    functions: counterFunctions("unused"),
    handleSignals: false,
    controlAddr: "none",
    logger: new Logger({ level: "error" }),
    internalTopics: { replicationFactor: 1, configs: { "retention.ms": "86400000", "segment.bytes": "1048576" } },
  });
  await app.stop();
  const configs = await withAdmin((admin) =>
    admin.describeConfigs({
      includeSynonyms: false,
      resources: [`${group}-mailbox`, `${group}-changelog`].map((name) => ({
        type: 2,
        name,
        configNames: ["retention.ms", "segment.bytes", "cleanup.policy"],
      })),
    })
  );
  const values = configs.resources.map((resource) =>
    Object.fromEntries(resource.configEntries.map((entry) => [entry.configName, entry.configValue]))
  );
  equal(values[0]["retention.ms"], "86400000");
  equal(values[0]["cleanup.policy"], "delete");
  equal(values[1]["segment.bytes"], "1048576");
  equal(values[1]["cleanup.policy"], "compact");
  await cleanUp(group, input);
});

/**
 * Kafka client security from the module's properties, against the local
 * broker's secured listeners (scripts/kafka/broker.sh): SASL/SCRAM on 9094 and
 * TLS on 9095 (KAFKA_SASL_PORT, KAFKA_SSL_PORT) with the broker's test CA. Records go in and out through the
 * plaintext listener, so only Eddy's own connections are secured.
 */

import { equal, match, rejects } from "node:assert/strict";
import { serve } from "../../src/serve/serve.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";
import {
  brokers,
  createTopic,
  kafkaHome,
  kafkaTest,
  produce,
  readBack,
  saslAddress,
  sslAddress,
  uniqueName,
} from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import { cleanUp, moduleYaml, testLogger, type TestModule } from "./harness.ts";

const ca = `${kafkaHome}/tls/ca.pem`;

async function roundTrip(address: string, properties: Record<string, string>): Promise<void> {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const group = uniqueName("app");
  const module: TestModule = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
    properties,
  };
  const yaml = moduleYaml(module).replaceAll(brokers.join(","), address);
  const app = await serve({
    module: parseModuleSpec(yaml, "secured.yaml"),
    functions: counterFunctions(output),
    handleSignals: false,
    controlAddr: "none",
    logger: testLogger(),
  });
  try {
    await produce(input, [{ key: "k", value: "secured" }]);
    equal((await readBack(output, 1))[0].value, "1:secured");
  } finally {
    await app.stop();
  }
  await cleanUp(group, input, output);
}

kafkaTest("SASL/SCRAM (SHA-256 and SHA-512) from security.protocol, sasl.mechanism and sasl.jaas.config", async () => {
  for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"]) {
    await roundTrip(saslAddress, {
      "security.protocol": "SASL_PLAINTEXT",
      "sasl.mechanism": mechanism,
      "sasl.jaas.config":
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="eddy" password="eddy-secret";',
    });
  }
});

kafkaTest("a wrong SASL password fails the start with a clear error", async () => {
  const yaml = moduleYaml({
    group: uniqueName("app"),
    topics: [{ topic: "any", targets: ["test.eddy/counter"] }],
    properties: {
      "security.protocol": "SASL_PLAINTEXT",
      "sasl.mechanism": "SCRAM-SHA-256",
      "sasl.jaas.config":
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="eddy" password="wrong";',
    },
  }).replaceAll(brokers.join(","), saslAddress);
  await rejects(
    serve({
      module: parseModuleSpec(yaml, "wrong.yaml"),
      functions: counterFunctions("x"),
      handleSignals: false,
      controlAddr: "none",
    }),
    (error: Error) => {
      match(error.message, new RegExp(`cannot reach Kafka at ${saslAddress}: .*(SASL|[Aa]uthentication)`));
      return true;
    },
  );
});

kafkaTest("TLS from security.protocol=SSL with a PEM trust store (ssl.truststore.type=PEM)", async () => {
  await roundTrip(sslAddress, {
    "security.protocol": "SSL",
    "ssl.truststore.location": ca,
    "ssl.truststore.type": "PEM",
  });
});

import { deepEqual, equal } from "node:assert/strict";
import { mapKafkaProperties, mergeConsumerSettings, parseJaasCredentials } from "./client_properties.ts";

Deno.test("client, consumer and producer properties map to kafkajs settings", () => {
  const mapped = mapKafkaProperties({
    "client.id": "orders",
    "request.timeout.ms": "30000",
    "socket.connection.setup.timeout.ms": "2000",
    "retries": "8",
    "retry.backoff.ms": "150",
    "session.timeout.ms": "10000",
    "heartbeat.interval.ms": "1000",
    "max.poll.interval.ms": "60000",
    "fetch.min.bytes": "1",
    "fetch.max.bytes": "52428800",
    "max.partition.fetch.bytes": "2097152",
    "fetch.max.wait.ms": "100",
    "isolation.level": "read_uncommitted",
    "max.request.size": "2097152",
    "compression.type": "gzip",
    "group.id": "named fields are the spec loader's business",
  });
  deepEqual(mapped.client, {
    clientId: "orders",
    requestTimeoutMs: 30000,
    connectionTimeoutMs: 2000,
    retries: 8,
    retryBackoffMs: 150,
  });
  deepEqual(mapped.consumer, {
    sessionTimeoutMs: 10000,
    heartbeatIntervalMs: 1000,
    rebalanceTimeoutMs: 60000,
    minBytes: 1,
    maxBytes: 52428800,
    maxBytesPerPartition: 2097152,
    maxWaitTimeMs: 100,
    readUncommitted: true,
  });
  deepEqual(mapped.producer, { maxRequestBytes: 2097152, gzip: true });
  deepEqual([mapped.warnings, mapped.errors], [[], []]);
});

Deno.test("ignored and unsupported properties are warnings; impossible ones are errors", () => {
  const mapped = mapKafkaProperties({
    "enable.auto.commit": "true",
    "linger.ms": "5",
    "compression.type": "zstd",
    "interceptor.classes": "com.example.Spy",
    "session.timeout.ms": "soon",
    "isolation.level": "sometimes",
    "security.protocol": "SSL",
    "ssl.truststore.location": "/etc/kafka/truststore.jks",
    "ssl.truststore.type": "JKS",
  });
  deepEqual(mapped.warnings, [
    "enable.auto.commit: Eddy commits offsets itself (with the task's commit)",
    "linger.ms: kafkajs does not batch across sends; Eddy batches per commit",
    'compression.type: kafkajs writes gzip or none; "zstd" is ignored (none is used)',
    "interceptor.classes: not supported by Eddy's Kafka client (kafkajs): ignored",
  ]);
  equal(mapped.errors.length, 3);
  equal(mapped.errors[0], 'session.timeout.ms: expected an integer ≥ 1, got "soon"');
  equal(mapped.errors[1], 'isolation.level: expected read_committed or read_uncommitted, got "sometimes"');
  equal(
    mapped.errors[2].startsWith("ssl.truststore.type=JKS: kafkajs reads PEM only; convert the store (keytool"),
    true,
  );
});

Deno.test("TLS and SASL: PEM files or inline PEM, SCRAM and PLAIN credentials from the JAAS line", () => {
  const tls = mapKafkaProperties({
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.jaas.config":
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="eddy" password="p\\"w";',
    "ssl.truststore.location": "/etc/ca.pem",
    "ssl.truststore.type": "PEM",
    "ssl.keystore.location": "/etc/client.pem",
    "ssl.key.password": "secret",
    "ssl.endpoint.identification.algorithm": "",
  });
  deepEqual(tls.errors, []);
  deepEqual(tls.client.sasl, { mechanism: "scram-sha-512", username: "eddy", password: 'p"w' });
  deepEqual(tls.client.ssl, {
    files: { ca: "/etc/ca.pem", cert: "/etc/client.pem", key: "/etc/client.pem" },
    passphrase: "secret",
    verifyHostname: false,
  });
  const inline = mapKafkaProperties({ "security.protocol": "SSL", "ssl.truststore.certificates": "-----BEGIN…" });
  equal(inline.client.ssl?.ca, "-----BEGIN…");
  equal(inline.client.sasl, undefined);
  deepEqual(
    mapKafkaProperties({ "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "GSSAPI" }).errors,
    ["sasl.mechanism=GSSAPI: Eddy supports PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512"],
  );
  deepEqual(
    mapKafkaProperties({ "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN" }).errors,
    ['sasl.jaas.config: needs username="…" and password="…" for PLAIN'],
  );
  deepEqual(mapKafkaProperties({ "sasl.mechanism": "PLAIN" }).warnings, [
    "sasl.*: ignored, security.protocol is PLAINTEXT",
  ]);
  deepEqual(parseJaasCredentials('x required password = "b" username="a";'), { username: "a", password: "b" });
});

Deno.test("the ingresses' consumer settings merge; differing values are conflicts", () => {
  const merged = mergeConsumerSettings([
    { label: "ingress a", consumer: { sessionTimeoutMs: 10000 } },
    { label: "ingress b", consumer: { sessionTimeoutMs: 10000, maxWaitTimeMs: 100 } },
  ]);
  deepEqual(merged, { settings: { sessionTimeoutMs: 10000, maxWaitTimeMs: 100 }, conflicts: [] });
  deepEqual(
    mergeConsumerSettings([
      { label: "ingress a", consumer: { readUncommitted: true } },
      { label: "ingress b", consumer: { readUncommitted: false } },
    ]).conflicts,
    ["readUncommitted: true in ingress a but false in ingress b"],
  );
});

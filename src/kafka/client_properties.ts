/**
 * Kafka client `properties` of a module spec (Java client names) → kafkajs
 * settings. Every property is either mapped, handled by a named spec field,
 * ignored with a reason (Eddy does that job itself), or unsupported — and the
 * last two come back as warnings, never dropped silently. docs/kafka-properties.md
 * lists them all.
 *
 * @module
 */

/** TLS settings: PEM text or files. */
export interface TlsSettings {
  /** Trusted CA certificates (PEM), or a file holding them. */
  ca?: string;
  /** Client certificate chain (PEM), or a file. */
  cert?: string;
  /** Client private key (PEM), or a file. */
  key?: string;
  /** Files to read into the fields above. */
  files: { ca?: string; cert?: string; key?: string };
  /** The key's password. */
  passphrase?: string;
  /** false when `ssl.endpoint.identification.algorithm` is empty (no host name check). */
  verifyHostname: boolean;
}

/** SASL settings. */
export interface SaslSettings {
  /** kafkajs' mechanism name. */
  mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  /** User. */
  username: string;
  /** Password. */
  password: string;
}

/** Client-wide settings (one kafkajs client per cluster). */
export interface ClientSettings {
  clientId?: string;
  ssl?: TlsSettings;
  sasl?: SaslSettings;
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  retries?: number;
  retryBackoffMs?: number;
}

/** Settings of the app consumer (one for all ingresses). */
export interface ConsumerSettings {
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  minBytes?: number;
  maxBytes?: number;
  maxBytesPerPartition?: number;
  maxWaitTimeMs?: number;
  readUncommitted?: boolean;
}

/** Settings of egress producers. */
export interface ProducerSettings {
  maxRequestBytes?: number;
  gzip?: boolean;
}

/** What a properties map becomes. */
export interface MappedProperties {
  client: ClientSettings;
  consumer: ConsumerSettings;
  producer: ProducerSettings;
  /** `property: why it is not applied`. */
  warnings: string[];
  /** Properties that cannot work (e.g. a JKS store): Eddy refuses to start. */
  errors: string[];
}

/** Properties the named spec fields carry (the spec loader already reports conflicts). */
const NAMED = new Set(["bootstrap.servers", "group.id", "auto.offset.reset", "transaction.timeout.ms"]);

/** Properties Eddy sets itself, with the reason. */
const IGNORED: Record<string, string> = {
  "enable.auto.commit": "Eddy commits offsets itself (with the task's commit)",
  "auto.commit.interval.ms": "Eddy commits offsets itself (with the task's commit)",
  "key.deserializer": "Eddy reads keys as bytes (the address id)",
  "value.deserializer": "Eddy reads values as bytes (the message value)",
  "key.serializer": "Eddy writes keys and values as bytes",
  "value.serializer": "Eddy writes keys and values as bytes",
  "acks": "Eddy always writes with acks=all",
  "enable.idempotence": "Eddy's producers are always idempotent",
  "linger.ms": "kafkajs does not batch across sends; Eddy batches per commit",
  "batch.size": "kafkajs does not batch across sends; Eddy batches per commit",
  "partition.assignment.strategy": "Eddy assigns whole tasks with its own assignor",
  "max.poll.records": "Eddy hands off whole fetched batches",
  "transactional.id": "Eddy names transactional ids <app>-task-<p>",
  "max.in.flight.requests.per.connection": "Eddy's producers keep one request in flight (ordering)",
};

const SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/**
 * Maps the properties of one ingress or egress.
 *
 * @example
 * ```ts
 * const mapped = mapKafkaProperties({ "client.id": "orders", "session.timeout.ms": "10000", "linger.ms": "5" });
 * mapped.client.clientId; // "orders"
 * mapped.consumer.sessionTimeoutMs; // 10000
 * mapped.warnings; // ["linger.ms: kafkajs does not batch across sends; Eddy batches per commit"]
 * ```
 */
export function mapKafkaProperties(properties: Readonly<Record<string, string>>): MappedProperties {
  const mapped: MappedProperties = { client: {}, consumer: {}, producer: {}, warnings: [], errors: [] };
  const int = (name: string, min = 0): number | undefined => {
    const value = Number(properties[name]);
    if (!Number.isInteger(value) || value < min) {
      mapped.errors.push(`${name}: expected an integer ≥ ${min}, got "${properties[name]}"`);
      return undefined;
    }
    return value;
  };
  const protocol = (properties["security.protocol"] ?? "PLAINTEXT").toUpperCase();
  if (!SECURITY_PROTOCOLS.includes(protocol)) {
    mapped.errors.push(`security.protocol: expected one of ${SECURITY_PROTOCOLS.join(", ")}, got "${protocol}"`);
  }
  const tls = protocol === "SSL" || protocol === "SASL_SSL";
  const sasl = protocol.startsWith("SASL_");
  if (tls) mapped.client.ssl = { files: {}, verifyHostname: true };

  for (const [name, value] of Object.entries(properties)) {
    if (NAMED.has(name) || name === "security.protocol") continue;
    if (name in IGNORED) {
      mapped.warnings.push(`${name}: ${IGNORED[name]}`);
      continue;
    }
    switch (name) {
      case "client.id":
        mapped.client.clientId = value;
        break;
      case "request.timeout.ms":
        mapped.client.requestTimeoutMs = int(name, 1);
        break;
      case "socket.connection.setup.timeout.ms":
        mapped.client.connectionTimeoutMs = int(name, 1);
        break;
      case "retries":
        mapped.client.retries = int(name);
        break;
      case "retry.backoff.ms":
        mapped.client.retryBackoffMs = int(name, 1);
        break;
      case "session.timeout.ms":
        mapped.consumer.sessionTimeoutMs = int(name, 1);
        break;
      case "heartbeat.interval.ms":
        mapped.consumer.heartbeatIntervalMs = int(name, 1);
        break;
      case "max.poll.interval.ms":
        mapped.consumer.rebalanceTimeoutMs = int(name, 1);
        break;
      case "fetch.min.bytes":
        mapped.consumer.minBytes = int(name, 1);
        break;
      case "fetch.max.bytes":
        mapped.consumer.maxBytes = int(name, 1);
        break;
      case "max.partition.fetch.bytes":
        mapped.consumer.maxBytesPerPartition = int(name, 1);
        break;
      case "fetch.max.wait.ms":
        mapped.consumer.maxWaitTimeMs = int(name);
        break;
      case "isolation.level":
        if (value === "read_committed" || value === "read_uncommitted") {
          mapped.consumer.readUncommitted = value === "read_uncommitted";
        } else mapped.errors.push(`isolation.level: expected read_committed or read_uncommitted, got "${value}"`);
        break;
      case "max.request.size":
        mapped.producer.maxRequestBytes = int(name, 1024);
        break;
      case "compression.type":
        if (value === "gzip") mapped.producer.gzip = true;
        else if (value !== "none") {
          mapped.warnings.push(`compression.type: kafkajs writes gzip or none; "${value}" is ignored (none is used)`);
        }
        break;
      case "sasl.mechanism":
      case "sasl.jaas.config":
        break; // below, together
      case "ssl.truststore.location":
      case "ssl.keystore.location":
        if (!tls) mapped.warnings.push(`${name}: ignored, security.protocol is ${protocol}`);
        break; // below, with their types
      case "ssl.truststore.type":
      case "ssl.keystore.type":
        if (value.toUpperCase() !== "PEM") {
          mapped.errors.push(
            `${name}=${value}: kafkajs reads PEM only; convert the store (keytool -importkeystore -srckeystore ` +
              `store.jks -destkeystore store.p12 -deststoretype PKCS12, then openssl pkcs12 -in store.p12 -out ` +
              `store.pem -nodes) and set ${name}=PEM`,
          );
        }
        break;
      case "ssl.truststore.certificates":
        if (mapped.client.ssl) mapped.client.ssl.ca = value;
        break;
      case "ssl.keystore.certificate.chain":
        if (mapped.client.ssl) mapped.client.ssl.cert = value;
        break;
      case "ssl.keystore.key":
        if (mapped.client.ssl) mapped.client.ssl.key = value;
        break;
      case "ssl.key.password":
      case "ssl.keystore.password":
        if (mapped.client.ssl) mapped.client.ssl.passphrase = value;
        break;
      case "ssl.truststore.password":
        break; // PEM trust stores have no password
      case "ssl.endpoint.identification.algorithm":
        if (mapped.client.ssl) mapped.client.ssl.verifyHostname = value !== "";
        break;
      default:
        mapped.warnings.push(`${name}: not supported by Eddy's Kafka client (kafkajs): ignored`);
    }
  }
  if (tls) {
    const ssl = mapped.client.ssl!;
    const pem = (type: string | undefined) => (type ?? "PEM").toUpperCase() === "PEM";
    if (properties["ssl.truststore.location"] && pem(properties["ssl.truststore.type"])) {
      ssl.files.ca = properties["ssl.truststore.location"];
    }
    if (properties["ssl.keystore.location"] && pem(properties["ssl.keystore.type"])) {
      // A PEM key store holds the certificate chain and the key in one file.
      ssl.files.cert = properties["ssl.keystore.location"];
      ssl.files.key = properties["ssl.keystore.location"];
    }
  }
  if (sasl) {
    const mechanism = (properties["sasl.mechanism"] ?? "GSSAPI").toUpperCase();
    const kafkajsMechanism =
      ({ PLAIN: "plain", "SCRAM-SHA-256": "scram-sha-256", "SCRAM-SHA-512": "scram-sha-512" } as const)[
        mechanism as "PLAIN"
      ];
    const credentials = parseJaasCredentials(properties["sasl.jaas.config"] ?? "");
    if (kafkajsMechanism === undefined) {
      mapped.errors.push(`sasl.mechanism=${mechanism}: Eddy supports PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512`);
    } else if (credentials === undefined) {
      mapped.errors.push(`sasl.jaas.config: needs username="…" and password="…" for ${mechanism}`);
    } else mapped.client.sasl = { mechanism: kafkajsMechanism, ...credentials };
  } else if (properties["sasl.mechanism"] || properties["sasl.jaas.config"]) {
    mapped.warnings.push(`sasl.*: ignored, security.protocol is ${protocol}`);
  }
  return mapped;
}

/** username and password of a JAAS config line (`… required username="u" password="p";`). */
export function parseJaasCredentials(jaas: string): { username: string; password: string } | undefined {
  const field = (name: string) =>
    new RegExp(`${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(jaas)?.[1]?.replace(/\\(.)/g, "$1");
  const username = field("username");
  const password = field("password");
  return username === undefined || password === undefined ? undefined : { username, password };
}

/** The settings the ingresses' properties give the app's one consumer; differing values are errors. */
export function mergeConsumerSettings(
  sources: { label: string; consumer: ConsumerSettings }[],
): { settings: ConsumerSettings; conflicts: string[] } {
  const settings: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  const conflicts: string[] = [];
  for (const { label, consumer } of sources) {
    for (const [key, value] of Object.entries(consumer)) {
      if (value === undefined) continue;
      if (key in settings && settings[key] !== value) {
        conflicts.push(`${key}: ${String(settings[key])} in ${origin[key]} but ${String(value)} in ${label}`);
        continue;
      }
      settings[key] = value;
      origin[key] = label;
    }
  }
  return { settings: settings as ConsumerSettings, conflicts };
}

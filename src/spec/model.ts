/**
 * The normalized module model: what the rest of Eddy uses, whichever of
 * StateFun's two file formats it came from. Durations are milliseconds, type
 * names are `<namespace>/<name>` strings, defaults are filled in.
 *
 * @module
 */

import type { SourceLocation, SpecIssue } from "./issues.ts";

/** The component kinds Eddy runs. */
export const SUPPORTED_KINDS = [
  "io.statefun.endpoints.v1/http",
  "io.statefun.endpoints.v2/http",
  "io.statefun.kafka.v1/ingress",
  "io.statefun.kafka.v1/egress",
] as const;

/** A component kind Eddy runs. */
export type SupportedKind = typeof SUPPORTED_KINDS[number];

/** A loaded module: every endpoint, ingress and egress of one module.yaml. */
export interface ModuleSpec {
  /** The file it was loaded from. */
  file: string;
  /** `legacy-3.0` for the single-document `version: "3.0"` format, `components` for the `kind:`/`spec:` documents. */
  format: "legacy-3.0" | "components";
  /** HTTP endpoints serving remote functions, in file order. */
  endpoints: HttpEndpointSpec[];
  /** Kafka ingresses, in file order. */
  ingresses: KafkaIngressSpec[];
  /** Kafka egresses, in file order. */
  egresses: KafkaEgressSpec[];
  /** Warnings found while loading (unknown fields and the like). */
  warnings: SpecIssue[];
}

/** Which functions an endpoint serves: one type, or every type of a namespace (`ns/*`). */
export interface FunctionTarget {
  /** The namespace, e.g. `com.example`. */
  namespace: string;
  /** A function name, or `*` for every function of the namespace. */
  name: string;
}

/** `io.statefun.endpoints.v1/http` or `io.statefun.endpoints.v2/http`. */
export interface HttpEndpointSpec {
  /** The component kind as written (legacy `http` is v1). */
  kind: "io.statefun.endpoints.v1/http" | "io.statefun.endpoints.v2/http";
  /** The functions this endpoint serves. */
  functions: FunctionTarget;
  /** The URL, where `{function.name}` is replaced by the function type's name. */
  urlPathTemplate: string;
  /** Per-address backlog that blocks the address; 0 or less disables the limit. Default 1000. */
  maxNumBatchRequests: number;
  /** How requests are sent. */
  transport: HttpTransportSpec;
  /** Where the component starts in the file. */
  at: SourceLocation;
}

/** The transport of an HTTP endpoint. */
export type HttpTransportSpec = OkHttpTransportSpec | AsyncTransportSpec;

/** `io.statefun.transports.v1/okhttp`: the only transport of v1 endpoints. */
export interface OkHttpTransportSpec {
  /** The transport type. */
  type: "io.statefun.transports.v1/okhttp";
  /** Whole call (all retries), connect, read and write timeouts in ms. Defaults 60 s, 10 s, 10 s, 10 s. */
  timeouts: {
    callMs: number;
    connectMs: number;
    readMs: number;
    writeMs: number;
  };
}

/** `io.statefun.transports.v1/async`: the default transport of v2 endpoints. */
export interface AsyncTransportSpec {
  /** The transport type. */
  type: "io.statefun.transports.v1/async";
  /** Whole call (all retries) and connect timeouts in ms. */
  timeouts: { callMs: number; connectMs: number };
  /** How long an idle pooled connection lives, ms. Default 15 s. */
  poolTtlMs: number;
  /** Connections per endpoint. Default 1024. */
  poolSize: number;
  /** Largest response body. Default 32 MiB. */
  payloadMaxBytes: number;
  /** TLS files (paths or `classpath:` names as written). */
  tls: {
    trustCaCerts?: string;
    clientCert?: string;
    clientKey?: string;
    clientKeyPassword?: string;
  };
}

/** Where a Kafka ingress starts reading on the app's first start. */
export type StartupPosition =
  | { type: "group-offsets" }
  | { type: "earliest" }
  | { type: "latest" }
  | { type: "specific-offsets"; offsets: TopicPartitionOffset[] }
  | { type: "date"; date: string; epochMillis: number };

/** An offset for one partition of a topic. */
export interface TopicPartitionOffset {
  /** The topic. */
  topic: string;
  /** The partition number. */
  partition: number;
  /** The offset of the first record to read. */
  offset: number;
}

/** One topic of an ingress and where its records go. */
export interface IngressTopicSpec {
  /** The Kafka topic. */
  topic: string;
  /** The typename the record value is given as (`TypedValue.typename`). */
  valueType: string;
  /** The function types every record is sent to (fan-out), id = record key. */
  targets: string[];
}

/** `io.statefun.kafka.v1/ingress`. */
export interface KafkaIngressSpec {
  /** The component kind. */
  kind: "io.statefun.kafka.v1/ingress";
  /** The ingress id, `<namespace>/<name>`. */
  id: string;
  /** Bootstrap servers: `address`, else the `bootstrap.servers` property. */
  address: string;
  /** Consumer group: `consumerGroupId`, else the `group.id` property. */
  consumerGroupId: string;
  /** Topics with their routing, in file order. */
  topics: IngressTopicSpec[];
  /** Where to start on the app's first start. Default `latest` (StateFun's code; its docs say group-offsets). */
  startupPosition: StartupPosition;
  /** Where to start a partition that has no offset (or is out of range). Default `latest`. */
  autoOffsetResetPosition: "earliest" | "latest";
  /** Kafka client properties as written; the named fields above win over the same keys here. */
  properties: Record<string, string>;
  /**
   * Eddy's own field (StateFun ignores unknown fields): the headers copied from each record of this ingress onto every
   * egress record its processing writes, through messages between functions and delays. Default none.
   */
  carryHeaders: string[];
  /** Where the component starts in the file. */
  at: SourceLocation;
}

/** How an egress writes. */
export type DeliverySemantic =
  | { type: "at-least-once" }
  | { type: "none" }
  | { type: "exactly-once"; transactionTimeoutMs: number };

/** `io.statefun.kafka.v1/egress`. */
export interface KafkaEgressSpec {
  /** The component kind. */
  kind: "io.statefun.kafka.v1/egress";
  /** The egress id, `<namespace>/<name>`. */
  id: string;
  /** Bootstrap servers. */
  address: string;
  /** Delivery. Default `at-least-once`. */
  deliverySemantic: DeliverySemantic;
  /** Kafka client properties as written; `address` wins over `bootstrap.servers` here. */
  properties: Record<string, string>;
  /** Where the component starts in the file. */
  at: SourceLocation;
}

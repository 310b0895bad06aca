/**
 * From a module spec to the app Eddy runs: the app id, the one cluster, the
 * routes of every ingress topic, the egresses and the internal topics, with
 * everything the core model forbids (ARCHITECTURE.md) refused before anything starts.
 *
 * @module
 */

import { formatIssue, type SourceLocation } from "../spec/issues.ts";
import type { KafkaEgressSpec, KafkaIngressSpec, ModuleSpec } from "../spec/model.ts";

/** Where the records of one ingress topic go. */
export interface IngressRoute {
  /** The topic. */
  topic: string;
  /** The ingress reading it. */
  ingress: KafkaIngressSpec;
  /** The ingress's consumer group: where this topic's offsets are committed. */
  groupId: string;
  /** The typename values are given. */
  valueType: string;
  /** Function types each record goes to. */
  targets: string[];
}

/** The app: what one deployment of a module runs. */
export interface AppPlan {
  /** Names the consumer group, the internal topics and the transactional ids. */
  appId: string;
  /** Bootstrap servers of the app's cluster (the ingresses' `address`). */
  brokers: string[];
  /** `<app>-mailbox`. */
  mailboxTopic: string;
  /** `<app>-changelog`. */
  changelogTopic: string;
  /** Routes by ingress topic. */
  routes: Map<string, IngressRoute>;
  /** Egresses by id. */
  egresses: Map<string, KafkaEgressSpec>;
}

/** The module cannot run as an app; the message says why and where. */
export class AppPlanError extends Error {
  /**
   * Creates it.
   *
   * @param message What is wrong.
   * @param at Where in the module spec, if one place.
   */
  constructor(message: string, readonly at?: SourceLocation) {
    super(at === undefined ? message : formatIssue({ severity: "error", at, path: "", message }));
    this.name = "AppPlanError";
  }
}

/** Topic names Kafka accepts: letters, digits, `.`, `_`, `-`; the longest suffix is `-changelog`. */
const APP_ID = /^[A-Za-z0-9._-]{1,239}$/;

/** Splits and normalizes a bootstrap servers list, so equal clusters compare equal. */
export function brokerList(address: string): string[] {
  return [...new Set(address.split(",").map((broker) => broker.trim()).filter((broker) => broker !== ""))].sort();
}

/**
 * Plans the app of a module.
 *
 * @param module The loaded module spec.
 * @param appId `--app-id`, required when the ingresses do not share one consumerGroupId.
 * @throws {AppPlanError} when the module cannot run as one app.
 */
export function planApp(module: ModuleSpec, appId?: string): AppPlan {
  const [first] = module.ingresses;
  if (first === undefined) {
    throw new AppPlanError(`${module.file} has no Kafka ingress (io.statefun.kafka.v1/ingress): nothing to run`);
  }
  const brokers = brokerList(first.address);
  for (const ingress of module.ingresses) {
    if (brokerList(ingress.address).join(",") !== brokers.join(",")) {
      throw new AppPlanError(
        `ingress ${ingress.id} reads from ${ingress.address}, but ingress ${first.id} (${where(first.at)}) from ` +
          `${first.address}: all ingresses and Eddy's internal topics must be on one Kafka cluster`,
        ingress.at,
      );
    }
  }
  const id = appId ?? sharedGroup(module.ingresses);
  if (!APP_ID.test(id)) {
    throw new AppPlanError(
      `app id "${id}" cannot name Kafka topics: use 1-239 letters, digits, '.', '_' or '-'`,
      appId === undefined ? first.at : undefined,
    );
  }
  const routes = new Map<string, IngressRoute>();
  for (const ingress of module.ingresses) {
    for (const { topic, valueType, targets } of ingress.topics) {
      const other = routes.get(topic);
      if (other !== undefined) {
        throw new AppPlanError(
          `topic ${topic} is read twice (also by ingress ${other.ingress.id} at ${where(other.ingress.at)}): ` +
            `list it once, with all its targets`,
          ingress.at,
        );
      }
      routes.set(topic, { topic, ingress, groupId: ingress.consumerGroupId, valueType, targets });
    }
  }
  const mailboxTopic = `${id}-mailbox`;
  const changelogTopic = `${id}-changelog`;
  for (const topic of [mailboxTopic, changelogTopic]) {
    const route = routes.get(topic);
    if (route !== undefined) {
      throw new AppPlanError(`ingress ${route.ingress.id} reads ${topic}, Eddy's internal topic`, route.ingress.at);
    }
  }
  const egresses = new Map<string, KafkaEgressSpec>();
  for (const egress of module.egresses) {
    if (
      egress.deliverySemantic.type === "exactly-once" && brokerList(egress.address).join(",") !== brokers.join(",")
    ) {
      throw new AppPlanError(
        `exactly-once egress ${egress.id} writes to ${egress.address}, but the app's cluster is ${first.address}: ` +
          `a Kafka transaction cannot span clusters (use at-least-once for another cluster)`,
        egress.at,
      );
    }
    egresses.set(egress.id, egress);
  }
  return { appId: id, brokers, mailboxTopic, changelogTopic, routes, egresses };
}

function sharedGroup(ingresses: KafkaIngressSpec[]): string {
  const groups = new Set(ingresses.map((ingress) => ingress.consumerGroupId));
  if (groups.size === 1) return [...groups][0];
  const list = ingresses.map((ingress) => `${ingress.id} (${ingress.consumerGroupId}, ${where(ingress.at)})`);
  throw new AppPlanError(
    `the ingresses use different consumerGroupIds: ${list.join(", ")}; name the app with --app-id ` +
      `(two apps must not share an id: they would share internal topics and fence each other)`,
  );
}

function where(at: SourceLocation): string {
  return `${at.file}:${at.line}`;
}

/**
 * The Kafka client settings of an app from its module's `properties`: the
 * ingresses share one client and one consumer, so their settings must agree;
 * each egress gets its producer settings (and, on another cluster, its own
 * client). Errors refuse the start; warnings are logged with file:line.
 *
 * @module
 */

import {
  type ClientSettings,
  type ConsumerSettings,
  mapKafkaProperties,
  mergeConsumerSettings,
  type ProducerSettings,
} from "./client_properties.ts";
import type { SourceLocation } from "../spec/issues.ts";
import type { ModuleSpec } from "../spec/model.ts";
import { AppPlanError } from "../runtime/app_plan.ts";

/** An app's Kafka settings. */
export interface AppKafkaSettings {
  /** The app cluster's client (from the ingresses). */
  client: ClientSettings;
  /** The app consumer's settings. */
  consumer: ConsumerSettings;
  /** Per egress id: its client (used when it is on another cluster) and producer settings. */
  egresses: Map<string, { client: ClientSettings; producer: ProducerSettings }>;
  /** Properties not applied, with where they are. */
  warnings: string[];
}

/**
 * Maps and checks a module's properties.
 *
 * @throws {AppPlanError} for a property that cannot work, or ingresses whose client or consumer settings differ.
 */
export function appKafkaSettings(module: ModuleSpec): AppKafkaSettings {
  const warnings: string[] = [];
  const where = (at: SourceLocation) => `${at.file}:${at.line}:${at.column}`;
  const map = (properties: Record<string, string>, at: SourceLocation, component: string) => {
    const mapped = mapKafkaProperties(properties);
    if (mapped.errors.length > 0) {
      throw new AppPlanError(`${component}: properties: ${mapped.errors.join("; ")}`, at);
    }
    warnings.push(...mapped.warnings.map((warning) => `${where(at)}: ${component}: property ${warning}`));
    return mapped;
  };
  const ingresses = module.ingresses.map((ingress) => ({
    ingress,
    mapped: map(ingress.properties, ingress.at, `ingress ${ingress.id}`),
  }));
  const [first] = ingresses;
  for (const { ingress, mapped } of ingresses.slice(1)) {
    if (JSON.stringify(mapped.client) !== JSON.stringify(first.mapped.client)) {
      throw new AppPlanError(
        `ingress ${ingress.id}: its client properties (client.id, security, timeouts) differ from ingress ` +
          `${first.ingress.id}'s (${where(first.ingress.at)}): the ingresses share one Kafka client`,
        ingress.at,
      );
    }
  }
  const { settings, conflicts } = mergeConsumerSettings(
    ingresses.map(({ ingress, mapped }) => ({ label: `ingress ${ingress.id}`, consumer: mapped.consumer })),
  );
  if (conflicts.length > 0) {
    throw new AppPlanError(
      `the ingresses share one consumer, but their properties differ: ${conflicts.join("; ")}`,
      ingresses[1]?.ingress.at,
    );
  }
  const egresses = new Map(module.egresses.map((egress) => {
    const mapped = map(egress.properties, egress.at, `egress ${egress.id}`);
    return [egress.id, { client: mapped.client, producer: mapped.producer }];
  }));
  return { client: first?.mapped.client ?? {}, consumer: settings, egresses, warnings };
}

/**
 * The Kafka side of one app (runtime/ports.ts `AppKafka`): one kafkajs client for the app's cluster, its admin and
 * app consumer, a transactional producer per task, and an idempotent producer per egress (with its own client when
 * the egress is on another cluster). Client properties come from the module (app_settings.ts).
 *
 * @module
 */

import { type AppPlan, brokerList } from "../runtime/app_plan.ts";
import { RuntimeError } from "../runtime/errors.ts";
import { describeError, type Logger } from "../runtime/logger.ts";
import type { AppConsumerSetup, AppKafka, RecordWriter } from "../runtime/ports.ts";
import type { ModuleSpec } from "../spec/model.ts";
import { KafkaAdmin } from "./admin.ts";
import { AppConsumer } from "./app_consumer.ts";
import { appKafkaSettings } from "./app_settings.ts";
import { createKafka } from "./client.ts";
import type { ClientSettings } from "./client_properties.ts";
import { EgressProducer } from "./egress_producer.ts";
import type { Kafka } from "./kafkajs.ts";
import { TaskProducer } from "./task_producer.ts";

/**
 * Makes the Kafka side of an app.
 *
 * @throws {AppPlanError} for client properties that cannot work, {RuntimeError} when a client cannot be configured.
 */
export function createAppKafka(module: ModuleSpec, plan: AppPlan, log: Logger): AppKafka {
  const settings = appKafkaSettings(module);
  const kafkaLog = log.with({ component: "kafkajs" });
  const client = (brokers: string[], clientSettings: ClientSettings): Kafka => {
    try {
      return createKafka({
        brokers,
        settings: clientSettings,
        clientId: `eddy-${plan.appId}`,
        log: (level, message, namespace) => kafkaLog[level](message, { namespace }),
      });
    } catch (error) {
      throw new RuntimeError(`cannot configure the Kafka client for ${brokers.join(",")}: ${describeError(error)}`);
    }
  };
  const kafka = client(plan.brokers, settings.client);
  const admin = new KafkaAdmin(kafka);
  const internalTopics = { changelog: plan.changelogTopic, mailbox: plan.mailboxTopic };
  // Who the app is to the broker's authorizer, for errors when an ACL denies it (a TLS client certificate's name
  // and a listener's principal mapping are not known here).
  const principal = settings.client.sasl === undefined
    ? "this client's principal (User:ANONYMOUS without SASL or a TLS client certificate)"
    : `User:${settings.client.sasl.username}`;
  return {
    warnings: settings.warnings,
    sessionTimeoutMs: settings.consumer.sessionTimeoutMs,
    admin,
    consumer: (setup: AppConsumerSetup) =>
      new AppConsumer({ ...setup, kafka, settings: settings.consumer, admin, principal }),
    taskProducer: (transactionalId, options) =>
      new TaskProducer(kafka, transactionalId, {
        ...options,
        admin,
        internalTopics,
        principal,
        task: Number(/-task-(\d+)$/.exec(transactionalId)?.[1] ?? Number.NaN), // `<app>-task-<p>`
      }),
    async recordWriter(egressId): Promise<RecordWriter> {
      const egress = plan.egresses.get(egressId);
      const egressSettings = settings.egresses.get(egressId);
      const onAppCluster = egress === undefined || brokerList(egress.address).join(",") === plan.brokers.join(",");
      const producer = new EgressProducer(
        onAppCluster ? kafka : client(brokerList(egress.address), egressSettings?.client ?? {}),
        egressSettings?.producer,
      );
      await producer.connect();
      return producer;
    },
  };
}

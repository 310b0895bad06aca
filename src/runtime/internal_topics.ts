/**
 * The app's internal topics: `<app>-mailbox` (messages between tasks, delete policy) and `<app>-changelog` (state,
 * compacted), N partitions each. Created at the first start; an existing one that does not match refuses the start.
 *
 * @module
 */

import type { AppPlan } from "./app_plan.ts";
import { RuntimeError } from "./errors.ts";
import { describeError, type Logger } from "./logger.ts";
import { type ClusterAdmin, TopicMismatchError } from "./ports.ts";

/** Settings of the internal topics when they are created. */
export interface InternalTopicSettings {
  /** Replication factor (default: the broker's `default.replication.factor`). */
  replicationFactor?: number;
  /** Topic configs (e.g. `min.insync.replicas`), applied to both. */
  configs?: Record<string, string>;
}

/** Compaction works on closed segments, so the changelog's are kept small. */
const CHANGELOG_INITIAL_CONFIGS = { "segment.bytes": String(64 * 1024 * 1024), "min.cleanable.dirty.ratio": "0.2" };

/**
 * Creates the mailbox and changelog topics, or checks them.
 *
 * @throws {RuntimeError} when an existing one does not match (naming the difference), or Kafka cannot create or
 *   describe one (naming it).
 */
export async function ensureInternalTopics(
  admin: ClusterAdmin,
  plan: AppPlan,
  taskCount: number,
  settings: InternalTopicSettings,
  log: Logger,
): Promise<void> {
  const specs = [
    {
      topic: plan.mailboxTopic,
      partitions: taskCount,
      replicationFactor: settings.replicationFactor,
      configs: { "cleanup.policy": "delete" },
      initialConfigs: { ...settings.configs },
    },
    {
      topic: plan.changelogTopic,
      partitions: taskCount,
      replicationFactor: settings.replicationFactor,
      configs: { "cleanup.policy": "compact" },
      initialConfigs: { ...CHANGELOG_INITIAL_CONFIGS, ...settings.configs },
    },
  ];
  for (const spec of specs) {
    try {
      if (await admin.ensureTopic(spec)) {
        log.info(`created internal topic ${spec.topic} with ${spec.partitions} partitions`);
      }
    } catch (error) {
      if (error instanceof TopicMismatchError) {
        throw new RuntimeError(`refusing to start: ${error.message} (see \`eddy reset\` to start the app over)`);
      }
      throw new RuntimeError(`cannot create or check the internal topic ${spec.topic}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
}

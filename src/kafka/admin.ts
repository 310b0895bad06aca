/**
 * Topic and offset administration for Eddy: internal topics with their
 * configs (and a refusal, naming the difference, when an existing topic does
 * not match), log-end, last-stable and low offsets, and committed group offsets.
 *
 * @module
 */

import { type ClusterAdmin, type PartitionOffsets, TopicMismatchError, type TopicSpec } from "../runtime/ports.ts";
import type { GroupMember } from "../runtime/group_member.ts";
import { type Admin, AssignerProtocol, ConfigResourceTypes, type Kafka } from "./kafkajs.ts";
import { decodeMemberData, tasksOfAssignment } from "./task_assignor.ts";

type ClusterFactory = (options: { isolationLevel: number }) => {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  fetchTopicsOffset(
    topics: { topic: string; fromBeginning?: boolean; fromTimestamp?: number; partitions: { partition: number }[] }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
};

const READ_UNCOMMITTED = 0;

/** Checks of a topic that is not visible yet, before ensureTopic gives up (about 6 s in all). */
const VISIBILITY_ATTEMPTS = 8;

/** A topic that exists is not visible yet to metadata or config reads (just created by another client). */
export class TopicNotVisibleError extends Error {
  /** @param message What is not visible. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TopicNotVisibleError";
  }
}

/** Admin operations on one cluster. */
export class KafkaAdmin implements ClusterAdmin {
  readonly #kafka: Kafka;
  #admin: Admin;

  /** @param kafka The client for the cluster. */
  constructor(kafka: Kafka) {
    this.#kafka = kafka;
    this.#admin = kafka.admin();
  }

  /** Connects; fails when no broker answers. */
  async connect(): Promise<void> {
    await this.#admin.connect();
  }

  /** Disconnects. */
  async disconnect(): Promise<void> {
    await this.#admin.disconnect();
  }

  /** The partition count of a topic, or undefined when it does not exist. */
  async partitionCount(topic: string): Promise<number | undefined> {
    const topics = await this.#allTopics();
    return topics.find((candidate) => candidate.name === topic)?.partitions.length;
  }

  /**
   * The metadata of every topic. kafkajs fails the whole request when one topic of the answer has an error — a
   * topic being deleted shows as UNKNOWN_TOPIC_OR_PARTITION for a moment — so that is asked again a few times.
   */
  async #allTopics(): Promise<{ name: string; partitions: unknown[] }[]> {
    for (let attempt = 1;; attempt++) {
      try {
        return (await this.#admin.fetchTopicMetadata({ topics: [] })).topics;
      } catch (error) {
        if ((error as { type?: string }).type !== "UNKNOWN_TOPIC_OR_PARTITION" || attempt === VISIBILITY_ATTEMPTS) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 1_000)));
      }
    }
  }

  /**
   * Creates a topic, or checks that the existing one has the partition count
   * and configs asked for.
   *
   * @returns true when the topic was created.
   * @throws {TopicMismatchError} when the existing topic differs.
   */
  async ensureTopic(spec: TopicSpec): Promise<boolean> {
    const existing = await this.partitionCount(spec.topic);
    if (existing === undefined) {
      const created = await this.#admin.createTopics({
        waitForLeaders: true,
        topics: [{
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor ?? -1,
          configEntries: Object.entries({ ...spec.initialConfigs, ...spec.configs }).map(([name, value]) => ({
            name,
            value,
          })),
        }],
      });
      if (created) return true;
      // Another instance created it in between: check it like any existing topic.
    }
    // A topic another client has just created shows in the metadata before the broker answers config reads for it
    // (UNKNOWN_TOPIC_OR_PARTITION), or not yet at all: instances starting together hit that window, so the check is
    // retried for a few seconds before its answer counts.
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#checkTopic(spec, attempt === 1 ? existing : undefined);
      } catch (error) {
        if (!(error instanceof TopicNotVisibleError) || attempt === VISIBILITY_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 1_000)));
      }
    }
  }

  /** Checks an existing topic's partition count and configs; false when they match. */
  async #checkTopic(spec: TopicSpec, knownPartitions: number | undefined): Promise<false> {
    const differences: string[] = [];
    const partitions = knownPartitions ?? await this.partitionCount(spec.topic);
    if (partitions === undefined) {
      throw new TopicNotVisibleError(`topic ${spec.topic} exists (its creation said so) but its metadata lacks it`);
    }
    if (partitions !== spec.partitions) differences.push(`${partitions} partitions, needs ${spec.partitions}`);
    const wanted = Object.entries(spec.configs ?? {});
    if (wanted.length > 0) {
      let actual;
      try {
        actual = await this.#topicConfigs(spec.topic, wanted.map(([name]) => name));
      } catch (error) {
        if ((error as { type?: string }).type !== "UNKNOWN_TOPIC_OR_PARTITION") throw error;
        throw new TopicNotVisibleError(
          `the broker does not answer for the configs of topic ${spec.topic} yet: ${(error as Error).message}`,
          { cause: error },
        );
      }
      for (const [name, value] of wanted) {
        if (actual.get(name) !== value) differences.push(`${name}=${actual.get(name)}, needs ${value}`);
      }
    }
    if (differences.length > 0) throw new TopicMismatchError(spec.topic, differences);
    return false;
  }

  /**
   * Low, high-watermark and last-stable offsets of every partition of a topic.
   *
   * kafkajs' `admin.fetchTopicOffsets` lists offsets READ_COMMITTED, so its
   * "high" is the last-stable offset, not the high watermark that
   * `kafka-consumer-groups` reports (tests/kafka/offsets_test.ts). The high
   * watermark needs a READ_UNCOMMITTED ListOffsets, which kafkajs only offers
   * through its internal cluster object.
   */
  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const stable = await this.stableOffsets(topic);
    const high = await this.#highWatermarks(topic);
    return stable.map((offsets) => ({ ...offsets, high: high.get(offsets.partition) ?? offsets.lastStable }));
  }

  /** Low and last-stable offsets of every partition: one request, for callers that need no high watermark. */
  async stableOffsets(topic: string): Promise<Omit<PartitionOffsets, "high">[]> {
    const offsets = await this.#read((admin) => admin.fetchTopicOffsets(topic));
    return offsets.map(({ partition, high, low }) => ({ partition, low: Number(low), lastStable: Number(high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Which of `topics` do not exist (one metadata request). */
  async missingTopics(topics: Iterable<string>): Promise<string[]> {
    const existing = new Set((await this.#allTopics()).map((topic) => topic.name));
    return [...new Set(topics)].filter((topic) => !existing.has(topic));
  }

  /** One config of a broker of the cluster (the first the cluster lists) as it applies it, its default included. */
  async brokerConfig(name: string): Promise<string | undefined> {
    const { brokers } = await this.#admin.describeCluster();
    if (brokers.length === 0) return undefined;
    const { resources } = await this.#admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(brokers[0].nodeId), configNames: [name] }],
    });
    return resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue ?? undefined;
  }

  /** One config of a topic as the broker applies it (its default included). */
  async topicConfig(topic: string, name: string): Promise<string | undefined> {
    return (await this.#topicConfigs(topic, [name])).get(name);
  }

  /** Configs of a topic by name, as the broker applies them. */
  async #topicConfigs(topic: string, names: string[]): Promise<Map<string, string | undefined>> {
    const { resources } = await this.#admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }],
    });
    return new Map(resources[0]?.configEntries.map((entry) => [entry.configName, entry.configValue ?? undefined]));
  }

  /** Committed offsets of a group per partition (-1 where it has none). */
  async groupOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const [offsets] = await this.#read((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    return new Map(offsets.partitions.map(({ partition, offset }) => [partition, Number(offset)]));
  }

  /**
   * The first offset of every partition whose record timestamp is at or after
   * `timestamp`, or -1 where there is none (kafkajs' own lookup returns the log
   * end there, which would hide the difference).
   */
  async offsetsForTimestamp(topic: string, timestamp: number): Promise<Map<number, number>> {
    return await this.#listOffsets(topic, { fromTimestamp: timestamp });
  }

  /** Commits offsets for a group that has no active member (kafkajs refuses otherwise). */
  async setGroupOffsets(groupId: string, topic: string, offsets: { partition: number; offset: number }[]) {
    await this.#admin.setOffsets({
      groupId,
      topic,
      partitions: offsets.map(({ partition, offset }) => ({ partition, offset: String(offset) })),
    });
  }

  /** Members of a group (empty when it has none or does not exist). */
  async groupMembers(groupId: string): Promise<string[]> {
    const { groups } = await this.#admin.describeGroups([groupId]);
    return groups.flatMap((group) => group.members.map((member) => `${member.clientId} (${member.clientHost})`));
  }

  /** Who holds each partition in a group: `topic/partition` → `clientId@host (memberId)`. */
  async groupOwners(groupId: string): Promise<Map<string, string>> {
    const { groups } = await this.#admin.describeGroups([groupId]);
    const owners = new Map<string, string>();
    for (const member of groups[0]?.members ?? []) {
      if (member.memberAssignment.length === 0) continue;
      const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      for (const [topic, partitions] of Object.entries(decoded?.assignment ?? {})) {
        for (const partition of partitions) {
          owners.set(`${topic}/${partition}`, `${member.clientId}@${member.clientHost} (${member.memberId})`);
        }
      }
    }
    return owners;
  }

  /** The members of the app's group: who each says it is, and the tasks it owns (partition p is task p mod N). */
  async groupView(groupId: string, taskCount: number): Promise<GroupMember[]> {
    const { groups } = await this.#admin.describeGroups([groupId]);
    return (groups[0]?.members ?? []).map((member) => {
      const assignment = member.memberAssignment.length === 0
        ? {}
        : AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {};
      let info;
      try {
        info = decodeMemberData(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.userData).info;
      } catch {
        info = undefined; // another client's metadata: shown without what an Eddy says of itself
      }
      return {
        memberId: member.memberId,
        client: `${member.clientId}@${member.clientHost}`,
        ...(info === undefined ? {} : { info }),
        tasks: tasksOfAssignment(assignment, taskCount),
      };
    }).sort((a, b) => (a.tasks[0] ?? Infinity) - (b.tasks[0] ?? Infinity) || a.memberId.localeCompare(b.memberId));
  }

  /** Deletes consumer groups with their committed offsets; groups that do not exist are skipped. */
  async deleteGroups(groupIds: string[]): Promise<void> {
    const existing = new Set((await this.#admin.listGroups()).groups.map((group) => group.groupId));
    const present = groupIds.filter((groupId) => existing.has(groupId));
    if (present.length > 0) await this.#admin.deleteGroups(present);
  }

  /** Deletes topics; missing ones are skipped. Returns the ones deleted. */
  async deleteTopics(topics: string[]): Promise<string[]> {
    const existing = new Set((await this.#allTopics()).map((topic) => topic.name));
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await this.#admin.deleteTopics({ topics: present, timeout: 30_000 });
    return present;
  }

  /**
   * A read through kafkajs' admin that rides out transient errors (retryingTransient). kafkajs' admin keeps every topic
   * it was asked about in its metadata requests for good, and once one of them is deleted every such request fails
   * with UNKNOWN_TOPIC_OR_PARTITION — the offsets of all other topics included (tests/kafka/offsets_test.ts). So an
   * unknown topic gets the read one more try on a fresh admin client; a topic really gone then fails it.
   */
  async #read<T>(read: (admin: Admin) => Promise<T>): Promise<T> {
    let renewed = false;
    return await retryingTransient(async () => {
      const admin = this.#admin;
      try {
        return await read(admin);
      } catch (error) {
        if (renewed || !isUnknownTopic(error)) throw error;
        renewed = true;
        if (this.#admin === admin) {
          const fresh = this.#kafka.admin();
          await fresh.connect();
          this.#admin = fresh;
          await admin.disconnect().catch(() => {});
        }
        return await read(this.#admin);
      }
    });
  }

  async #highWatermarks(topic: string): Promise<Map<number, number>> {
    return await this.#listOffsets(topic, { fromBeginning: false });
  }

  /** A READ_UNCOMMITTED ListOffsets on a cluster of its own (no topic of other reads in its metadata), retried. */
  #listOffsets(
    topic: string,
    at: { fromBeginning: boolean } | { fromTimestamp: number },
  ): Promise<Map<number, number>> {
    return retryingTransient(() => this.#listOffsetsOnce(topic, at));
  }

  async #listOffsetsOnce(
    topic: string,
    at: { fromBeginning: boolean } | { fromTimestamp: number },
  ): Promise<Map<number, number>> {
    const cluster = this.#clusterFactory()({ isolationLevel: READ_UNCOMMITTED });
    await cluster.connect();
    try {
      await cluster.addTargetTopic(topic);
      await cluster.refreshMetadataIfNecessary();
      const partitions = cluster.findTopicPartitionMetadata(topic).map(({ partitionId }) => ({
        partition: partitionId,
      }));
      const [result] = await cluster.fetchTopicsOffset([{ topic, ...at, partitions }]);
      return new Map(result.partitions.map(({ partition, offset }) => [partition, Number(offset)]));
    } finally {
      await cluster.disconnect();
    }
  }

  /** kafkajs' private cluster factory (the Kafka instance's `private:Kafka:createCluster` symbol). */
  #clusterFactory(): ClusterFactory {
    const kafka = this.#kafka as unknown as Record<symbol, unknown>;
    const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === "private:Kafka:createCluster");
    if (symbol === undefined || typeof kafka[symbol] !== "function") {
      throw new Error("kafkajs internals changed: no private cluster factory (high watermarks need it)");
    }
    return kafka[symbol] as ClusterFactory;
  }
}

/** Attempts of an offset read that failed with a transient error (about 3 s of backoff in all). */
const TRANSIENT_ATTEMPTS = 5;

/**
 * Runs an offset read again after a transient failure (a request timed out, a connection closed, a leader moving).
 * kafkajs' admin retries only an unknown topic in `fetchTopicOffsets` and gives up on anything else at once (it bails,
 * wrapping the error as non-retriable), so one slow answer from a loaded broker would fail a task's start or end a
 * starting process.
 */
export async function retryingTransient<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt === TRANSIENT_ATTEMPTS || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}

/**
 * A kafkajs error it marks retriable (or one its admin wrapped as non-retriable when bailing). An unknown topic is not:
 * kafkajs' admin has asked again for it already, and the topic may be gone.
 */
function isTransient(error: unknown): boolean {
  if (isUnknownTopic(error)) return false;
  const { name, retriable, cause } = error as { name?: string; retriable?: boolean; cause?: unknown };
  if (retriable === true) return true;
  return name === "KafkaJSNonRetriableError" && cause !== error && cause !== undefined && isTransient(cause);
}

/** UNKNOWN_TOPIC_OR_PARTITION, or kafkajs' retries of it exhausted. */
function isUnknownTopic(error: unknown): boolean {
  const { type, cause } = error as { type?: string; cause?: unknown };
  return type === "UNKNOWN_TOPIC_OR_PARTITION" || (cause !== undefined && cause !== error && isUnknownTopic(cause));
}

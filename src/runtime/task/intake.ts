/**
 * What a fetched record is to its task: an ingress record becomes one message per target of its route (its id is
 * its key; the record is its `message.kafka`, and the headers its ingress carries go with it), a mailbox record is one
 * message; either is owned by the task its id hashes to. A record that cannot be read (no key, a key that is not
 * UTF-8, a mailbox record that does not decode) is unroutable, with the reason and the policy of its ingress.
 *
 * @module
 */

import type { AppPlan, IngressRoute } from "../app_plan.ts";
import { describeError } from "../logger.ts";
import { decodeMailboxMessage, type MailboxMessage } from "../mailbox_record.ts";
import { partitionOfKey } from "../partitioner.ts";
import type { ConsumedRecord } from "../ports.ts";
import { type RawHeaders, setHeader } from "../../sdk/kafka_record.ts";
import { type RecordOrigin, routeIngressRecord, taskOfId } from "../routing.ts";
import type { RecordPolicy, TaskLimits } from "./types.ts";

/** A record read: its messages and the task that owns their address, or why it cannot be read. */
export type Intake =
  | { kind: "messages"; messages: MailboxMessage[]; owner: number }
  | { kind: "unroutable"; reason: string; policy: RecordPolicy };

/** Where records of a topic go: the mailbox, or an ingress route. */
export interface IntakeSource {
  /** The mailbox (true) or an ingress topic. */
  isMailbox: boolean;
  /** The ingress route of the topic, unless the mailbox. */
  route: IngressRoute | undefined;
}

/** The source of a topic's records, or undefined for a topic the app does not read. */
export function intakeSource(plan: AppPlan, topic: string): IntakeSource | undefined {
  if (topic === plan.mailboxTopic) return { isMailbox: true, route: undefined };
  const route = plan.routes.get(topic);
  return route === undefined ? undefined : { isMailbox: false, route };
}

/** The headers of a record its ingress carries (`carryHeaders`): undefined when it has none of them. */
export function carriedHeaders(headers: RawHeaders, names: readonly string[]): RawHeaders | undefined {
  if (names.length === 0) return undefined; // most ingresses: nothing to look up per record
  let carried: Record<string, Uint8Array | readonly Uint8Array[]> | undefined;
  for (const name of names) {
    if (Object.hasOwn(headers, name)) setHeader(carried ??= {}, name, headers[name]);
  }
  return carried;
}

/** Reads one record. */
export function readRecord(
  record: ConsumedRecord,
  source: IntakeSource,
  origin: RecordOrigin,
  taskCount: number,
  limits: Pick<TaskLimits, "unroutableRecords" | "unroutableRecordsByIngress">,
): Intake {
  const { isMailbox, route } = source;
  try {
    if (isMailbox) {
      if (record.value === null) throw new Error("a mailbox record without value");
      const message = decodeMailboxMessage(record.value);
      return { kind: "messages", messages: [message], owner: taskOfId(message.target.id, taskCount) };
    }
    // The record itself is each message's `kafka` (message.kafka is made from it only if a function reads it).
    const carried = carriedHeaders(record.headers, route!.ingress.carryHeaders);
    const messages = routeIngressRecord(record, route!, origin).map(({ target, argument }): MailboxMessage => ({
      target,
      caller: null,
      argument,
      kafka: record,
      carried,
    }));
    // An ingress record's key bytes are its id's UTF-8 bytes: hash them once for all its targets.
    return { kind: "messages", messages, owner: partitionOfKey(record.key!, taskCount) };
  } catch (error) {
    const policy = (route && limits.unroutableRecordsByIngress[route.ingress.id]) ?? limits.unroutableRecords;
    return { kind: "unroutable", reason: describeError(error), policy };
  }
}

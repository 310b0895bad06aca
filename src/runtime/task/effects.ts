/**
 * Effects → records: what one invocation did becomes changelog writes (state, timers), messages to other addresses
 * (to an address of the same task: queued in memory, in the same epoch — the epoch then commits only once they are
 * done, or persists them as pending; to another task's: a record of its mailbox partition), egress records (in the
 * task's transaction, awaited before its commit, or fire-and-forget by delivery) — all in the epoch of the message
 * that caused them. Messages and timers it makes carry on the headers its message carried (an ingress's
 * `carryHeaders`). Also the dead-letter record of a message or record the task gives up on.
 *
 * @module
 */

import type { Address } from "../../sdk/address.ts";
import type { InvocationResult } from "../../sdk/invoke.ts";
import { NO_HEADERS, type RawHeaders } from "../../sdk/kafka_record.ts";
import { addressKey, type TaskState } from "../../state/task_state.ts";
import type { AppPlan } from "../app_plan.ts";
import type { EgressRecord } from "../egress_router.ts";
import { encodeMailboxMessage, type MailboxMessage } from "../mailbox_record.ts";
import { partitionOfKey } from "../partitioner.ts";
import type { OutgoingRecord } from "../ports.ts";
import { type RecordOrigin, taskOfId } from "../routing.ts";
import type { AddressQueues, Envelope } from "./address_queues.ts";
import type { CommitCycle } from "./commit_cycle.ts";
import type { Epoch } from "./epoch.ts";
import type { TaskCounters } from "./task_counters.ts";
import type { EgressSink } from "./types.ts";

/** Where one invocation's effects go: the task's state, its queues (the same-task fast path), its commit cycle. */
export interface EffectsContext {
  /** The task number. */
  task: number;
  /** N. */
  taskCount: number;
  /** The app. */
  plan: AppPlan;
  /** The task's state. */
  state: TaskState;
  /** Whether exactly-once egresses write in the task's transaction. */
  transactionalEgress: boolean;
  /** Egress records outside the transaction. */
  egress: EgressSink;
  /** The task's counters. */
  counters: TaskCounters;
  /** The task's address queues. */
  queues: AddressQueues;
  /** The task's epochs (the open one decides whether a message may be delivered in memory). */
  cycle: CommitCycle;
}

/**
 * Whether a message of `epoch` may be delivered in memory to `target`: not when a newer epoch has messages of that
 * address, queued or applied — the message's effects would go to an older epoch than theirs, which commits first.
 */
function canDeliverLocal(context: EffectsContext, key: string, epoch: Epoch): boolean {
  const open = context.cycle.open;
  if (epoch === open) return true;
  return !open.touched.has(key) && context.queues.lastEpoch(key) !== open;
}

/**
 * Applies one invocation's effects to the state and to the epoch of its message (`envelope.epoch`); messages to
 * addresses of the same task are pushed on `local` for the caller to queue.
 */
export function applyEffects(
  context: EffectsContext,
  envelope: Envelope,
  result: InvocationResult,
  egress: EgressRecord[],
  now: number,
  local: Envelope[],
): void {
  const { epoch, target } = envelope;
  const counters = context.counters.of(target.typename);
  counters.outEgress += egress.length;
  for (const { egress: spec } of egress) context.counters.egressRecord(spec.id);
  epoch.touched.add(envelope.key ?? addressKey(target));
  if (result.mutations.length > 0) epoch.log(context.state.write(target, result.mutations, now));
  for (const message of result.sent) {
    const to = message.targetAddress;
    if (taskOfId(to.id, context.taskCount) === context.task && canDeliverLocal(context, addressKey(to), epoch)) {
      counters.outLocal++;
      const sent: Envelope = {
        target: to,
        caller: target,
        argument: message.typedValue,
        epoch,
        origin: envelope.origin,
        kafka: undefined,
        carried: envelope.carried,
      };
      if (envelope.trace !== undefined) sent.trace = envelope.trace;
      local.push(sent);
    } else {
      counters.outRemote++;
      epoch.records.push(
        mailboxRecord(context, { target: to, caller: target, argument: message.typedValue, carried: envelope.carried }),
      );
    }
  }
  for (const effect of result.delayed) {
    if (effect.kind === "cancel") {
      const write = context.state.cancelTimer(target, effect.cancellationToken);
      if (write !== undefined) epoch.log([write]);
      continue;
    }
    epoch.log([context.state.addTimer({
      sender: target,
      id: effect.cancellationToken ?? `~${crypto.randomUUID()}`,
      fireAt: now + effect.delayMs,
      target: effect.message.targetAddress,
      argument: effect.message.typedValue,
      carried: envelope.carried,
    })]);
  }
  if (egress.length === 0) return;
  let forget: EgressRecord[] | undefined;
  for (const routed of egress) {
    const semantic = routed.egress.deliverySemantic.type;
    if (semantic === "none") (forget ??= []).push(routed);
    else if (semantic === "exactly-once" && context.transactionalEgress) epoch.records.push(routed.record);
    else epoch.atLeastOnce.push(routed);
  }
  if (forget !== undefined) context.egress.sendAndForget(forget);
}

/** A duplicate pending cancellation token of the same sender is an error, as in StateFun. */
export function checkTimers(state: TaskState, sender: Address, result: InvocationResult): void {
  const overlay = new Map<string, boolean>();
  for (const effect of result.delayed) {
    if (effect.kind === "cancel") {
      overlay.set(effect.cancellationToken, false);
    } else if (effect.cancellationToken !== undefined) {
      const token = effect.cancellationToken;
      if (overlay.get(token) ?? state.hasTimer(sender, token)) {
        throw new Error(`${sender} already has a pending delayed message with cancellation token "${token}"`);
      }
      overlay.set(token, true);
    }
  }
}

/** The mailbox record of a message: keyed by the target id's UTF-8 bytes, so its partition is the target's task. */
export function mailboxRecord(task: { plan: AppPlan; taskCount: number }, message: MailboxMessage): OutgoingRecord {
  const { key, value } = encodeMailboxMessage(message);
  return { topic: task.plan.mailboxTopic, partition: partitionOfKey(key, task.taskCount), key, value };
}

/**
 * A dead-letter record: the original key, value and headers (so it can be sent back as it came, trace ids and all,
 * as Kafka Connect's dead-letter queues keep them), and `eddy.*` headers saying why and where from — these win over
 * an original header of the same name.
 */
export function deadLetter(
  topic: string,
  key: Uint8Array | null,
  value: Uint8Array | null,
  origin: RecordOrigin,
  reasons: Record<string, string>,
  original: RawHeaders = NO_HEADERS,
): OutgoingRecord {
  const headers: Record<string, Uint8Array | readonly Uint8Array[] | string> = {
    ...original,
    "eddy.origin.topic": origin.topic,
    "eddy.origin.partition": String(origin.partition),
    "eddy.origin.offset": String(origin.offset),
  };
  for (const [name, text] of Object.entries(reasons)) headers[`eddy.${name}`] = text;
  return { topic, key, value, headers };
}

const UTF8 = new TextEncoder();

/** The dead-letter record of a message whose function failed every attempt: its id as key, its value, and why. */
export function failedMessageRecord(topic: string, envelope: Envelope, reason: string): OutgoingRecord {
  const { target, argument } = envelope;
  return deadLetter(
    topic,
    UTF8.encode(target.id),
    argument.value,
    envelope.origin,
    {
      reason,
      address: target.toString(),
      typename: argument.typename,
      ...(envelope.caller === null ? {} : { caller: envelope.caller.toString() }),
    },
    envelope.kafka?.headers ?? envelope.carried, // the ingress record's own, or what a message carried (carryHeaders)
  );
}

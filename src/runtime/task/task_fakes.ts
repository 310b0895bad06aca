/**
 * Fakes of a task's ports, for its unit tests and `deno task bench:task` (no broker, no kafkajs): a committer that
 * records every commit (or hands it to a function of the caller's), an egress sink and flow control that record what
 * they are asked, and the in-process callables of a StateFun instance.
 *
 * @module
 */

import type { StateFun } from "../../sdk/statefun.ts";
import type { EgressRecord } from "../egress_router.ts";
import type { CommitBatch, TaskCommitter } from "../ports.ts";
import { type CallableFunction, inProcess } from "./callable.ts";
import type { EgressSink, TaskFlow } from "./types.ts";

/** What the fakes were asked. */
export interface FakeTaskPorts {
  /** Records commits (or passes them to `commit`). */
  committer: TaskCommitter;
  /** Records egress records sent outside the transaction. */
  egress: EgressSink;
  /** Records pause and resume calls. */
  flow: TaskFlow;
  /** The commits, in order (unless `commit` was given). */
  commits: CommitBatch[];
  /** Egress records sent outside the transaction, in order. */
  sent: EgressRecord[];
  /** `pause`, `resume` and `pause-all`, in order. */
  flowCalls: string[];
}

/**
 * The fakes.
 *
 * @param options `commit` replaces the recording committer; `onFlow` hears each flow call.
 */
export function fakeTaskPorts(
  options: { commit?: (batch: CommitBatch) => Promise<void>; onFlow?: (call: string) => void } = {},
): FakeTaskPorts {
  const commits: CommitBatch[] = [];
  const sent: EgressRecord[] = [];
  const flowCalls: string[] = [];
  const flowCall = (call: string) => {
    flowCalls.push(call);
    options.onFlow?.(call);
  };
  return {
    committer: {
      init: () => Promise.resolve(),
      commit: options.commit ?? ((batch) => {
        commits.push(batch);
        return Promise.resolve();
      }),
      close: () => Promise.resolve(),
    },
    egress: {
      sendAndWait: (records) => {
        sent.push(...records);
        return Promise.resolve();
      },
      sendAndForget: (records) => void sent.push(...records),
    },
    flow: {
      pauseIngress: () => flowCall("pause"),
      resumeIngress: () => flowCall("resume"),
      pauseAll: () => flowCall("pause-all"),
    },
    commits,
    sent,
    flowCalls,
  };
}

/** The task's function lookup over a StateFun instance's in-process functions. */
export function inProcessFunctions(functions: StateFun): (typename: string) => CallableFunction | undefined {
  return (typename) => {
    const spec = functions.functionSpec(typename);
    return spec === undefined ? undefined : inProcess(spec);
  };
}

/**
 * `GET /metrics` in Prometheus' text format: StateFun's function metrics
 * (in, outLocal, outRemote, outEgress, numBacklog) per function type, task
 * commits and their latency, restore sizes, failures, and lag per ingress
 * partition.
 *
 * @module
 */

import type { IngressPartitionOffsets } from "../runtime/status.ts";
import type { ControlledApp } from "./controlled_app.ts";
import { VERSION } from "../version.ts";

type Labels = Record<string, string | number>;

class Exposition {
  readonly #lines: string[] = [];

  family(name: string, type: "counter" | "gauge", help: string, samples: [Labels, number][]): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.#lines.push(`${name}${labelText(labels)} ${value}`);
  }

  toString(): string {
    return `${this.#lines.join("\n")}\n`;
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  const escape = (value: string | number) =>
    String(value).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  return `{${entries.map(([name, value]) => `${name}="${escape(value)}"`).join(",")}}`;
}

/** Renders the metrics of an instance; `offsets` are the ingress partitions with their lag. */
export function renderMetrics(
  runtime: ControlledApp,
  offsets: { ingress: string; rows: IngressPartitionOffsets[] }[],
): string {
  const status = runtime.status();
  const out = new Exposition();
  const app = status.appId;
  out.family("eddy_info", "gauge", "Eddy's version and app.", [[{ app, version: VERSION }, 1]]);
  out.family("eddy_uptime_seconds", "gauge", "Seconds since the instance started.", [[
    { app },
    (Date.now() - runtime.startedAt) / 1000,
  ]]);
  const perFunction = new Map<string, Record<string, number>>();
  for (const task of status.tasks) {
    for (const [typename, counters] of Object.entries(task.functions)) {
      const sum = perFunction.get(typename) ?? {};
      for (const [name, value] of Object.entries(counters)) sum[name] = (sum[name] ?? 0) + value;
      perFunction.set(typename, sum);
    }
  }
  const functionFamily = (name: string, key: string, type: "counter" | "gauge", help: string) =>
    out.family(
      name,
      type,
      help,
      [...perFunction].map(([typename, sum]) => [{ app, function_type: typename }, sum[key] ?? 0]),
    );
  functionFamily("eddy_function_in_total", "in", "counter", "Messages a function type received (StateFun: in).");
  functionFamily(
    "eddy_function_out_local_total",
    "outLocal",
    "counter",
    "Messages sent to the same task (StateFun: outLocal).",
  );
  functionFamily(
    "eddy_function_out_remote_total",
    "outRemote",
    "counter",
    "Messages sent to other tasks (StateFun: outRemote).",
  );
  functionFamily(
    "eddy_function_out_egress_total",
    "outEgress",
    "counter",
    "Records sent to egresses (StateFun: outEgress).",
  );
  functionFamily(
    "eddy_function_backlog",
    "backlog",
    "gauge",
    "Messages waiting for the function type (StateFun: numBacklog).",
  );
  functionFamily("eddy_function_failures_total", "failures", "counter", "Invocations that failed after every retry.");
  const perTask = (pick: (task: typeof status.tasks[number]) => number): [Labels, number][] =>
    status.tasks.map((task) => [{ app, task: task.task }, pick(task)]);
  out.family("eddy_task_commits_total", "counter", "Commits of a task.", perTask((task) => task.commits));
  out.family(
    "eddy_task_commit_seconds_sum",
    "counter",
    "Time spent committing.",
    perTask((task) => task.commitSeconds.sum),
  );
  out.family(
    "eddy_task_commit_seconds_count",
    "counter",
    "Commits timed.",
    perTask((task) => task.commitSeconds.count),
  );
  out.family("eddy_task_queued", "gauge", "Messages queued in a task.", perTask((task) => task.queued));
  out.family(
    "eddy_task_restored_records",
    "gauge",
    "Changelog records read by the task's last restore.",
    perTask((task) => task.restoredRecords),
  );
  out.family(
    "eddy_task_restore_remaining_records",
    "gauge",
    "Changelog records a restoring task has still to read (0 when not restoring).",
    perTask((task) => task.restore?.remaining ?? 0),
  );
  out.family(
    "eddy_task_restore_records_per_second",
    "gauge",
    "The read rate of a restoring task's changelog so far (0 when not restoring).",
    perTask((task) => task.restore?.recordsPerSecond ?? 0),
  );
  out.family(
    "eddy_task_stopped",
    "gauge",
    "1 when the task stopped at a record or a failing function.",
    perTask((task) => task.status === "failed" ? 1 : 0),
  );
  out.family(
    "eddy_task_ingress_pauses_total",
    "counter",
    "Back-pressure pauses of the task's ingress partitions.",
    perTask((task) => task.ingressPauses),
  );
  out.family(
    "eddy_task_carried_over_total",
    "counter",
    "Messages carried past a commit as pending while their call ran on (a slow remote function).",
    perTask((task) => task.carriedOver),
  );
  const remote = runtime.remoteFunctions();
  const remoteLabels = (fn: typeof remote[number]): Labels => ({ app, function_type: fn.typename, url: fn.url });
  out.family(
    "eddy_remote_invocation_latency_seconds_sum",
    "counter",
    "Time spent calling a remote function, all attempts of each call (StateFun: remoteInvocationLatency).",
    remote.map((fn) => [remoteLabels(fn), fn.seconds]),
  );
  out.family(
    "eddy_remote_invocation_latency_seconds_count",
    "counter",
    "Calls of a remote function.",
    remote.map((fn) => [remoteLabels(fn), fn.calls]),
  );
  out.family(
    "eddy_remote_invocation_failures_total",
    "counter",
    "Calls of a remote function that failed after every attempt within the call timeout.",
    remote.map((fn) => [remoteLabels(fn), fn.failures]),
  );
  const egresses = runtime.egresses();
  out.family(
    "eddy_egress_records_total",
    "counter",
    "Records functions sent to an egress.",
    egresses.map((e) => [{ app, egress: e.id, delivery: e.delivery }, e.records]),
  );
  out.family(
    "eddy_egress_errors_total",
    "counter",
    "Failed egress writes outside transactions.",
    egresses.map((e) => [{ app, egress: e.id, delivery: e.delivery }, e.errors]),
  );
  out.family(
    "eddy_ingress_lag",
    "gauge",
    "Log-end offset minus the ingress group's committed offset, per partition (as kafka-consumer-groups).",
    offsets.flatMap(({ ingress, rows }) =>
      rows.filter((row) => row.lag !== null).map((row): [Labels, number] => [
        { app, ingress, topic: row.topic, partition: row.partition },
        row.lag!,
      ])
    ),
  );
  return out.toString();
}

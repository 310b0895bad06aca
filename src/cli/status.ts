/**
 * `eddy status`: asks a running instance's control API for its status and
 * ingress offsets, and prints them with a lag table.
 *
 * @module
 */

import { SERVE_DEFAULTS } from "../serve/settings.ts";
import { parseFlags } from "./args.ts";
import { type CliOutput, EXIT, UsageError } from "./output.ts";

/** Where `eddy run` serves its control API by default. */
const DEFAULT_URL = `http://${SERVE_DEFAULTS.controlAddr}`;

/** Usage of `eddy status`. */
export const STATUS_USAGE = `Usage: eddy status [--url <url>] [--token <token>] [--json]

Prints a running instance's status (app, tasks, functions) and, per ingress,
every partition's committed offset, log-end offset and lag.

Options:
  --url <url>      the control API (default ${DEFAULT_URL})   EDDY_CONTROL_URL
  --token <token>  its bearer token, if it needs one                 EDDY_CONTROL_TOKEN
  --json           print the raw JSON instead
  -h, --help       show this help

Exit codes: 0 shown, 1 the instance did not answer, 2 wrong command line.`;

interface Status {
  appId: string;
  processingGuarantee: string;
  ready: boolean;
  uptimeSeconds: number;
  module: string;
  taskCount: number;
  ingresses: { id: string; groupId: string; state: string }[];
  tasks: {
    task: number;
    status: string;
    queued: number;
    invocations: number;
    commits: number;
    failure?: { reason: string };
  }[];
  functions: { typename: string; invocations: number; failures: number; backlog: number }[];
  group?: {
    instance: string | null;
    client: string;
    controlUrl: string | null;
    tasks: number[];
    self: boolean;
    moduleVersion?: { hash: string; label: string | null } | null;
  }[];
  roll?: { inProgress: boolean; versions: { hash: string | null; label: string | null; members: number }[] };
}

interface Offsets {
  partitions: {
    topic: string;
    partition: number;
    committed: number | null;
    logEnd: number;
    lag: number | null;
    owner: string | null;
  }[];
}

/** Runs `eddy status`. */
export async function statusCommand(args: string[], output: CliOutput): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    url: { type: "string" },
    token: { type: "string" },
    json: { type: "boolean" },
  }, STATUS_USAGE);
  if (values.help) {
    output.out(STATUS_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, STATUS_USAGE);
  const url = ((values.url as string | undefined) ?? Deno.env.get("EDDY_CONTROL_URL") ?? DEFAULT_URL)
    .replace(/\/$/, "");
  const token = (values.token as string | undefined) ?? Deno.env.get("EDDY_CONTROL_TOKEN");
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
    return body as T;
  };
  try {
    const status = await get<Status>("/v1/status");
    const offsets = new Map<string, Offsets>();
    for (const ingress of status.ingresses) {
      const [namespace, name] = [
        ingress.id.slice(0, ingress.id.indexOf("/")),
        ingress.id.slice(ingress.id.indexOf("/") + 1),
      ];
      offsets.set(ingress.id, await get<Offsets>(`/v1/ingresses/${namespace}/${name}/offsets`));
    }
    if (values.json) {
      output.out(JSON.stringify({ status, offsets: Object.fromEntries(offsets) }, null, 2));
      return EXIT.ok;
    }
    output.out(
      `app ${status.appId} (${status.processingGuarantee}), ${status.ready ? "ready" : "not ready"}, ` +
        `${status.taskCount} tasks, up ${status.uptimeSeconds} s, module ${status.module}`,
    );
    for (const task of status.tasks) {
      output.out(
        `  task ${task.task}: ${task.status}, ${task.invocations} invocations, ${task.commits} commits, ` +
          `${task.queued} queued${task.failure ? ` — ${task.failure.reason}` : ""}`,
      );
    }
    for (const fn of status.functions) {
      output.out(
        `  function ${fn.typename}: ${fn.invocations} invocations, ${fn.failures} failures, backlog ${fn.backlog}`,
      );
    }
    if (status.group !== undefined && status.group.length > 0) {
      const versions = status.roll?.versions ?? [];
      output.out(
        `group of ${status.group.length} members` +
          (status.roll?.inProgress ? `, a roll in progress: ${versions.length} module versions` : ""),
      );
      const rows = status.group.map((member) => [
        `${member.instance ?? "-"}${member.self ? " (this)" : ""}`,
        member.controlUrl ?? "-",
        member.tasks.length === 0 ? "-" : member.tasks.join(","),
        member.moduleVersion == null
          ? "-"
          : `${member.moduleVersion.hash}${
            member.moduleVersion.label === null ? "" : ` ${member.moduleVersion.label}`
          }`,
        member.client,
      ]);
      output.out(table([["INSTANCE", "CONTROL", "TASKS", "VERSION", "CLIENT"], ...rows]));
    }
    for (const ingress of status.ingresses) {
      output.out(`ingress ${ingress.id} (group ${ingress.groupId}, ${ingress.state})`);
      const rows = offsets.get(ingress.id)!.partitions.map((p) => [
        p.topic,
        String(p.partition),
        p.committed === null ? "-" : String(p.committed),
        String(p.logEnd),
        p.lag === null ? "-" : String(p.lag),
        p.owner ?? "-",
      ]);
      output.out(table([["TOPIC", "PARTITION", "COMMITTED", "LOG-END", "LAG", "OWNER"], ...rows]));
    }
    return EXIT.ok;
  } catch (error) {
    output.err(`eddy: no status from ${url}: ${(error as Error).message}`);
    return EXIT.failed;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()}`).join(
    "\n",
  );
}

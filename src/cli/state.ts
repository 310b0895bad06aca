/**
 * `eddy state export` and `eddy state import`: an app's state out of its changelog as NDJSON lines
 * (runtime/state_lines.ts), and such lines into a stopped app's changelog (or a new app id's), so that its next start
 * restores them — to back up, to clone an app, to bring state over from a StateFun job. An export reads committed
 * records only and does not disturb a running app; an import checks the whole file before it writes anything and
 * writes it in one transaction.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { KafkaAdmin } from "../kafka/admin.ts";
import { appKafkaSettings } from "../kafka/app_settings.ts";
import { readChangelog, writeChangelog } from "../kafka/changelog_io.ts";
import { createKafka } from "../kafka/client.ts";
import type { Kafka } from "../kafka/kafkajs.ts";
import { type AppPlan, AppPlanError, planApp } from "../runtime/app_plan.ts";
import { ensureInternalTopics } from "../runtime/internal_topics.ts";
import { describeError, Logger } from "../runtime/logger.ts";
import { formatStateLine, parseStateLines, recordOfStateLine, stateLineOfRecord } from "../runtime/state_lines.ts";
import { formatIssue, SpecError } from "../spec/issues.ts";
import { loadModuleSpec, ModuleReadError } from "../spec/load.ts";
import type { ModuleSpec } from "../spec/model.ts";
import { parseFlags } from "./args.ts";
import { type CliOutput, EXIT, UsageError } from "./output.ts";

/** Usage of `eddy state`. */
export const STATE_USAGE =
  `Usage: eddy state export --module <module.yaml> [--app-id <id>] [--function <ns/name>] > state.ndjson
       eddy state import --module <module.yaml> [--app-id <id>] <state.ndjson>

export  writes every address's committed state, read from the app's changelog,
        one JSON line per state value: function, id, state, typename, value
        (base64) and, for built-in and JSON types, readable. The app may run.
import  writes such lines into the app's changelog (created with the app's
        task count if the app never ran), so the next start restores them.
        The app must be stopped. Every line is checked first: a bad line is
        named with its number and nothing is written. Values of addresses the
        file names replace theirs; others are kept.

Options:
  --module <file>      the module spec                              EDDY_MODULE
  --app-id <id>        the app id, as given to 'eddy run'           EDDY_APP_ID
  --function <ns/name> export only this function type's state
  -h, --help           show this help

Timers (delayed messages) and messages in flight are not part of the file.
Exit codes: 0 done, 1 refused or failed, 2 wrong command line.`;

/** Runs `eddy state`. */
export async function stateCommand(args: string[], output: CliOutput): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    module: { type: "string" },
    "app-id": { type: "string" },
    function: { type: "string" },
  }, STATE_USAGE);
  if (values.help) {
    output.out(STATE_USAGE);
    return EXIT.ok;
  }
  const [action, ...files] = positionals;
  if (action !== "export" && action !== "import") {
    throw new UsageError(action === undefined ? "export or import?" : `unknown action "${action}"`, STATE_USAGE);
  }
  const modulePath = (values.module as string | undefined) ?? Deno.env.get("EDDY_MODULE");
  if (!modulePath) throw new UsageError("--module is required", STATE_USAGE);
  const appId = (values["app-id"] as string | undefined) ?? (Deno.env.get("EDDY_APP_ID") || undefined);
  if (action === "export" && files.length > 0) throw new UsageError(`unexpected argument "${files[0]}"`, STATE_USAGE);
  if (action === "import" && files.length !== 1) throw new UsageError("import takes one state file", STATE_USAGE);
  if (action === "import" && values.function !== undefined) {
    throw new UsageError("--function goes with export", STATE_USAGE);
  }
  // The file first: a bad one is refused before anything connects.
  let text: string | undefined;
  if (action === "import") {
    try {
      text = await Deno.readTextFile(files[0]);
    } catch (error) {
      output.err(`eddy: cannot read ${files[0]}: ${describeError(error)}`);
      return EXIT.failed;
    }
  }
  let module: ModuleSpec;
  let plan: AppPlan;
  try {
    module = await loadModuleSpec(modulePath);
    plan = planApp(module, appId);
  } catch (error) {
    if (error instanceof SpecError) error.issues.forEach((issue) => output.err(formatIssue(issue)));
    else if (error instanceof ModuleReadError || error instanceof AppPlanError) output.err(`eddy: ${error.message}`);
    else throw error;
    return EXIT.failed;
  }
  const kafka = createKafka({
    brokers: plan.brokers,
    clientId: `eddy-${plan.appId}-state`,
    settings: appKafkaSettings(module).client,
  });
  const admin = new KafkaAdmin(kafka);
  try {
    await admin.connect();
  } catch (error) {
    output.err(`eddy: cannot reach Kafka at ${plan.brokers.join(",")}: ${describeError(error)}`);
    return EXIT.failed;
  }
  try {
    return action === "export"
      ? await exportState(kafka, admin, plan, values.function as string | undefined, output)
      : await importState(kafka, admin, plan, files[0], text!, output);
  } catch (error) {
    output.err(`eddy: state ${action} failed: ${describeError(error)}`);
    return EXIT.failed;
  } finally {
    await admin.disconnect();
  }
}

async function exportState(
  kafka: Kafka,
  admin: KafkaAdmin,
  plan: AppPlan,
  only: string | undefined,
  output: CliOutput,
): Promise<number> {
  const topic = plan.changelogTopic;
  if (await admin.partitionCount(topic) === undefined) {
    output.err(`eddy: app ${plan.appId} has no changelog (${topic} does not exist on ${plan.brokers.join(",")})`);
    return EXIT.failed;
  }
  // The latest record of each key wins; a tombstone deletes (what compaction keeps, whether or not it ran yet).
  const latest = new Map<string, { key: Uint8Array; value: Uint8Array | null }>();
  await readChangelog(kafka, admin, topic, ({ key, value }) => {
    latest.set(Buffer.from(key).toString("base64"), { key, value });
  });
  const lines: { order: string; text: string }[] = [];
  let unreadable = 0;
  for (const { key, value } of latest.values()) {
    try {
      const line = stateLineOfRecord(key, value);
      if (line === undefined || (only !== undefined && line.function !== only)) continue;
      lines.push({ order: JSON.stringify([line.function, line.id, line.state]), text: formatStateLine(line) });
    } catch {
      unreadable++;
    }
  }
  lines.sort((a, b) => a.order < b.order ? -1 : a.order > b.order ? 1 : 0);
  for (const line of lines) output.out(line.text);
  output.err(
    `exported ${lines.length} state value(s) of app ${plan.appId} from ${topic}` +
      (unreadable > 0 ? `; ${unreadable} record(s) were not changelog records and are left out` : ""),
  );
  return EXIT.ok;
}

async function importState(
  kafka: Kafka,
  admin: KafkaAdmin,
  plan: AppPlan,
  file: string,
  text: string,
  output: CliOutput,
): Promise<number> {
  const { lines, issues } = parseStateLines(text);
  if (issues.length > 0) {
    for (const issue of issues) output.err(`${file}:${issue.line}: ${issue.message}`);
    output.err(`eddy: ${issues.length} bad line(s) in ${file}: nothing imported`);
    return EXIT.failed;
  }
  const members = await admin.groupMembers(plan.appId);
  if (members.length > 0) {
    output.err(`eddy: refusing to import: app ${plan.appId} is running (members ${members.join(", ")}); stop it first`);
    return EXIT.failed;
  }
  // N as the app's first start fixes it: the mailbox's partitions, else the largest ingress partition count.
  let taskCount = await admin.partitionCount(plan.mailboxTopic);
  if (taskCount === undefined) {
    const counts: number[] = [];
    for (const topic of plan.routes.keys()) {
      const count = await admin.partitionCount(topic);
      if (count === undefined) {
        output.err(`eddy: ingress topic ${topic} does not exist on ${plan.brokers.join(",")}: create it first`);
        return EXIT.failed;
      }
      counts.push(count);
    }
    taskCount = Math.max(...counts);
  }
  const log = new Logger({ write: (line) => output.err(line) });
  await ensureInternalTopics(admin, plan, taskCount, {}, log);
  const now = Date.now();
  const records = lines.map((line) => recordOfStateLine(line, taskCount, now));
  await writeChangelog(kafka, plan.changelogTopic, `eddy-${plan.appId}-state-import`, records);
  output.out(
    `imported ${records.length} state value(s) into ${plan.changelogTopic} (app ${plan.appId}, ${taskCount} tasks): ` +
      "the next start restores them",
  );
  return EXIT.ok;
}

/**
 * `eddy reset`: starts an app over. Deletes the committed offsets (the app's
 * group and its ingresses' groups) and the internal topics (state, timers,
 * pending messages), so the next start applies the startup positions again.
 * Refuses while any instance of the app runs.
 *
 * @module
 */

import { KafkaAdmin } from "../kafka/admin.ts";
import { appKafkaSettings } from "../kafka/app_settings.ts";
import { createKafka } from "../kafka/client.ts";
import { AppPlanError, planApp } from "../runtime/app_plan.ts";
import { describeError } from "../runtime/logger.ts";
import { formatIssue, SpecError } from "../spec/issues.ts";
import { loadModuleSpec, ModuleReadError } from "../spec/load.ts";
import { parseFlags } from "./args.ts";
import { type CliOutput, EXIT, UsageError } from "./output.ts";

/** Usage of `eddy reset`. */
export const RESET_USAGE = `Usage: eddy reset --module <module.yaml> [--app-id <id>] --yes

Starts the module's app over: deletes its consumer groups' committed offsets
(the app's group and every ingress's group) and its internal topics
(<app>-mailbox, <app>-changelog: all state, pending timers and messages).
The next 'eddy run' applies the ingresses' startup positions again.

Options:
  --module <file>  the module spec                                   EDDY_MODULE
  --app-id <id>    the app id, as given to 'eddy run'                EDDY_APP_ID
  --yes            really delete (without it, only says what would go)
  -h, --help       show this help

Refuses while an instance of the app is running. Exit codes: 0 reset,
1 refused or failed, 2 wrong command line.`;

/** Runs `eddy reset`. */
export async function resetCommand(args: string[], output: CliOutput): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    module: { type: "string" },
    "app-id": { type: "string" },
    yes: { type: "boolean" },
  }, RESET_USAGE);
  if (values.help) {
    output.out(RESET_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, RESET_USAGE);
  const modulePath = (values.module as string | undefined) ?? Deno.env.get("EDDY_MODULE");
  if (!modulePath) throw new UsageError("--module is required", RESET_USAGE);
  const appId = (values["app-id"] as string | undefined) ?? (Deno.env.get("EDDY_APP_ID") || undefined);
  try {
    const module = await loadModuleSpec(modulePath);
    const plan = planApp(module, appId);
    // The app's own client settings (security, timeouts): a secured cluster needs them to reset as to run.
    const client = appKafkaSettings(module).client;
    const groups = [...new Set([plan.appId, ...[...plan.routes.values()].map((route) => route.groupId)])];
    const topics = [plan.mailboxTopic, plan.changelogTopic];
    const what = `app ${plan.appId}: consumer groups ${groups.join(", ")} and topics ${topics.join(", ")}`;
    if (values.yes !== true) {
      output.err(`eddy reset would delete ${what} on ${plan.brokers.join(",")}; run again with --yes to do it`);
      return EXIT.failed;
    }
    let admin: KafkaAdmin;
    try {
      admin = new KafkaAdmin(
        createKafka({ brokers: plan.brokers, clientId: `eddy-${plan.appId}-reset`, settings: client }),
      );
      await admin.connect();
    } catch (error) {
      output.err(`eddy: cannot reach Kafka at ${plan.brokers.join(",")}: ${describeError(error)}`);
      return EXIT.failed;
    }
    try {
      for (const group of groups) {
        const members = await admin.groupMembers(group);
        if (members.length > 0) {
          output.err(`eddy: refusing to reset: group ${group} has members (${members.join(", ")}); stop them first`);
          return EXIT.failed;
        }
      }
      await admin.deleteGroups(groups);
      const deleted = await admin.deleteTopics(topics);
      output.out(`reset ${what} (topics deleted: ${deleted.length === 0 ? "none existed" : deleted.join(", ")})`);
      return EXIT.ok;
    } finally {
      await admin.disconnect();
    }
  } catch (error) {
    if (error instanceof SpecError) error.issues.forEach((issue) => output.err(formatIssue(issue)));
    else if (error instanceof ModuleReadError || error instanceof AppPlanError) output.err(`eddy: ${error.message}`);
    else throw error;
    return EXIT.failed;
  }
}

/**
 * The settings table and what comes from it: parsing (flag over environment variable, errors naming the flag),
 * serve()'s defaults, the usage text, and docs/cli.md's settings table, which must match the table row for row.
 */

import { deepEqual, equal, fail, match, ok, throws } from "node:assert/strict";
import { DEFAULT_HISTORY_INTERVAL_MS, DEFAULT_PROCESSING_GUARANTEE } from "../runtime/options.ts";
import { DEFAULT_TASK_LIMITS } from "../runtime/task/types.ts";
import {
  readRunSettings,
  RUN_SETTINGS,
  runSettingsUsage,
  SERVE_DEFAULTS,
  SettingError,
  SETTINGS_TABLE_HEADER,
  settingsTable,
  settingsTableRows,
  withDefaults,
} from "./settings.ts";

const noEnv = () => undefined;

Deno.test("settings: a flag wins over its environment variable; empty values count as not given", () => {
  const env = (name: string) =>
    ({ EDDY_COMMIT_INTERVAL: "2s", EDDY_LOG_LEVEL: "debug", EDDY_APP_ID: "" } as Record<string, string>)[name];
  deepEqual(readRunSettings({ "commit-interval": "250ms", "app-id": "" }, env), {
    commitIntervalMs: 250,
    logLevel: "debug",
  });
});

Deno.test("settings: each value is parsed into its serve() option", () => {
  deepEqual(
    readRunSettings({
      module: "m.yaml",
      functions: "f.ts",
      "processing-guarantee": "at-least-once",
      "unroutable-records": "skip,com.example/orders=dead-letter:dlq",
      "failed-messages": "dead-letter:failed",
      "internal-replication": "3",
      "internal-topic-config": "min.insync.replicas=2, retention.ms=1000",
      "control-allowed-hosts": "a.example, b.example",
      "history-interval": "2s",
    }, noEnv),
    {
      module: "m.yaml",
      functions: "f.ts",
      processingGuarantee: "at-least-once",
      unroutableRecords: { type: "skip" },
      unroutableRecordsByIngress: { "com.example/orders": { type: "dead-letter", topic: "dlq" } },
      failedMessages: { type: "dead-letter", topic: "failed" },
      internalTopics: { replicationFactor: 3, configs: { "min.insync.replicas": "2", "retention.ms": "1000" } },
      controlAllowedHosts: ["a.example", "b.example"],
      historyIntervalMs: 2_000,
    },
  );
});

Deno.test("settings: a value a setting cannot use is a SettingError naming the flag", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ "processing-guarantee": "maybe" }, /--processing-guarantee must be one of exactly-once, at-least-once/],
    [{ "commit-interval": "0ms" }, /--commit-interval must be positive/],
    [{ "commit-interval": "soon" }, /--commit-interval: /],
    [{ "failed-messages": "skip" }, /--failed-messages must be stop or dead-letter:<topic>, not "skip"/],
    [{ "internal-replication": "0" }, /--internal-replication must be a positive integer/],
    [{ "internal-topic-config": "Bad Name=1" }, /is not a Kafka topic config name/],
    [{ "log-format": "xml" }, /--log-format must be one of text, json/],
    [{ "history-interval": "50ms" }, /--history-interval must be at least 100ms .*, not 50ms/],
    [{ "history-interval": "often" }, /--history-interval: /],
  ];
  for (const [flags, message] of cases) {
    throws(
      () => readRunSettings(flags, noEnv),
      (error) => error instanceof SettingError && message.test(error.message),
    );
  }
});

Deno.test("settings: serve()'s defaults are the table's, the runtime's own defaults among them", () => {
  deepEqual(SERVE_DEFAULTS, {
    processingGuarantee: DEFAULT_PROCESSING_GUARANTEE,
    commitIntervalMs: DEFAULT_TASK_LIMITS.commitIntervalMs,
    traceEvery: DEFAULT_TASK_LIMITS.traceEvery,
    shutdownTimeoutMs: 30_000,
    logFormat: "text",
    logLevel: "info",
    unroutableRecords: DEFAULT_TASK_LIMITS.unroutableRecords,
    unroutableRecordsByIngress: {},
    failedMessages: DEFAULT_TASK_LIMITS.failedMessages,
    controlAddr: "127.0.0.1:9870",
    historyIntervalMs: DEFAULT_HISTORY_INTERVAL_MS,
  });
  const resolved = withDefaults({ module: "m.yaml", commitIntervalMs: 5, logLevel: undefined });
  equal(resolved.commitIntervalMs, 5);
  equal(resolved.logLevel, "info", "undefined counts as not given");
});

Deno.test("settings: every setting has a flag, a variable named after it, a default or what applies, and a doc", () => {
  for (const setting of RUN_SETTINGS) {
    equal(setting.env, `EDDY_${setting.flag.slice(2).toUpperCase().replaceAll("-", "_")}`);
    ok((setting.default === undefined) !== (setting.otherwise === undefined), setting.flag);
    ok(setting.doc.length > 0 && !setting.doc.includes("\n"), setting.flag);
    if (setting.default !== undefined) setting.parse(setting.default); // a default parses
  }
  const usage = runSettingsUsage();
  for (const setting of RUN_SETTINGS) match(usage, new RegExp(`${setting.flag} .*${setting.env}`));
  for (const line of usage.split("\n")) ok(line.length <= 80, `usage lines fit 80 columns: ${line}`);
});

/** The cells of a markdown table row (`\|` stays inside a cell). */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split(/(?<!\\)\|/).map((cell) => cell.trim());
}

Deno.test("settings: docs/cli.md's settings table is the settings table", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/cli.md", import.meta.url));
  const lines = doc.split("\n");
  const start = lines.findIndex((line) => line.startsWith("|") && deepEqualish(cells(line), SETTINGS_TABLE_HEADER));
  if (start < 0) fail(`docs/cli.md has no settings table; paste this one in:\n\n${settingsTable()}\n`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(cells(line).map((cell) => cell.replaceAll("\\|", "|")));
  }
  const expected = settingsTableRows();
  if (JSON.stringify(rows) !== JSON.stringify(expected)) {
    fail(
      `docs/cli.md's settings table differs from src/serve/settings.ts; replace it with this one (then deno fmt):` +
        `\n\n${settingsTable()}\n`,
    );
  }
});

function deepEqualish(a: string[], b: string[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

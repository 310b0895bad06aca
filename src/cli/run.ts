/**
 * `eddy run`: runs a module's app until SIGINT or SIGTERM. Its settings — flags,
 * environment variables, defaults and their parsing — are the table in
 * src/serve/settings.ts; the module's `address` is the only source of brokers.
 *
 * @module
 */

import { ControlServerError } from "../control/server.ts";
import { RemoteEndpointError } from "../remote/endpoints.ts";
import { AppPlanError } from "../runtime/app_plan.ts";
import type { FunctionSource } from "../runtime/runtime.ts";
import { RuntimeError } from "../runtime/errors.ts";
import { serve } from "../serve/serve.ts";
import { readRunSettings, RUN_SETTINGS, type RunOptions, runSettingsUsage, SettingError } from "../serve/settings.ts";
import { formatIssue, SpecError } from "../spec/issues.ts";
import { ModuleReadError } from "../spec/load.ts";
import { parseFlags } from "./args.ts";
import { type CliOutput, EXIT, UsageError } from "./output.ts";

/** Usage of `eddy run`: its options come from the settings table (src/serve/settings.ts). */
export const RUN_USAGE = `Usage: eddy run --module <module.yaml> [--functions <functions.ts>] [options]

Runs the module's app: consumes its ingresses, invokes the functions, keeps
their state in Kafka and writes to its egresses, until SIGINT or SIGTERM.

Options (a flag wins over its environment variable, which wins over the
default):
${runSettingsUsage()}

Brokers come from the module (the ingresses' address). Durations are StateFun
durations: 100ms, 30s, 1min.

Exit codes: 0 stopped cleanly, 1 could not start or stopped with work
abandoned, 2 wrong command line.`;

const FLAGS = Object.fromEntries(
  RUN_SETTINGS.map((setting) => [setting.flag.slice(2), { type: "string" as const }]),
);

/** Runs `eddy run`. */
export async function runCommand(args: string[], output: CliOutput): Promise<number> {
  const { values, positionals } = parseFlags(args, FLAGS, RUN_USAGE);
  if (values.help) {
    output.out(RUN_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, RUN_USAGE);
  let settings: RunOptions;
  try {
    settings = readRunSettings(values, (name) => Deno.env.get(name));
  } catch (error) {
    if (error instanceof SettingError) throw new UsageError(error.message, RUN_USAGE);
    throw error;
  }
  const { module, functions: functionsPath, ...options } = settings;
  if (module === undefined) throw new UsageError("--module is required", RUN_USAGE);

  try {
    const functions = functionsPath === undefined ? undefined : await loadFunctions(functionsPath);
    const app = await serve({ ...options, module, functions });
    return await app.finished;
  } catch (error) {
    if (error instanceof SpecError) error.issues.forEach((issue) => output.err(formatIssue(issue)));
    else if (
      error instanceof ModuleReadError || error instanceof AppPlanError || error instanceof RuntimeError ||
      error instanceof FunctionsError || error instanceof ControlServerError || error instanceof RemoteEndpointError
    ) output.err(`eddy: ${error.message}`);
    else throw error;
    return EXIT.failed;
  }
}

/** The functions module cannot be used. */
export class FunctionsError extends Error {
  /** @param message What is wrong. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FunctionsError";
  }
}

/**
 * Imports a functions module; its default export must be a StateFun instance
 * (checked by shape: the user's module may import the SDK from another URL).
 */
export async function loadFunctions(path: string): Promise<FunctionSource> {
  const url = /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : new URL(path, `file://${Deno.cwd()}/`).href;
  let module: { default?: unknown };
  try {
    module = await import(url);
  } catch (error) {
    throw new FunctionsError(`cannot load the functions module ${path}: ${(error as Error).message}`, { cause: error });
  }
  const functions = module.default as Partial<FunctionSource> | undefined;
  if (typeof functions?.functionSpec !== "function") {
    throw new FunctionsError(
      `${path} must export a StateFun instance as its default export (export default functions)`,
    );
  }
  return functions as FunctionSource;
}

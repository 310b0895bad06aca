/**
 * The `eddy` command line: dispatches to commands, turns usage errors into
 * exit code 2 with the usage text, and never shows a stack trace for a user's
 * mistake.
 *
 * @module
 */

import { moduleJsonSchema } from "../spec/json_schema.ts";
import { STATEFUN_VERSION, VERSION } from "../version.ts";
import { parseFlags } from "./args.ts";
import { type CliOutput, EXIT, processOutput, UsageError } from "./output.ts";
import { RESET_USAGE, resetCommand } from "./reset.ts";
import { RUN_USAGE, runCommand } from "./run.ts";
import { STATE_USAGE, stateCommand } from "./state.ts";
import { STATUS_USAGE, statusCommand } from "./status.ts";
import { VALIDATE_USAGE, validateCommand } from "./validate.ts";

/** Usage of `eddy`. */
export const USAGE =
  `Eddy ${VERSION}: stateful functions on Kafka, compatible with Apache Flink Stateful Functions ${STATEFUN_VERSION}

Usage: eddy <command> [options]

Commands:
  run --module <module.yaml> [--functions <functions.ts>]
                             run the module's app until SIGINT/SIGTERM
  status [--url <url>]       a running instance's status and ingress lag
  reset --module <module.yaml> --yes
                             start an app over (offsets, state, timers)
  validate <module.yaml>...  check module specs and summarize them
  validate --against <running.yaml> <new.yaml>
                             what each change needs: a roll, a full stop or a reset
  state export|import --module <module.yaml>
                             an app's state out of its changelog, or into it
  schema                     print the JSON Schema of module spec documents
  version                    print the version
  help [command]             show help for a command

Run 'eddy <command> --help' for a command's options.`;

const SCHEMA_USAGE = `Usage: eddy schema

Prints the JSON Schema (draft 2020-12) of one module spec document, for YAML
editors (e.g. yaml-language-server: # yaml-language-server: $schema=eddy.schema.json).`;

const VERSION_USAGE = `Usage: eddy version

Prints Eddy's version, the StateFun version it follows and the Deno version.`;

type Command = { usage: string; run(args: string[], output: CliOutput): Promise<number> | number };

const COMMANDS: Record<string, Command> = {
  run: { usage: RUN_USAGE, run: runCommand },
  reset: { usage: RESET_USAGE, run: resetCommand },
  state: { usage: STATE_USAGE, run: stateCommand },
  status: { usage: STATUS_USAGE, run: statusCommand },
  validate: { usage: VALIDATE_USAGE, run: validateCommand },
  schema: {
    usage: SCHEMA_USAGE,
    run(args, output) {
      if (parseFlags(args, {}, SCHEMA_USAGE).values.help) output.out(SCHEMA_USAGE);
      else output.out(JSON.stringify(moduleJsonSchema(), null, 2));
      return EXIT.ok;
    },
  },
  version: {
    usage: VERSION_USAGE,
    run(args, output) {
      if (parseFlags(args, {}, VERSION_USAGE).values.help) output.out(VERSION_USAGE);
      else output.out(`eddy ${VERSION} (StateFun ${STATEFUN_VERSION} compatible, deno ${Deno.version.deno})`);
      return EXIT.ok;
    },
  },
};

/**
 * Runs the CLI and returns the exit code.
 *
 * @example
 * ```ts
 * import { runCli } from "./main.ts";
 *
 * const code = await runCli(["version"]); // prints the version; 0
 * if (code !== 0) throw new Error(`eddy version exited ${code}`);
 * ```
 * @param args The arguments after the program name.
 * @param output Where to write (the process's stdout/stderr by default).
 */
export async function runCli(args: string[], output: CliOutput = processOutput): Promise<number> {
  const [name, ...rest] = args;
  try {
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      const topic = name === "help" ? rest[0] : undefined;
      if (topic === undefined) output.out(USAGE);
      else if (Object.hasOwn(COMMANDS, topic)) output.out(COMMANDS[topic].usage);
      else throw new UsageError(`unknown command ${JSON.stringify(topic)}`, USAGE);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "--version" || name === "-V") return await COMMANDS.version.run([], output);
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`, USAGE);
    return await command.run(rest, output);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.err(`eddy: ${error.message}\n\n${error.usage}`);
    return EXIT.usage;
  }
}

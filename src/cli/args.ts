/**
 * Command-line flags, parsed strictly: an unknown flag is a usage error, not
 * something silently ignored.
 *
 * @module
 */

import { parseArgs as parseNodeArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./output.ts";

/** Flag definitions, as node:util parseArgs takes them. */
export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a command's arguments; `--help`/`-h` is always accepted.
 *
 * @throws {UsageError} for an unknown flag or a flag missing its value.
 */
export function parseFlags<O extends FlagOptions>(
  args: string[],
  options: O,
  usage: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseNodeArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ""), usage);
  }
}

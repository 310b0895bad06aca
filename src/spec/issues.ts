/**
 * Problems found in a module spec: each names the file, line and column, the
 * field path and what was expected, so a user can fix the file without
 * reading Eddy's code.
 *
 * @module
 */

/** A place in a module spec file (1-based line and column). */
export interface SourceLocation {
  /** The file as the user named it. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

/** One problem in a module spec. Warnings do not stop loading unless `strict` is set. */
export interface SpecIssue {
  /** `error` stops loading; `warning` is reported and loading goes on. */
  severity: "error" | "warning";
  /** Where in the file the problem is. */
  at: SourceLocation;
  /** The field path inside the file, e.g. `spec.topics[0].targets[1]`; empty for the whole document. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
}

/** Thrown when a module spec cannot be loaded; carries every error found, not only the first. */
export class SpecError extends Error {
  /** All problems found, errors and warnings, in file order. */
  readonly issues: readonly SpecIssue[];

  /**
   * Creates it.
   *
   * @param issues The problems found; at least one is an error (or a warning under `strict`).
   */
  constructor(issues: readonly SpecIssue[]) {
    const errors = issues.filter((issue) => issue.severity === "error");
    const shown = errors.length > 0 ? errors : issues;
    super(
      `invalid module spec (${shown.length} problem${shown.length === 1 ? "" : "s"}):\n` +
        shown.map(formatIssue).join("\n"),
    );
    this.name = "SpecError";
    this.issues = issues;
  }
}

/**
 * Formats an issue the way compilers do, so editors and terminals can jump to it:
 * `file:line:column: error: path: message`.
 *
 * @example
 * ```ts
 * formatIssue({
 *   severity: "error",
 *   at: { file: "module.yaml", line: 3, column: 7 },
 *   path: "spec.id",
 *   message: "required field is missing",
 * }); // "module.yaml:3:7: error: spec.id: required field is missing"
 * ```
 */
export function formatIssue(issue: SpecIssue): string {
  const where = `${issue.at.file}:${issue.at.line}:${issue.at.column}`;
  const path = issue.path === "" ? "" : `${issue.path}: `;
  // One issue, one line: a value with a line break echoed in a message cannot forge another issue line.
  return `${where}: ${issue.severity}: ${path}${issue.message}`.replace(
    /[\r\n\u2028\u2029]/g,
    (c) => JSON.stringify(c).slice(1, -1),
  );
}

/** Formats a field path as a user reads it: `spec.topics[0].targets[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** Orders issues by file position, errors before warnings at the same place. */
export function compareIssues(a: SpecIssue, b: SpecIssue): number {
  return a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line ||
    a.at.column - b.at.column || a.severity.localeCompare(b.severity);
}

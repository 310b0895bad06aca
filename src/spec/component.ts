/**
 * A component (`kind` + `spec`) found in a module file, wherever in the file it
 * came from, and the reporting scope its parser writes problems to.
 *
 * @module
 */

import type { z } from "../deps.ts";
import { formatPath, type SourceLocation, type SpecIssue } from "./issues.ts";
import type { FieldPath, YamlDocument } from "./yaml_source.ts";

/** One component of a module, before its spec is parsed. */
export interface Component {
  /** The kind, legacy kinds already translated (`http` → `io.statefun.endpoints.v1/http`). */
  kind: string;
  /** The spec as plain data. */
  spec: unknown;
  /** Where the component starts. */
  at: SourceLocation;
  /** The document it came from. */
  document: YamlDocument;
  /** Where the kind is written in the document (`kind`, or a legacy entry's `meta.type`). */
  kindPath: FieldPath;
  /** Maps a path inside `spec` to the path in the document (legacy specs get `id` from `meta.id`). */
  documentPath(path: FieldPath): FieldPath;
}

/** Collects problems of one component, located in its file. */
export class ComponentScope {
  /**
   * @param component The component being parsed.
   * @param issues Where problems are appended.
   */
  constructor(readonly component: Component, readonly issues: SpecIssue[]) {}

  /** Reports an error at a path inside the spec. */
  error(path: FieldPath, message: string): void {
    this.#report("error", path, message);
  }

  /** Reports a warning at a path inside the spec. */
  warn(path: FieldPath, message: string): void {
    this.#report("warning", path, message);
  }

  /** Reports an error at a path of the document, outside the spec. */
  errorInDocument(documentPath: FieldPath, message: string): void {
    this.issues.push({
      severity: "error",
      at: this.component.document.locate(documentPath),
      path: formatPath(documentPath),
      message,
    });
  }

  #report(
    severity: SpecIssue["severity"],
    path: FieldPath,
    message: string,
  ): void {
    const documentPath = this.component.documentPath(path);
    this.issues.push({
      severity,
      at: this.component.document.locate(documentPath),
      path: formatPath(documentPath),
      message,
    });
  }

  /**
   * Validates `value` (at `path` inside the spec) against a schema. Unknown fields
   * are warnings, as StateFun ignores them; anything else is an error.
   *
   * @returns the parsed value, or undefined when there were errors.
   */
  parse<S extends z.ZodType>(
    schema: S,
    value: unknown,
    path: FieldPath = [],
  ): z.output<S> | undefined {
    let result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    const unknown = result.error.issues.filter((issue) => issue.code === "unrecognized_keys");
    const others = result.error.issues.filter((issue) => issue.code !== "unrecognized_keys");
    for (const issue of others) {
      this.error([...path, ...issue.path as FieldPath], describeIssue(issue));
    }
    for (const issue of unknown) {
      for (const key of (issue as z.core.$ZodIssueUnrecognizedKeys).keys) {
        this.warn(
          [...path, ...issue.path as FieldPath, key],
          `unknown field "${key}" is ignored (as StateFun does)`,
        );
      }
    }
    if (others.length > 0) return undefined;
    result = schema.safeParse(
      withoutKeys(value, unknown as z.core.$ZodIssueUnrecognizedKeys[]),
    );
    if (result.success) return result.data;
    // Removing unknown fields can uncover further errors (inside unions): report them too.
    for (const issue of result.error.issues) {
      this.error([...path, ...issue.path as FieldPath], describeIssue(issue));
    }
    return undefined;
  }
}

/** Turns a zod issue into a sentence for a user who wrote YAML, not TypeScript; our own messages pass through. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_union")) {
    return issue.code === "invalid_type" && issue.expected !== "nonoptional"
      ? `required field is missing (expected ${issue.expected})`
      : "required field is missing";
  }
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
    return `expected ${issue.expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === "too_small" && issue.message.startsWith("Too small")) {
    if (issue.origin === "array") return `must have at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
    if (issue.origin === "string") return "must not be empty";
    return `must be at least ${issue.minimum}, got ${describeValue(issue.input)}`;
  }
  return issue.message;
}

/** Describes a YAML value briefly: `a list`, `the text "abc"`, `the number 3`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null (an empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `the text ${JSON.stringify(value)}`;
  return `the ${typeof value} ${String(value)}`;
}

function withoutKeys(
  value: unknown,
  issues: z.core.$ZodIssueUnrecognizedKeys[],
): unknown {
  const copy = structuredClone(value);
  for (const issue of issues) {
    let target = copy as Record<PropertyKey, unknown>;
    for (const segment of issue.path) {
      target = target[segment] as Record<PropertyKey, unknown>;
    }
    for (const key of issue.keys) delete target[key];
  }
  return copy;
}

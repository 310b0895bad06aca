/**
 * Finds the components of a module file in either of StateFun's formats: the
 * single-document legacy `version: "3.0"` module, or one `kind:`/`spec:`
 * document per component (null documents skipped). Legacy kinds are translated
 * as StateFun translates them, and a legacy `meta.id` becomes `spec.id`.
 *
 * @module
 */

import { z } from "../deps.ts";
import { type Component, ComponentScope } from "./component.ts";
import type { SpecIssue } from "./issues.ts";
import { parseTypeName } from "./typename.ts";
import type { FieldPath, YamlDocument } from "./yaml_source.ts";

/** The components of a file and which format it used. */
export interface ModuleComponents {
  /** The file's format. */
  format: "legacy-3.0" | "components";
  /** The components in binding order (legacy: endpoints, ingresses, egresses). */
  components: Component[];
}

const LEGACY_KINDS: Readonly<Record<string, string>> = {
  "http": "io.statefun.endpoints.v1/http",
  "io.statefun.kafka/ingress": "io.statefun.kafka.v1/ingress",
  "io.statefun.kafka/egress": "io.statefun.kafka.v1/egress",
  "io.statefun.kinesis/ingress": "io.statefun.kinesis.v1/ingress",
  "io.statefun.kinesis/egress": "io.statefun.kinesis.v1/egress",
};

const legacyEntries = (key: "endpoint" | "ingress" | "egress") => {
  const meta = key === "endpoint"
    ? z.strictObject({ kind: z.string() })
    : z.strictObject({ type: z.string(), id: z.string().optional() });
  return z.array(
    z.strictObject({ [key]: z.strictObject({ meta, spec: z.unknown() }) }),
  ).nullish();
};

/** The input schema of the legacy `version: "3.0"` format's envelope. */
export const legacyModuleSchema = z.strictObject({
  version: z.literal("3.0"),
  module: z.strictObject({
    meta: z.strictObject({ type: z.string() }),
    spec: z.strictObject({
      endpoints: legacyEntries("endpoint"),
      ingresses: legacyEntries("ingress"),
      egresses: legacyEntries("egress"),
    }),
  }),
});

const componentSchema = z.strictObject({ kind: z.string(), spec: z.unknown() });

/**
 * Finds the components of a file's documents; problems go to `issues`.
 *
 * @param documents The file's YAML documents.
 * @param issues Where problems are appended.
 */
export function findComponents(
  documents: YamlDocument[],
  issues: SpecIssue[],
): ModuleComponents {
  const present = documents.filter((document) => document.value !== null);
  const first = present[0]?.value as Record<string, unknown> | undefined;
  if (present.length === 1 && isObject(first) && "version" in first) {
    return {
      format: "legacy-3.0",
      components: legacyComponents(present[0], issues),
    };
  }
  return {
    format: "components",
    components: present.flatMap((document) => documentComponent(document, issues)),
  };
}

function documentComponent(
  document: YamlDocument,
  issues: SpecIssue[],
): Component[] {
  const scope = new ComponentScope(wholeDocument(document), issues);
  const value = document.value as Record<string, unknown>;
  if (isObject(value) && value.kind === "ConfigMap" && isObject(value.data)) {
    scope.error(
      ["kind"],
      'this is a Kubernetes ConfigMap, not a module spec; give Eddy the module file itself (its data."module.yaml")',
    );
    return [];
  }
  if (isObject(value) && "version" in value) {
    scope.error(["version"], 'a `version:` module must be the only document of its file (StateFun\'s "3.0" format)');
    return [];
  }
  const parsed = scope.parse(componentSchema, value);
  if (parsed === undefined) return [];
  if (!checkTypeName(scope, ["kind"], parsed.kind, "kind")) return [];
  return [{
    kind: parsed.kind,
    spec: parsed.spec,
    at: document.locate(["kind"]),
    document,
    kindPath: ["kind"],
    documentPath: (path) => ["spec", ...path],
  }];
}

function legacyComponents(
  document: YamlDocument,
  issues: SpecIssue[],
): Component[] {
  const scope = new ComponentScope(wholeDocument(document), issues);
  const version = (document.value as Record<string, unknown>).version;
  if (typeof version !== "string") {
    scope.error(
      ["version"],
      typeof version === "number"
        // YAML reads 3.0 as the number 3: suggest what was written, with its decimal.
        ? `version must be a string: write version: "${
          Number.isInteger(version) ? version.toFixed(1) : version
        }" with quotes`
        : `version must be a string such as "3.0", got ${
          version === null
            ? "nothing"
            : Array.isArray(version)
            ? "a list"
            : typeof version === "object"
            ? "a map"
            : JSON.stringify(version)
        }`,
    );
    return [];
  }
  if (version !== "3.0") {
    scope.error(
      ["version"],
      ["1.0", "2.0"].includes(version)
        ? `format version ${version} is not supported; only "3.0" and the multi-document kind/spec format are`
        : `unrecognized format version "${version}"; use "3.0" or the multi-document kind/spec format`,
    );
    return [];
  }
  const module = scope.parse(legacyModuleSchema, document.value);
  if (module === undefined) return [];
  if (module.module.meta.type.toLowerCase() !== "remote") {
    scope.error(
      ["module", "meta", "type"],
      `module type must be "remote", got "${module.module.meta.type}"`,
    );
    return [];
  }
  const components: Component[] = [];
  for (
    const [list, key, kindField] of [["endpoints", "endpoint", "kind"], [
      "ingresses",
      "ingress",
      "type",
    ], [
      "egresses",
      "egress",
      "type",
    ]] as const
  ) {
    const entries = (module.module.spec[list] ?? []) as Record<
      string,
      { meta: Record<string, string>; spec: unknown }
    >[];
    entries.forEach((entry, index) => {
      const base: FieldPath = ["module", "spec", list, index, key];
      const { meta, spec } = entry[key];
      // Own keys only: a kind named after an Object.prototype member (`toString`) is no legacy kind.
      const legacy = Object.hasOwn(LEGACY_KINDS, meta[kindField]);
      const kind = legacy ? LEGACY_KINDS[meta[kindField]] : meta[kindField];
      if (
        !legacy &&
        !checkTypeName(scope, [...base, "meta", kindField], kind, kindField)
      ) {
        return;
      }
      const withId = key !== "endpoint";
      if (withId && meta.id === undefined) {
        scope.error(
          [...base, "meta", "id"],
          "required field is missing (expected the <namespace>/<name> id)",
        );
        return;
      }
      components.push({
        kind,
        spec: withId && isObject(spec) ? { ...spec, id: meta.id } : spec,
        at: document.locate(base),
        document,
        kindPath: [...base, "meta", kindField],
        documentPath: (path) => withId && path[0] === "id" ? [...base, "meta", "id"] : [...base, "spec", ...path],
      });
    });
  }
  return components;
}

function checkTypeName(
  scope: ComponentScope,
  path: FieldPath,
  text: string,
  field: string,
): boolean {
  try {
    parseTypeName(text);
    return true;
  } catch (error) {
    scope.error(path, `invalid ${field}: ${(error as Error).message}`);
    return false;
  }
}

/** A pseudo-component covering a whole document, for problems in the envelope. */
function wholeDocument(document: YamlDocument): Component {
  return {
    kind: "",
    spec: document.value,
    at: document.start,
    document,
    kindPath: [],
    documentPath: (path) => path,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * StateFun type names: `<namespace>/<name>`, used for function types, ingress
 * and egress ids and component kinds.
 *
 * @module
 */

/** A parsed `<namespace>/<name>`. */
export interface TypeName {
  /** The part before the slash, e.g. `com.example`. */
  namespace: string;
  /** The part after the slash, e.g. `greeter`. */
  name: string;
}

/**
 * Parses `<namespace>/<name>` as StateFun does (exactly one `/`), and also
 * requires both parts to be non-empty, as the official SDKs do.
 *
 * @example
 * ```ts
 * parseTypeName("com.example/greeter"); // { namespace: "com.example", name: "greeter" }
 * // parseTypeName("a/b/c") throws a TypeError
 * ```
 * @throws {TypeError} naming the input and the expected format.
 */
export function parseTypeName(text: string): TypeName {
  const parts = text.split("/");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    throw new TypeError(
      `invalid type name "${text}": expected <namespace>/<name> with exactly one "/" and both parts non-empty`,
    );
  }
  return { namespace: parts[0], name: parts[1] };
}

/** Formats a type name back to `<namespace>/<name>`. */
export function formatTypeName(typeName: TypeName): string {
  return `${typeName.namespace}/${typeName.name}`;
}

/**
 * Typenames as the official JS SDK checks them: split at the last `/`, both
 * parts non-empty (more lenient than module specs, which allow one `/` only).
 *
 * @module
 */

/**
 * Parses `<namespace>/<name>` as the JS SDK does.
 *
 * @throws {TypeError} naming the typename.
 */
export function parseSdkTypeName(typename: string): { namespace: string; name: string } {
  if (typeof typename !== "string" || typename === "") {
    throw new TypeError("typename must be provided and of the form <namespace>/<name>");
  }
  const slash = typename.lastIndexOf("/");
  const namespace = typename.slice(0, Math.max(slash, 0));
  const name = typename.slice(slash + 1);
  if (slash < 0 || namespace === "" || name === "") {
    throw new TypeError(`illegal typename "${typename}": it must be of the form <namespace>/<name>`);
  }
  return { namespace, name };
}

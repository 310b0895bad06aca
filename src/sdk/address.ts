/**
 * The address of a function instance: its type (`namespace/name`) and an id.
 *
 * @module
 */

import { parseSdkTypeName } from "./typename.ts";

/** A function instance: function type plus id. */
export class Address {
  /**
   * Creates it.
   *
   * @param namespace The function type's namespace.
   * @param name The function type's name.
   * @param id The instance id (from a Kafka ingress: the record key; may be empty).
   * @param typename `<namespace>/<name>`.
   */
  constructor(readonly namespace: string, readonly name: string, readonly id: string, readonly typename: string) {}

  /** An address from its parts. */
  static fromParts(namespace: string, name: string, id: string): Address {
    return new Address(namespace, name, id, `${namespace}/${name}`);
  }

  /**
   * An address from a typename and an id, as the JS SDK builds them for messages (the id must not be empty).
   *
   * @throws {TypeError} for a bad typename or an empty id.
   */
  static fromTypeNameId(typename: string, id: string): Address {
    if (typeof id !== "string" || id === "") throw new TypeError("id must be a non-empty string");
    const { namespace, name } = parseSdkTypeName(typename);
    return new Address(namespace, name, id, typename);
  }

  /** `namespace/name/id`, for logs. */
  toString(): string {
    return `${this.typename}/${this.id}`;
  }
}

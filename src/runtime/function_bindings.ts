/**
 * Which function runs a type: an in-process binding wins over a remote one of the module's HTTP endpoints (a user's
 * own code overrides the module); and the check, at start, that every ingress target is bound.
 *
 * @module
 */

import type { AppPlan } from "./app_plan.ts";
import { RuntimeError } from "./errors.ts";
import type { FunctionSource } from "./options.ts";
import { type CallableFunction, inProcess } from "./task/callable.ts";

/** The functions of an app, by type, resolved once each. */
export class FunctionBindings {
  readonly #callables = new Map<string, CallableFunction>();

  /**
   * Creates them.
   *
   * @param functions In-process functions, if any.
   * @param remote The remote function bound to a type, if any.
   */
  constructor(
    readonly functions: FunctionSource | undefined,
    readonly remote: ((typename: string) => CallableFunction | undefined) | undefined,
  ) {}

  /** The binding of a function type. */
  resolve(typename: string): CallableFunction | undefined {
    let callable = this.#callables.get(typename);
    if (callable === undefined) {
      const spec = this.functions?.functionSpec(typename);
      callable = spec !== undefined ? inProcess(spec) : this.remote?.(typename);
      if (callable !== undefined) this.#callables.set(typename, callable);
    }
    return callable;
  }

  /** The functions resolved so far. */
  resolved(): CallableFunction[] {
    return [...this.#callables.values()];
  }

  /**
   * Checks that every ingress target has a function.
   *
   * @throws {RuntimeError} naming the ingress (file:line) and the unbound type.
   */
  checkTargets(plan: AppPlan): void {
    for (const route of plan.routes.values()) {
      for (const target of route.targets) {
        if (this.resolve(target) !== undefined) continue;
        const at = `${route.ingress.at.file}:${route.ingress.at.line}`;
        throw new RuntimeError(
          `ingress ${route.ingress.id} (${at}) sends to ${target}, but no function is bound for it: neither an ` +
            `in-process one (--functions) nor an HTTP endpoint of the module`,
        );
      }
    }
  }
}

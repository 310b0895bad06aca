/**
 * `io.statefun.endpoints.v1/http` and `io.statefun.endpoints.v2/http`: which
 * functions an HTTP endpoint serves, its URL and its transport, with StateFun's
 * defaults and checks (v1 always uses OkHttp with `timeouts` at the spec root;
 * v2 defaults to the async transport).
 *
 * @module
 */

import { z } from "../deps.ts";
import type { ComponentScope } from "./component.ts";
import { durationField, nonEmptyTextField } from "./fields.ts";
import type { AsyncTransportSpec, FunctionTarget, HttpEndpointSpec, OkHttpTransportSpec } from "./model.ts";
import type { FieldPath } from "./yaml_source.ts";

/** The async transport's `pool_size` default (StateFun's NettyRequestReplySpec). */
export const DEFAULT_POOL_SIZE = 1024;
/** The async transport's `pool_ttl` default, ms. */
export const DEFAULT_POOL_TTL_MS = 15_000;

const OKHTTP = "io.statefun.transports.v1/okhttp";
const ASYNC = "io.statefun.transports.v1/async";
const URL_SCHEMES = ["http:", "https:", "http+unix:", "https+unix:"];

const functionsField = z.string().transform((text, ctx): FunctionTarget => {
  const parts = text.split("/");
  const [namespace, name] = parts;
  if (
    parts.length !== 2 || namespace === "" || name === "" ||
    namespace.includes("*") || (name.includes("*") && name !== "*")
  ) {
    ctx.addIssue({
      code: "custom",
      message: `invalid target functions "${text}": only <namespace>/<name> or <namespace>/* are supported`,
    });
    return z.NEVER;
  }
  return { namespace, name };
}).meta({
  description: "<namespace>/<name>, or <namespace>/* for every function of a namespace",
});

const urlPathTemplateField = z.string().superRefine((template, ctx) => {
  let url: URL;
  try {
    url = new URL(template.replaceAll("{function.name}", "name"));
  } catch {
    ctx.addIssue({ code: "custom", message: `invalid URL "${template}"` });
    return;
  }
  if (!URL_SCHEMES.includes(url.protocol)) {
    ctx.addIssue({
      code: "custom",
      message: `unsupported URL scheme "${url.protocol}" in "${template}"; use http, https, http+unix or https+unix`,
    });
  }
}).meta({
  description: "The function URL; {function.name} is replaced by the function type's name",
});

const okHttpTimeoutsField = z.strictObject({
  call: durationField.optional(),
  connect: durationField.optional(),
  read: durationField.optional(),
  write: durationField.optional(),
});

const asyncTransportField = z.strictObject({
  type: z.literal(ASYNC).optional(),
  call: durationField.optional(),
  connect: durationField.optional(),
  timeouts: z.strictObject({
    call: durationField.optional(),
    connect: durationField.optional(),
  }).optional(),
  pool_ttl: durationField.optional(),
  pool_size: z.number().int().positive().optional(),
  payload_max_bytes: z.number().int().positive().optional(),
  trust_cacerts: nonEmptyTextField.optional(),
  client_cert: nonEmptyTextField.optional(),
  client_key: nonEmptyTextField.optional(),
  client_key_password: nonEmptyTextField.optional(),
});

const okHttpTransportField = z.strictObject({
  type: z.literal(OKHTTP),
  timeouts: okHttpTimeoutsField.optional(),
});

const common = {
  functions: functionsField,
  urlPathTemplate: urlPathTemplateField,
  maxNumBatchRequests: z.number().int().optional().meta({
    description: "Per-address backlog that blocks the address (default 1000; 0 or less: no limit)",
  }),
};

/** The input schema of a v1 endpoint spec (OkHttp, `timeouts` at the root). */
export const httpEndpointV1Schema = z.strictObject({
  ...common,
  timeouts: okHttpTimeoutsField.optional(),
});

/** The input schema of a v2 endpoint spec. */
export const httpEndpointV2Schema = z.strictObject({
  ...common,
  transport: z.union([asyncTransportField, okHttpTransportField]).optional(),
});

// The transport is parsed on its own, by its type (see transportOf).
const v2ParseSchema = httpEndpointV2Schema.extend({
  transport: z.unknown().optional(),
});

/** Parses a v1 or v2 endpoint spec; problems go to `scope`. */
export function parseHttpEndpoint(
  scope: ComponentScope,
  kind: HttpEndpointSpec["kind"],
): HttpEndpointSpec | undefined {
  let transport: HttpEndpointSpec["transport"] | undefined;
  let spec: {
    functions: FunctionTarget;
    urlPathTemplate: string;
    maxNumBatchRequests?: number;
  } | undefined;
  if (kind === "io.statefun.endpoints.v1/http") {
    const v1 = scope.parse(httpEndpointV1Schema, scope.component.spec);
    spec = v1;
    if (v1 !== undefined) {
      transport = okHttpTransport(scope, v1.timeouts ?? {}, ["timeouts"]);
    }
  } else {
    const v2 = scope.parse(v2ParseSchema, scope.component.spec);
    spec = v2;
    if (v2 !== undefined) transport = transportOf(scope, v2.transport);
  }
  if (spec === undefined || transport === undefined) return undefined;
  return {
    kind,
    functions: spec.functions,
    urlPathTemplate: spec.urlPathTemplate,
    maxNumBatchRequests: spec.maxNumBatchRequests ?? 1000,
    transport,
    at: scope.component.at,
  };
}

/** A v2 `transport`, parsed by its type so an unknown field or type gets its own message. */
function transportOf(
  scope: ComponentScope,
  input: unknown,
): HttpEndpointSpec["transport"] | undefined {
  const type = (input as { type?: unknown } | null | undefined)?.type;
  if (type === OKHTTP) {
    const okHttp = scope.parse(okHttpTransportField, input, ["transport"]);
    return okHttp &&
      okHttpTransport(scope, okHttp.timeouts ?? {}, ["transport", "timeouts"]);
  }
  if (type !== undefined && type !== ASYNC) {
    scope.error(
      ["transport", "type"],
      `unknown transport type ${JSON.stringify(type)}; supported types are [${ASYNC}, ${OKHTTP}]`,
    );
    return undefined;
  }
  const async = scope.parse(asyncTransportField, input ?? {}, ["transport"]);
  return async && asyncTransport(scope, async);
}

function okHttpTransport(
  scope: ComponentScope,
  timeouts: z.output<typeof okHttpTimeoutsField>,
  path: FieldPath,
): OkHttpTransportSpec | undefined {
  const resolved = {
    callMs: timeouts.call ?? 60_000,
    connectMs: timeouts.connect ?? 10_000,
    readMs: timeouts.read ?? 10_000,
    writeMs: timeouts.write ?? 10_000,
  };
  // As StateFun, defaults count too: call 5s with the default read timeout of 10s is refused.
  let ok = requirePositive(scope, path, timeouts);
  for (const name of ["connect", "read", "write"] as const) {
    if (ok && resolved[`${name}Ms`] > resolved.callMs) {
      const value = timeouts[name] === undefined ? ` (default ${resolved[`${name}Ms`]} ms)` : "";
      scope.error(
        timeouts[name] === undefined ? path : [...path, name],
        `${name} timeout${value} cannot be larger than the call timeout (${resolved.callMs} ms)`,
      );
      ok = false;
    }
  }
  return ok ? { type: OKHTTP, timeouts: resolved } : undefined;
}

function asyncTransport(
  scope: ComponentScope,
  input: z.output<typeof asyncTransportField>,
): AsyncTransportSpec | undefined {
  // As StateFun: a `timeouts` object wins over `call`/`connect`, with its own defaults.
  const timeouts = input.timeouts === undefined
    ? { callMs: input.call ?? 120_000, connectMs: input.connect ?? 20_000 }
    : {
      callMs: input.timeouts.call ?? 60_000,
      connectMs: input.timeouts.connect ?? 10_000,
    };
  if (
    input.timeouts !== undefined &&
    (input.call !== undefined || input.connect !== undefined)
  ) {
    scope.warn(
      ["transport"],
      "call/connect are ignored because a timeouts object is set (as in StateFun)",
    );
  }
  let ok = requirePositive(scope, ["transport"], input) &&
    requirePositive(scope, ["transport", "timeouts"], input.timeouts ?? {});
  if ((input.client_cert === undefined) !== (input.client_key === undefined)) {
    scope.error(
      ["transport"],
      "client_cert and client_key must be given together",
    );
    ok = false;
  }
  if (!ok) return undefined;
  return {
    type: ASYNC,
    timeouts,
    poolTtlMs: input.pool_ttl ?? DEFAULT_POOL_TTL_MS,
    poolSize: input.pool_size ?? DEFAULT_POOL_SIZE,
    payloadMaxBytes: input.payload_max_bytes ?? 32 * 1024 * 1024,
    tls: removeUndefined({
      trustCaCerts: input.trust_cacerts,
      clientCert: input.client_cert,
      clientKey: input.client_key,
      clientKeyPassword: input.client_key_password,
    }),
  };
}

/** Timeouts of zero are rejected, as StateFun does. */
function requirePositive(
  scope: ComponentScope,
  path: FieldPath,
  durations: object,
): boolean {
  let ok = true;
  for (const [name, value] of Object.entries(durations)) {
    if (["call", "connect", "read", "write"].includes(name) && value === 0) {
      scope.error([...path, name], "timeout durations must be larger than 0");
      ok = false;
    }
  }
  return ok;
}

function removeUndefined<T extends object>(object: T): T {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== undefined),
  ) as T;
}

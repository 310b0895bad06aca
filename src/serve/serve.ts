/**
 * `serve()`: runs an app in this process until SIGINT or SIGTERM, then shuts
 * down gracefully. The CLI's `eddy run` uses it; so do users who compile their
 * own binary with their functions inside. It resolves its options once (every
 * default from settings.ts) and wires the pieces: the module spec, the Kafka
 * side (src/kafka/), the runtime and the control server.
 *
 * @module
 */

import { createAppKafka } from "../kafka/app_kafka.ts";
import { remoteFunctions } from "../remote/endpoints.ts";
import { loadModuleSpec } from "../spec/load.ts";
import { checkControlOptions, type ControlServer, startControlServer } from "../control/server.ts";
import { describeError, Logger } from "../runtime/logger.ts";
import { Runtime, type StopReport } from "../runtime/runtime.ts";
import { type ServeOptions, withDefaults } from "./settings.ts";

export type { ServeOptions } from "./settings.ts";

/** A running app. */
export interface RunningApp {
  /** The runtime (status, tasks). */
  runtime: Runtime;
  /** Shuts down gracefully. */
  stop(): Promise<StopReport>;
  /** Resolves with the process exit code once the app stopped: 0 after a clean stop, 1 otherwise. */
  finished: Promise<number>;
  /** The control API's base URL, unless it is off. */
  controlUrl?: string;
}

/**
 * Starts an app and keeps it running.
 *
 * @example
 * ```ts ignore
 * // Not run by the doc tests: it serves until SIGINT or SIGTERM, on a broker with the module's topics
 * // (tests/serve/serve_api_test.ts runs the same code and stops it).
 * import { serve, StateFun } from "../../mod.ts";
 *
 * const functions = new StateFun();
 * functions.bind({ typename: "com.example/greeter", fn(context, message) {} });
 * const app = await serve({ module: "module.yaml", functions });
 * Deno.exit(await app.finished);
 * ```
 * @throws {SpecError} for an invalid module, {AppPlanError} when it cannot run as one app,
 *   {RuntimeError} when Kafka is unreachable or a topic is missing or wrong.
 */
export async function serve(given: ServeOptions): Promise<RunningApp> {
  const options = withDefaults(given);
  const logger = options.logger ?? new Logger({ format: options.logFormat, level: options.logLevel });
  const module = typeof options.module === "string" ? await loadModuleSpec(options.module) : options.module;
  for (const warning of module.warnings) {
    logger.warn(`${warning.at.file}:${warning.at.line}:${warning.at.column}: ${warning.message}`);
  }
  const remote = remoteFunctions(module);
  const runtime = new Runtime({ ...options, module, logger, kafka: createAppKafka, remote });
  const log = logger.with({ app: runtime.plan.appId });
  const controlAddr = options.controlAddr;
  const controlOptions = { addr: controlAddr, token: options.controlToken, allowedHosts: options.controlAllowedHosts };
  let control: ControlServer | undefined;
  if (controlAddr !== "none") {
    checkControlOptions(controlOptions); // before joining the group
    // Bound first: the other members learn this instance's control URL when it joins the group.
    control = startControlServer(runtime, { ...controlOptions, log });
    runtime.controlUrl = options.controlAdvertisedUrl ?? advertised(control.url);
  }
  // Listening before the start: tasks may run before start() returns, and a signal meanwhile must stop them
  // gracefully (once started), not end the process the default way.
  const signals: Deno.Signal[] = options.handleSignals === false ? [] : ["SIGINT", "SIGTERM"];
  let started = false;
  let signalled = false;
  const onSignal = () => {
    if (started) void stop();
    else signalled = true;
  };
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  // A rejection nothing handled ends the process (Deno's default, kept: what was in flight is not committed); it is
  // logged first as one line in the log's format with its trace, where the default print is plain text. Only when this
  // app owns the process, as for the signals: an embedding program keeps its own handling.
  const onUnhandled = (event: PromiseRejectionEvent) => {
    const error = event.reason;
    log.error(`uncaught error, the process ends: ${describeError(error)}`, {
      stack: error instanceof Error ? error.stack : undefined,
    });
  };
  if (signals.length > 0) globalThis.addEventListener("unhandledrejection", onUnhandled);
  const removeListeners = () => {
    signals.forEach((signal) => Deno.removeSignalListener(signal, onSignal));
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  };
  try {
    await runtime.start();
  } catch (error) {
    removeListeners();
    await control?.shutdown();
    remote.close();
    throw error;
  }
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => finish = resolve);
  let stopping: Promise<StopReport> | undefined;
  let fatal = false;
  const stop = () => {
    stopping ??= (async () => {
      log.info("shutting down");
      const report = await runtime.stop(options.shutdownTimeoutMs);
      await control?.shutdown();
      remote.close();
      if (report.clean) log.info("stopped cleanly");
      else {log.error(
          `shutdown timed out; abandoned (not committed, will be processed again): ${report.abandoned.join("; ")}`,
        );}
      finish(report.clean && !fatal ? 0 : 1);
      return report;
    })();
    return stopping;
  };
  started = true;
  if (signalled) void stop();
  void finished.then(removeListeners);
  void runtime.failed.then(async (error) => {
    fatal = true;
    log.error(`stopping: ${describeError(error)}`);
    await stop();
  });
  return { runtime, stop, finished, ...(control === undefined ? {} : { controlUrl: control.url }) };
}

/** A bound URL as other hosts reach it: a wildcard address becomes this host's name. */
function advertised(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === "0.0.0.0" || parsed.hostname === "[::]") parsed.hostname = Deno.hostname();
  return parsed.href.replace(/\/$/, "");
}

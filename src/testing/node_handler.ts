/**
 * Adapts a Node.js HTTP handler — `(req, res)`, what the official StateFun JS SDK's `statefun.handler()` returns —
 * into the test kit's remote handler (request bytes to response bytes), so an SDK function runs in the test's process
 * with no server. A status other than 2xx is the call's failure.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { RemoteHandler } from "./test_app.ts";

/** What the adapter gives a Node handler as its request. */
interface NodeRequest extends AsyncIterable<Buffer> {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** What the adapter gives a Node handler as its response. */
interface NodeResponse {
  statusCode: number;
  writeHead(status: number, headers?: Record<string, unknown>): NodeResponse;
  setHeader(name: string, value: unknown): void;
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): void;
}

/**
 * A remote handler that calls a Node.js request handler in process.
 *
 * @example
 * ```ts
 * import { createTestApp, fromNodeHandler } from "./mod.ts";
 * // The remote greeter's functions, written with the official JS SDK (npm apache-flink-statefun).
 * import { statefun } from "../../examples/remote_greeter/sdk_functions.ts";
 *
 * const app = await createTestApp({
 *   module: "examples/remote_greeter/module.yaml",
 *   remote: { "com.example.remote/*": fromNodeHandler(statefun.handler()) },
 * });
 * app.send("com.example.remote/names", { key: "Ada", value: '{"name":"Ada"}' });
 * await app.run();
 * console.log(app.egress("com.example.remote/greetings").map((record) => record.value)); // ["Hello Ada #1"]
 * await app.close();
 * ```
 */
export function fromNodeHandler(
  // deno-lint-ignore no-explicit-any
  handler: (request: any, response: any) => unknown,
): RemoteHandler {
  return (body) =>
    new Promise((resolve, reject) => {
      const chunks: Uint8Array[] = [];
      const request: NodeRequest = {
        method: "POST",
        url: "/",
        headers: { "content-type": "application/octet-stream", "content-length": String(body.length) },
        async *[Symbol.asyncIterator]() {
          yield Buffer.from(body);
        },
      };
      const response: NodeResponse = {
        statusCode: 200,
        writeHead(status) {
          response.statusCode = status;
          return response;
        },
        setHeader() {},
        write(chunk) {
          chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
          return true;
        },
        end(chunk) {
          if (chunk !== undefined) response.write(chunk);
          if (response.statusCode < 200 || response.statusCode > 299) {
            reject(new Error(`the handler answered HTTP ${response.statusCode}`));
          } else {
            resolve(new Uint8Array(Buffer.concat(chunks)));
          }
        },
      };
      Promise.resolve(handler(request, response)).catch(reject);
    });
}

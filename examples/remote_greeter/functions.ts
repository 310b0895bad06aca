/**
 * The remote greeter's functions (sdk_functions.ts, written with the official StateFun JS SDK) served by the SDK's own
 * Node HTTP handler — exactly what runs behind a StateFun cluster. Eddy calls them over HTTP.
 *
 * `deno run --allow-net --allow-env examples/remote_greeter/functions.ts [port]` (default 18000)
 */

import * as http from "node:http";
import { statefun } from "./sdk_functions.ts";

const port = Number(Deno.args[0] ?? 18000);

http.createServer(statefun.handler()).listen(port, "127.0.0.1", () => {
  console.error(`remote greeter functions at http://127.0.0.1:${port}/`);
});

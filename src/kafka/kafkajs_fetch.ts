/**
 * kafkajs' fetch response decoders, versions 4–11 (every version with read_committed that kafkajs negotiates):
 * the modules read_committed.ts wraps. Imported by path, they are the module objects kafkajs itself uses.
 *
 * @module
 */

export { default as fetchResponseV4 } from "npm:kafkajs@2.2.4/src/protocol/requests/fetch/v4/response.js";
export { default as fetchResponseV5 } from "npm:kafkajs@2.2.4/src/protocol/requests/fetch/v5/response.js";
export { default as fetchResponseV6 } from "npm:kafkajs@2.2.4/src/protocol/requests/fetch/v6/response.js";
export { default as fetchResponseV7 } from "npm:kafkajs@2.2.4/src/protocol/requests/fetch/v7/response.js";
export { default as fetchResponseV8 } from "npm:kafkajs@2.2.4/src/protocol/requests/fetch/v8/response.js";
export { default as fetchResponseV9 } from "npm:kafkajs@2.2.4/src/protocol/requests/fetch/v9/response.js";
export { default as fetchResponseV10 } from "npm:kafkajs@2.2.4/src/protocol/requests/fetch/v10/response.js";
export { default as fetchResponseV11 } from "npm:kafkajs@2.2.4/src/protocol/requests/fetch/v11/response.js";

/**
 * kafkajs' protocol modules that Eddy wraps, imported by path so that they are the module objects kafkajs itself
 * uses: the fetch response decoders, versions 4–11 (every version with read_committed that kafkajs negotiates;
 * read_committed.ts, batch_ends.ts), and the produce and AddPartitionsToTxn response parsers (produce_errors.ts).
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

// Produce responses (versions 3–7, the ones with transactions), AddPartitionsToTxn responses and kafkajs' protocol
// errors: produce_errors.ts.
export { default as produceResponseV3 } from "npm:kafkajs@2.2.4/src/protocol/requests/produce/v3/response.js";
export { default as produceResponseV4 } from "npm:kafkajs@2.2.4/src/protocol/requests/produce/v4/response.js";
export { default as produceResponseV5 } from "npm:kafkajs@2.2.4/src/protocol/requests/produce/v5/response.js";
export { default as produceResponseV6 } from "npm:kafkajs@2.2.4/src/protocol/requests/produce/v6/response.js";
export { default as produceResponseV7 } from "npm:kafkajs@2.2.4/src/protocol/requests/produce/v7/response.js";
export { default as addPartitionsToTxnResponseV0 } from "npm:kafkajs@2.2.4/src/protocol/requests/addPartitionsToTxn/v0/response.js";
export { default as addPartitionsToTxnResponseV1 } from "npm:kafkajs@2.2.4/src/protocol/requests/addPartitionsToTxn/v1/response.js";
export { default as protocolErrors } from "npm:kafkajs@2.2.4/src/protocol/error.js";

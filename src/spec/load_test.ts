import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import { formatIssue, SpecError } from "./issues.ts";
import { loadModuleSpec, ModuleReadError, parseModuleSpec } from "./load.ts";
import type { LoadOptions } from "./load.ts";
import { MAX_SPEC_CHARS, MAX_SPEC_ITEMS } from "./yaml_source.ts";

const testdata = new URL("./testdata/", import.meta.url);

/** The formatted problems of a spec, or [] when it loads. */
function problems(text: string, options?: LoadOptions): string[] {
  try {
    parseModuleSpec(text, "m.yaml", options);
    return [];
  } catch (error) {
    if (error instanceof SpecError) return error.issues.map(formatIssue);
    throw error;
  }
}

/** Asserts that exactly one problem is reported and that it matches. */
function assertOneProblem(text: string, expected: RegExp): void {
  const found = problems(text);
  equal(found.length, 1, `expected one problem, got:\n${found.join("\n")}`);
  match(found[0], expected);
}

const ENDPOINT = `kind: io.statefun.endpoints.v2/http
spec:
  functions: com.example/*
  urlPathTemplate: http://localhost:8000/{function.name}
`;

const ingress = (fields: string) =>
  `kind: io.statefun.kafka.v1/ingress
spec:
  id: com.example/in
  address: localhost:9092
  consumerGroupId: group
  topics:
    - topic: names
      valueType: io.statefun.types/string
      targets: [com.example/greeter]
${fields}`;

const egress = (fields: string) =>
  `kind: io.statefun.kafka.v1/egress
spec:
  id: com.example/out
  address: localhost:9092
${fields}`;

Deno.test("loadModuleSpec() normalizes every field of the kind/spec format", async () => {
  const module = await loadModuleSpec(new URL("full_components.yaml", testdata).pathname);
  equal(module.format, "components");
  deepEqual(module.warnings, []);
  const [asyncEndpoint, okHttpEndpoint, v1Endpoint] = module.endpoints;
  deepEqual({ ...asyncEndpoint, at: undefined }, {
    kind: "io.statefun.endpoints.v2/http",
    functions: { namespace: "com.example.fns", name: "*" },
    urlPathTemplate: "https://functions.example.com:8443/statefun/{function.name}?v=1",
    maxNumBatchRequests: 500,
    transport: {
      type: "io.statefun.transports.v1/async",
      timeouts: { callMs: 120_000, connectMs: 5_000 },
      poolTtlMs: 30_000,
      poolSize: 16,
      payloadMaxBytes: 1_048_576,
      tls: {
        trustCaCerts: "file:/certs/ca.pem",
        clientCert: "file:/certs/client.crt",
        clientKey: "file:/certs/client.key",
        clientKeyPassword: "secret",
      },
    },
    at: undefined,
  });
  equal(asyncEndpoint.at.line, 2);
  deepEqual(okHttpEndpoint.functions, { namespace: "com.example.other", name: "counter" });
  equal(okHttpEndpoint.maxNumBatchRequests, 1000);
  deepEqual(okHttpEndpoint.transport, {
    type: "io.statefun.transports.v1/okhttp",
    timeouts: { callMs: 60_000, connectMs: 30_000, readMs: 20_000, writeMs: 10_000 },
  });
  equal(v1Endpoint.kind, "io.statefun.endpoints.v1/http");
  deepEqual(v1Endpoint.transport, {
    type: "io.statefun.transports.v1/okhttp",
    timeouts: { callMs: 90_000, connectMs: 10_000, readMs: 10_000, writeMs: 10_000 },
  });

  const [names, dated] = module.ingresses;
  deepEqual({ ...names, at: undefined }, {
    kind: "io.statefun.kafka.v1/ingress",
    id: "com.example.io/names",
    address: "127.0.0.1:9092,127.0.0.2:9092",
    consumerGroupId: "greeter",
    topics: [
      {
        topic: "names",
        valueType: "io.statefun.types/string",
        targets: ["com.example.fns/greeter", "com.example.fns/counter"],
      },
      { topic: "2024", valueType: "com.example.types/Event", targets: ["com.example.fns/events"] },
    ],
    startupPosition: {
      type: "specific-offsets",
      offsets: [
        { topic: "names", partition: 0, offset: 42 },
        { topic: "names", partition: 1, offset: 7 },
        { topic: "2024", partition: 0, offset: 0 },
      ],
    },
    autoOffsetResetPosition: "earliest",
    properties: { "isolation.level": "read_committed", "max.poll.records": "500", "enable.auto.commit": "false" },
    carryHeaders: [],
    at: undefined,
  });
  equal(dated.address, "kafka:9092", "address from the bootstrap.servers property");
  equal(dated.consumerGroupId, "dated-group", "group from the group.id property");
  equal(dated.autoOffsetResetPosition, "latest");
  deepEqual(dated.startupPosition, {
    type: "date",
    date: "2020-02-01 04:15:00.000 -0800",
    epochMillis: Date.UTC(2020, 1, 1, 12, 15),
  });

  deepEqual(
    module.egresses.map(({ id, address, deliverySemantic, properties }) => ({
      id,
      address,
      deliverySemantic,
      properties,
    })),
    [
      {
        id: "com.example.io/greetings",
        address: "127.0.0.1:9092",
        deliverySemantic: { type: "exactly-once", transactionTimeoutMs: 60_000 },
        properties: { "compression.type": "gzip" },
      },
      {
        id: "com.example.io/audit",
        address: "127.0.0.1:9092",
        deliverySemantic: { type: "exactly-once", transactionTimeoutMs: 100_000 },
        properties: {},
      },
      {
        id: "com.example.io/metrics",
        address: "other-cluster:9092",
        deliverySemantic: { type: "none" },
        properties: {},
      },
      {
        id: "com.example.io/default",
        address: "127.0.0.1:9092",
        deliverySemantic: { type: "at-least-once" },
        properties: {},
      },
    ],
  );
});

Deno.test("loadModuleSpec() maps the legacy version 3.0 format as StateFun does", async () => {
  const module = await loadModuleSpec(new URL("full_legacy.yaml", testdata).pathname);
  equal(module.format, "legacy-3.0");
  deepEqual(module.warnings, []);
  equal(module.endpoints.length, 1);
  equal(module.endpoints[0].kind, "io.statefun.endpoints.v1/http", "legacy `http` is endpoints v1");
  deepEqual(module.endpoints[0].transport.timeouts, {
    callMs: 120_000,
    connectMs: 10_000,
    readMs: 10_000,
    writeMs: 10_000,
  });
  equal(module.endpoints[0].maxNumBatchRequests, 10_000);
  equal(module.ingresses[0].id, "com.example.io/names", "meta.id becomes the id");
  deepEqual(module.ingresses[0].startupPosition, { type: "group-offsets" });
  equal(module.egresses[0].id, "com.example.io/greetings");
  deepEqual(module.egresses[0].deliverySemantic, { type: "at-least-once" });
  equal(module.egresses[0].at.line, 34);
});

Deno.test("parseModuleSpec() fills StateFun's defaults", () => {
  const module = parseModuleSpec(`${ENDPOINT}---\n${ingress("")}---\n${egress("")}`, "m.yaml");
  const { transport } = module.endpoints[0];
  deepEqual(transport, {
    type: "io.statefun.transports.v1/async",
    timeouts: { callMs: 120_000, connectMs: 20_000 },
    poolTtlMs: 15_000,
    poolSize: 1024,
    payloadMaxBytes: 33_554_432,
    tls: {},
  });
  equal(module.endpoints[0].maxNumBatchRequests, 1000);
  deepEqual(module.ingresses[0].startupPosition, { type: "latest" }, "StateFun's code default, not its docs'");
  equal(module.ingresses[0].autoOffsetResetPosition, "latest");
  deepEqual(module.ingresses[0].properties, {});
  deepEqual(module.egresses[0].deliverySemantic, { type: "at-least-once" });
});

Deno.test("parseModuleSpec() lets an async transport's timeouts object win with its own defaults", () => {
  const module = parseModuleSpec(
    `${ENDPOINT}  transport:\n    call: 5min\n    timeouts:\n      connect: 3s\n`,
    "m.yaml",
  );
  deepEqual(module.endpoints[0].transport.timeouts, { callMs: 60_000, connectMs: 3_000 });
  equal(module.warnings.length, 1);
  match(formatIssue(module.warnings[0]), /m\.yaml:5:3: warning: spec\.transport: call\/connect are ignored/);
});

Deno.test("parseModuleSpec() skips null documents and accepts YAML numbers as durations and text", () => {
  const module = parseModuleSpec(
    `---\n${ENDPOINT}  transport:\n    call: 1500\n---\n---\n${ingress("")}---\n`,
    "m.yaml",
  );
  equal(module.endpoints[0].transport.timeouts.callMs, 1500);
  equal(module.ingresses.length, 1);
});

Deno.test("parseModuleSpec() reports bad field values at their line, with what was expected", () => {
  const cases: [string, string, RegExp][] = [
    [
      "typename with two slashes",
      ingress("").replace("com.example/in", "a/b/c"),
      /m\.yaml:3:7: error: spec\.id: .*"a\/b\/c".*<namespace>\/<name>/,
    ],
    [
      "target without namespace",
      ingress("").replace("[com.example/greeter]", "[greeter]"),
      /m\.yaml:9:17: error: spec\.topics\[0\]\.targets\[0\]: invalid type name "greeter"/,
    ],
    [
      "missing id",
      ingress("").replace("  id: com.example/in\n", ""),
      /m\.yaml:2:1: error: spec\.id: required field is missing/,
    ],
    [
      "no topics",
      ingress("").replace(/ {2}topics:[\s\S]*$/, "  topics: []\n"),
      /spec\.topics: Must define at least one Kafka topic/,
    ],
    [
      "empty targets",
      ingress("").replace("[com.example/greeter]", "[]"),
      /spec\.topics\[0\]\.targets: must have at least 1 item/,
    ],
    [
      "missing valueType",
      ingress("").replace("      valueType: io.statefun.types/string\n", ""),
      /m\.yaml:7:7: error: spec\.topics\[0\]\.valueType: required field is missing/,
    ],
    [
      "no address",
      ingress("").replace("  address: localhost:9092\n", ""),
      /m\.yaml:2:1: error: spec\.address: missing setting for the Kafka address/,
    ],
    [
      "no group",
      ingress("").replace("  consumerGroupId: group\n", ""),
      /spec\.consumerGroupId: missing setting for the consumer group id/,
    ],
    [
      "auto offset reset",
      ingress("  autoOffsetResetPosition: newest\n"),
      /m\.yaml:10:28: error: spec\.autoOffsetResetPosition: invalid autoOffsetResetPosition "newest"; valid values are \[earliest, latest\]/,
    ],
    [
      "startup type",
      ingress("  startupPosition:\n    type: from-the-top\n"),
      /m\.yaml:11:11: error: spec\.startupPosition\.type: invalid startup position type "from-the-top"; valid values are \[group-offsets, earliest, latest, specific-offsets, date\]/,
    ],
    [
      "startup date format",
      ingress("  startupPosition:\n    type: date\n    date: 2020-02-01 04:15:00.00 Z\n"),
      /m\.yaml:12:11: error: spec\.startupPosition\.date: invalid date "2020-02-01 04:15:00.00 Z"/,
    ],
    [
      "startup date missing",
      ingress("  startupPosition:\n    type: date\n"),
      /spec\.startupPosition\.date: required field is missing/,
    ],
    [
      "specific offsets empty",
      ingress("  startupPosition:\n    type: specific-offsets\n    offsets: []\n"),
      /spec\.startupPosition\.offsets: Provided specific offsets must not be empty/,
    ],
    [
      "specific offsets key",
      ingress("  startupPosition:\n    type: specific-offsets\n    offsets:\n      - names: 3\n"),
      /spec\.startupPosition\.offsets\[0\]\.names: "names" does not conform to the <topic>\/<partition_id> format/,
    ],
    [
      "specific offsets negative",
      ingress("  startupPosition:\n    type: specific-offsets\n    offsets:\n      - names/0: -3\n"),
      /m\.yaml:13:18: error: spec\.startupPosition\.offsets\[0\]\.names\/0: the offset of "names\/0" must be an integer from 0 to 9223372036854775807, got -3/,
    ],
    [
      "specific offsets two keys",
      ingress("  startupPosition:\n    type: specific-offsets\n    offsets:\n      - names/0: 3\n        names/1: 4\n"),
      /spec\.startupPosition\.offsets\[0\]: each list item must have exactly one/,
    ],
    [
      "specific offsets other topic",
      ingress("  startupPosition:\n    type: specific-offsets\n    offsets:\n      - orders/0: 3\n"),
      /spec\.startupPosition\.offsets\[0\]: offset for orders\/0, but this ingress does not consume topic "orders"/,
    ],
    [
      "properties as a map",
      ingress("  properties:\n    isolation.level: read_committed\n"),
      /m\.yaml:10:3: error: spec\.properties: expected a list of single-key maps/,
    ],
    [
      "properties item with two keys",
      ingress("  properties:\n    - a: 1\n      b: 2\n"),
      /spec\.properties\[0\]: each list item must have exactly one key \(found 2: "a", "b"\)/,
    ],
    [
      "duplicate topic",
      ingress("    - topic: names\n      valueType: x/y\n      targets: [a/b]\n"),
      /m\.yaml:10:14: error: spec\.topics\[1\]\.topic: topic "names" is already listed at topics\[0\]/,
    ],
    [
      "delivery type",
      egress("  deliverySemantic:\n    type: exactly_once\n"),
      /m\.yaml:6:11: error: spec\.deliverySemantic\.type: invalid delivery semantic type "exactly_once"; valid types are \[at-least-once, exactly-once, none\]/,
    ],
    [
      "exactly-once without timeout",
      egress("  deliverySemantic:\n    type: exactly-once\n"),
      /spec\.deliverySemantic: exactly-once needs a transactionTimeout/,
    ],
    [
      "zero transaction timeout",
      egress("  deliverySemantic:\n    type: exactly-once\n    transactionTimeout: 0s\n"),
      /spec\.deliverySemantic\.transactionTimeout: transaction timeout durations must be larger than 0/,
    ],
    [
      "duration in millis field",
      egress("  deliverySemantic:\n    type: exactly-once\n    transactionTimeoutMillis: 15min\n"),
      /m\.yaml:7:31: error: spec\.deliverySemantic\.transactionTimeoutMillis: transactionTimeoutMillis takes a number of milliseconds; for a duration such as "15min" use transactionTimeout/,
    ],
    [
      "bad duration",
      egress("  deliverySemantic:\n    type: exactly-once\n    transactionTimeout: 15 minutez\n"),
      /m\.yaml:7:25: error: spec\.deliverySemantic\.transactionTimeout: invalid duration "15 minutez": unknown unit "minutez"/,
    ],
    [
      "decimal duration",
      ENDPOINT + "  transport:\n    call: 1.5s\n",
      /m\.yaml:6:11: error: spec\.transport\.call: invalid duration "1\.5s"/,
    ],
    [
      "egress without address",
      egress("").replace("  address: localhost:9092\n", ""),
      /spec\.address: required field is missing/,
    ],
    [
      "functions with star in the name",
      ENDPOINT.replace("com.example/*", "com.example/greet*"),
      /m\.yaml:3:14: error: spec\.functions: invalid target functions "com\.example\/greet\*": only <namespace>\/<name> or <namespace>\/\* are supported/,
    ],
    [
      "functions with star in the namespace",
      ENDPOINT.replace("com.example/*", '"*/greeter"'),
      /spec\.functions: invalid target functions/,
    ],
    [
      "url scheme",
      ENDPOINT.replace("http://localhost:8000", "ftp://localhost"),
      /spec\.urlPathTemplate: unsupported URL scheme "ftp:"/,
    ],
    [
      "not a url",
      ENDPOINT.replace("http://localhost:8000/{function.name}", "localhost:8000"),
      /spec\.urlPathTemplate: (invalid URL|unsupported URL scheme)/,
    ],
    [
      "missing url",
      ENDPOINT.replace(/ {2}urlPathTemplate.*\n/, ""),
      /spec\.urlPathTemplate: required field is missing/,
    ],
    [
      "batch size not an integer",
      ENDPOINT + "  maxNumBatchRequests: many\n",
      /spec\.maxNumBatchRequests: expected number, got the text "many"/,
    ],
    [
      "transport type",
      ENDPOINT + "  transport:\n    type: io.statefun.transports.v1/grpc\n",
      /m\.yaml:6:11: error: spec\.transport\.type: unknown transport type "io\.statefun\.transports\.v1\/grpc"/,
    ],
    [
      "zero timeout",
      ENDPOINT + "  transport:\n    type: io.statefun.transports.v1/okhttp\n    timeouts:\n      call: 0s\n",
      /spec\.transport\.timeouts\.call: timeout durations must be larger than 0/,
    ],
    [
      "connect above call",
      ENDPOINT +
      "  transport:\n    type: io.statefun.transports.v1/okhttp\n    timeouts:\n      call: 5s\n      connect: 10s\n      read: 1s\n      write: 5s\n",
      /m\.yaml:9:16: error: spec\.transport\.timeouts\.connect: connect timeout cannot be larger than the call timeout \(5000 ms\)/,
    ],
    [
      "client cert without key",
      ENDPOINT + "  transport:\n    client_cert: /c.crt\n",
      /spec\.transport: client_cert and client_key must be given together/,
    ],
    [
      "unsupported kind",
      "kind: io.statefun.kinesis.v1/ingress\nspec: {}\n",
      /m\.yaml:1:7: error: kind: Eddy does not support Kinesis \(kind io\.statefun\.kinesis\.v1\/ingress\); Eddy supports io\.statefun\.endpoints\.v1\/http/,
    ],
    [
      "playground kind",
      "kind: io.statefun.playground.v1/egress\nspec: {}\n",
      /kind: io\.statefun\.playground\.v1\/egress exists only in the StateFun playground image/,
    ],
    [
      "custom kind",
      "kind: com.foo.bar/test.component.1\nspec:\n  foo: bar\n",
      /m\.yaml:1:7: error: kind: unsupported kind com\.foo\.bar\/test\.component\.1; Eddy supports/,
    ],
    [
      "kind not a typename",
      "kind: http\nspec: {}\n",
      /m\.yaml:1:7: error: kind: invalid kind: invalid type name "http"/,
    ],
    ["missing kind", "spec: {}\n", /m\.yaml:1:1: error: kind: required field is missing/],
    ["document not a map", "- a\n- b\n", /m\.yaml:1:1: error: expected object, got a list/],
    [
      "ConfigMap",
      "apiVersion: v1\nkind: ConfigMap\ndata:\n  module.yaml: |\n    kind: x/y\n",
      /m\.yaml:2:7: error: kind: this is a Kubernetes ConfigMap.*data\."module\.yaml"/,
    ],
    [
      "unquoted version",
      "version: 3.0\nmodule: {}\n",
      /m\.yaml:1:10: error: version: version must be a string: write version: "3.0" with quotes/,
    ],
    ["old version", 'version: "2.0"\nmodule: {}\n', /format version 2\.0 is not supported/],
    ["unknown version", 'version: "3.1"\nmodule: {}\n', /unrecognized format version "3\.1"/],
    [
      "legacy module type",
      'version: "3.0"\nmodule:\n  meta:\n    type: embedded\n  spec: {}\n',
      /m\.yaml:4:11: error: module\.meta\.type: module type must be "remote", got "embedded"/,
    ],
    [
      "legacy id missing",
      'version: "3.0"\nmodule:\n  meta: {type: remote}\n  spec:\n    egresses:\n      - egress:\n          meta: {type: io.statefun.kafka/egress}\n          spec: {address: "k:9092"}\n',
      /module\.spec\.egresses\[0\]\.egress\.meta\.id: required field is missing/,
    ],
    [
      "legacy bad id",
      'version: "3.0"\nmodule:\n  meta: {type: remote}\n  spec:\n    egresses:\n      - egress:\n          meta: {type: io.statefun.kafka/egress, id: nope}\n          spec: {address: "k:9092"}\n',
      /m\.yaml:7:54: error: module\.spec\.egresses\[0\]\.egress\.meta\.id: invalid type name "nope"/,
    ],
    [
      "legacy unsupported kind",
      'version: "3.0"\nmodule:\n  meta: {type: remote}\n  spec:\n    ingresses:\n      - ingress:\n          meta: {type: statefun.kafka.io/protobuf-ingress, id: a/b}\n          spec: {}\n',
      /m\.yaml:7:24: error: module\.spec\.ingresses\[0\]\.ingress\.meta\.type: unsupported kind statefun\.kafka\.io\/protobuf-ingress/,
    ],
    [
      "legacy document among others",
      'version: "3.0"\nmodule: {}\n---\n' + ENDPOINT,
      /m\.yaml:1:10: error: version: a `version:` module must be the only document/,
    ],
    ["empty file", "# nothing here\n", /m\.yaml:1:1: error: the file defines no components/],
  ];
  const mismatches = cases.flatMap(([name, text, expected]) => {
    const found = problems(text).filter((line) => line.includes(": error: "));
    return found.length === 1 && expected.test(found[0])
      ? []
      : [`${name}: expected ${expected}, got:\n${found.join("\n")}`];
  });
  deepEqual(mismatches, [], mismatches.join("\n\n"));
});

Deno.test("parseModuleSpec() reports YAML syntax errors at their line", () => {
  assertOneProblem(`${ENDPOINT}  transport:\n\ttype: x\n`, /m\.yaml:6:1: error: YAML syntax: /);
  assertOneProblem("kind: a/b\nspec:\n  x: 1\n  x: 2\n", /m\.yaml:4:3: error: YAML syntax: Map keys must be unique/);
  assertOneProblem("kind: a/b\nspec: [unclosed\n", /m\.yaml:\d+:\d+: error: YAML syntax: /);
});

Deno.test("parseModuleSpec() reports every problem of a file, in file order", () => {
  const text = [
    ingress("  autoOffsetResetPosition: soon\n").replace("com.example/in", "bad"),
    egress("  deliverySemantic:\n    type: maybe\n"),
    "kind: io.statefun.kinesis.v1/egress\nspec: {}\n",
  ].join("---\n");
  const found = problems(text);
  deepEqual(found.map((line) => line.split(": error: ")[0]), [
    "m.yaml:3:7",
    "m.yaml:10:28",
    "m.yaml:17:11",
    "m.yaml:19:7",
  ]);
});

Deno.test("parseModuleSpec() warns about unknown fields with file:line, and refuses them under strict", () => {
  const text = ingress("  propertys:\n    - a: b\n  startupPosition:\n    type: earliest\n    offset: 3\n") +
    "---\n" + ENDPOINT + "  timeouts:\n    call: 1min\n";
  const module = parseModuleSpec(text, "m.yaml");
  deepEqual(module.warnings.map(formatIssue), [
    'm.yaml:10:3: warning: spec.propertys: unknown field "propertys" is ignored (as StateFun does)',
    'm.yaml:14:13: warning: spec.startupPosition.offset: unknown field "offset" is ignored (as StateFun does)',
    'm.yaml:20:3: warning: spec.timeouts: unknown field "timeouts" is ignored (as StateFun does)',
  ]);
  deepEqual(module.ingresses[0].startupPosition, { type: "earliest" });
  const strict = problems(text, { strict: true });
  equal(strict.length, 3);
  ok(strict.every((line) => line.includes(": warning: ")));
});

Deno.test("parseModuleSpec() reads Eddy's carryHeaders: header names, a repeated one warned, bad ones refused", () => {
  const module = parseModuleSpec(ingress("  carryHeaders: [traceparent, tracestate, traceparent]\n"), "m.yaml");
  deepEqual(module.ingresses[0].carryHeaders, ["traceparent", "tracestate"]);
  deepEqual(module.warnings.map(formatIssue), [
    'm.yaml:10:43: warning: spec.carryHeaders[2]: header "traceparent" is listed twice',
  ]);
  deepEqual(parseModuleSpec(ingress(""), "m.yaml").ingresses[0].carryHeaders, []);
  assertOneProblem(ingress("  carryHeaders: traceparent\n"), /m\.yaml:10:17: error: spec\.carryHeaders: /);
  assertOneProblem(ingress('  carryHeaders: [""]\n'), /spec\.carryHeaders\[0\]: must not be empty/);
  // A misspelling is an unknown field, warned as StateFun would ignore it.
  match(
    formatIssue(parseModuleSpec(ingress("  carryHeader: [traceparent]\n"), "m.yaml").warnings[0]),
    /unknown field "carryHeader" is ignored/,
  );
});

Deno.test("parseModuleSpec() warns when a named field overrides a Kafka property", () => {
  const module = parseModuleSpec(
    ingress("  properties:\n    - bootstrap.servers: elsewhere:9092\n    - auto.offset.reset: earliest\n"),
    "m.yaml",
  );
  equal(module.ingresses[0].address, "localhost:9092");
  deepEqual(module.warnings.map((warning) => warning.message), [
    "property bootstrap.servers=elsewhere:9092 is overridden by address: localhost:9092",
    "property auto.offset.reset is overridden by autoOffsetResetPosition (default latest), as in StateFun",
  ]);
});

Deno.test("parseModuleSpec() rejects duplicate ingress ids, egress ids and function bindings", () => {
  const text = [ENDPOINT, ENDPOINT, ingress(""), ingress(""), egress(""), egress("")].join("---\n");
  deepEqual(problems(text), [
    "m.yaml:6:7: error: a binding for functions com.example/* is already defined at m.yaml:1:7",
    "m.yaml:21:7: error: ingress com.example/in is already defined at m.yaml:11:7",
    "m.yaml:36:7: error: egress com.example/out is already defined at m.yaml:31:7",
  ]);
});

Deno.test("loadModuleSpec() says when the file cannot be read", async () => {
  await rejects(loadModuleSpec("/nonexistent/module.yaml"), (error: unknown) => {
    return error instanceof ModuleReadError &&
      /cannot read module spec \/nonexistent\/module\.yaml/.test(error.message);
  });
});

Deno.test("parseModuleSpec(): legacy kinds named after Object.prototype members are unknown kinds, not a crash", () => {
  for (const name of ["toString", "constructor", "valueOf", "__proto__", "hasOwnProperty"]) {
    const found = problems(`version: "3.0"
module:
  meta:
    type: remote
  spec:
    ingresses:
      - ingress:
          meta:
            type: ${name}
            id: a/b
          spec: {}
`);
    equal(found.length, 1, found.join("\n"));
    match(found[0], new RegExp(`^m\\.yaml:9:19: error: .*invalid type name "${name}"`));
  }
});

Deno.test("loadModuleSpec() refuses what is not a regular file, or too large, before reading it", async () => {
  await rejects(() => loadModuleSpec("/dev/zero"), (error: Error) => {
    ok(error instanceof ModuleReadError);
    match(error.message, /^cannot read module spec \/dev\/zero: not a regular file$/);
    return true;
  });
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/fifo`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    await rejects(() => loadModuleSpec(fifo), /not a regular file/); // a FIFO without a writer would block forever
    const big = `${dir}/big.yaml`;
    await Deno.writeTextFile(big, "");
    await Deno.truncate(big, 5 * 1024 * 1024); // sparse: no disk used
    await rejects(() => loadModuleSpec(big), /5242880 bytes is more than a module spec may have \(4 MiB\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModuleSpec() names the line and column of the first byte that is not UTF-8", async () => {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeFile(file, new Uint8Array([...new TextEncoder().encode("kind: x\nspec:\n  id: é"), 0xff, 0x0a]));
    await rejects(() => loadModuleSpec(file), (error: Error) => {
      ok(error instanceof SpecError);
      match(
        formatIssue(error.issues[0]),
        /:3:8: error: not UTF-8 text \(byte 0xff at offset 22\): module specs are UTF-8$/,
      );
      return true;
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("parseModuleSpec(): duplicate keys are errors at the repeated key; many keys stay linear", () => {
  assertOneProblem(
    `${ENDPOINT}  functions: com.other/*\n`,
    /^m\.yaml:5:3: error: YAML syntax: Map keys must be unique \("functions" appears again\)$/,
  );
  // 20 000 unknown fields: each warned once (the library's duplicate check and a per-warning key scan were quadratic).
  const fields = Array.from({ length: 20_000 }, (_, i) => `  unknown${i}: ${i}\n`).join("");
  const module = parseModuleSpec(`${ENDPOINT}${fields}`, "m.yaml");
  equal(module.warnings.length, 20_000);
  equal(module.warnings[19_999].at.line, 20_004);
});

Deno.test("parseModuleSpec(): transaction timeouts Java would refuse are refused with the range or the reason", () => {
  const egress = (line: string) =>
    `kind: io.statefun.kafka.v1/egress\nspec:\n  id: a/out\n  address: localhost:9092\n  deliverySemantic:\n` +
    `    type: exactly-once\n    ${line}\n`;
  for (
    const [line, expected] of [
      [`transactionTimeoutMillis: ${"9".repeat(400)}`, /must be at most 9007199254740991 ms, got a larger number$/],
      ["transactionTimeoutMillis: 1.5", /takes a whole number of milliseconds, got 1\.5$/],
      ["transactionTimeoutMillis: [1]", /takes a whole number of milliseconds$/],
      ["transactionTimeout: 9007199254740991d", /longer than 9007199254740991 ms \(285 616 years\)$/],
      ["transactionTimeout: 1ns", /must be larger than 0/], // 0 ms once truncated, as Duration.toMillis() does
    ] as const
  ) {
    const found = problems(egress(line));
    equal(found.length, 1, `${line}: ${found.join("\n")}`);
    match(found[0], expected, line);
  }
});

Deno.test("parseModuleSpec(): clear messages for odd but real input (issue #15)", () => {
  const ING = `kind: io.statefun.kafka.v1/ingress
spec:
  id: a/in
  address: localhost:9092
  consumerGroupId: g
  topics:
    - topic: t
      valueType: a/t
      targets: [a/f]
`;
  assertOneProblem(`version: 3.0\nmodule: {}\n`, /version must be a string: write version: "3\.0" with quotes$/);
  assertOneProblem(`version: {a: 1}\nmodule: {}\n`, /version must be a string such as "3\.0", got a map$/);
  assertOneProblem(
    `${ING}  properties:\n    - a: ~\n`,
    /:11:10: error: spec\.properties\[0\]\.a: property "a" has no value/,
  );
  assertOneProblem(
    "kind: io.statefun.kafka.v1/ingress\nspec:\n  id: a/in\n  address: *nope\n",
    /^m\.yaml:4:12: error: YAML syntax: .*Unresolved alias.*nope$/,
  );
  assertOneProblem(
    `kind: x\nspec: ${"[".repeat(2000)}${"]".repeat(2000)}\n`,
    /^m\.yaml:2:263: error: YAML nests deeper than 256/,
  );
  // CR alone breaks lines in YAML 1.2.
  equal(problems(ENDPOINT.replaceAll("\n", "\r")).length, 0);
  equal(problems(ENDPOINT.replaceAll("\n", "\r\n")).length, 0);
  // A property named __proto__ is a property (zod's records and plain objects would drop it).
  const module = parseModuleSpec(`${ING}  properties:\n    - __proto__: x\n`, "m.yaml");
  deepEqual(Object.entries(module.ingresses[0].properties), [["__proto__", "x"]]);
  // A value with a line break cannot forge a line of its own.
  const forged = problems(`${ING}  startupPosition:\n    type: "x\\nm.yaml:1:1: warning: forged"\n`);
  equal(forged.length, 1);
  ok(!forged[0].includes("\n"), forged[0]);
});

Deno.test("parseModuleSpec(): Java's ranges for partitions, offsets and dates (issue #15)", () => {
  const ING = (position: string) =>
    `kind: io.statefun.kafka.v1/ingress
spec:
  id: a/in
  address: localhost:9092
  consumerGroupId: g
  startupPosition:
${position}
  topics:
    - topic: t
      valueType: a/t
      targets: [a/f]
`;
  const offsets = (entry: string) => ING(`    type: specific-offsets\n    offsets:\n      - ${entry}`);
  assertOneProblem(offsets(`"t/2147483648": 5`), /partition 2147483648 of "t\/2147483648" is larger than 2147483647/);
  const max = parseModuleSpec(offsets(`"t/2147483647": 9223372036854775807`), "m.yaml").ingresses[0].startupPosition;
  deepEqual(max, {
    type: "specific-offsets",
    offsets: [{ topic: "t", partition: 2147483647, offset: Number.MAX_SAFE_INTEGER }],
  });
  assertOneProblem(offsets(`"t/0": 1.5`), /must be an integer from 0 to 9223372036854775807, got 1\.5$/);
  assertOneProblem(offsets(`"t/0": 1e30`), /must be an integer from 0 to 9223372036854775807/);
  const date = (text: string) =>
    (parseModuleSpec(ING(`    type: date\n    date: ${text}`), "m.yaml").ingresses[0].startupPosition as {
      epochMillis: number;
    })
      .epochMillis;
  equal(date("0050-01-01 00:00:00.000 +0000"), Date.parse("0050-01-01T00:00:00.000Z")); // not 1950
  equal(date("0001-01-01 00:00:00.000 +0000"), -62135596800000);
});

Deno.test("parseModuleSpec(): an empty startupPosition says so (found by the fuzz test: a crash)", () => {
  assertOneProblem(
    `kind: io.statefun.kafka.v1/ingress
spec:
  id: a/in
  address: localhost:9092
  consumerGroupId: g
  startupPosition: ~
  topics:
    - topic: t
      valueType: a/t
      targets: [a/f]
`,
    /spec\.startupPosition: expected a map with a type, such as `type: earliest`, got nothing$/,
  );
});

Deno.test("a spec with more lines and list items than Eddy reads is refused at the line where it goes past the limit", () => {
  const lines = ["kind: io.statefun.kafka.v1/egress", "spec:", "  id: com.example/out", "  address: kafka:9092"];
  while (lines.length <= MAX_SPEC_ITEMS) lines.push(`  # ${lines.length}`);
  throws(() => parseModuleSpec(lines.join("\n"), "many.yaml"), (error: SpecError) => {
    equal(error.issues.length, 1);
    deepEqual([error.issues[0].at.line, error.issues[0].at.column], [
      MAX_SPEC_ITEMS,
      lines[MAX_SPEC_ITEMS - 1].length + 1,
    ]);
    match(error.message, /many\.yaml:100000:\d+: error: the spec has more than 100000 lines and list items/);
    return true;
  });
  const flow = `kind: io.statefun.kafka.v1/ingress\nspec:\n  targets: [${"a,".repeat(MAX_SPEC_ITEMS)}]\n`;
  throws(() => parseModuleSpec(flow, "flow.yaml"), /flow\.yaml:3:\d+: error: the spec has more than 100000 lines/);
  throws(
    () => parseModuleSpec(`note: "${"x".repeat(MAX_SPEC_CHARS)}"`, "long.yaml"),
    /long\.yaml:1:\d+: error: the spec has 4194312 characters, more than Eddy reads \(4194304/,
  );
});

/**
 * Every real module.yaml in fixtures/statefun_corpus/ (verbatim copies of files
 * from the StateFun repositories; SOURCES.md there says where each comes from):
 * those using only Kafka and HTTP kinds load with their fields checked, the
 * others fail with a clear message. EDDY_STATEFUN_CORPUS points it at another
 * folder of the same files.
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { formatIssue, loadModuleSpec, type ModuleSpec, SpecError } from "../../mod.ts";

const corpus = Deno.env.get("EDDY_STATEFUN_CORPUS") ?? new URL("./fixtures/statefun_corpus/", import.meta.url).pathname;
const present = (() => {
  try {
    return Deno.statSync(corpus).isDirectory;
  } catch {
    return false;
  }
})();

type Expectation = { loads: (module: ModuleSpec) => void } | { fails: RegExp[] };

const SUPPORTED =
  /Eddy supports io\.statefun\.endpoints\.v1\/http, io\.statefun\.endpoints\.v2\/http, io\.statefun\.kafka\.v1\/ingress, io\.statefun\.kafka\.v1\/egress/;

const expectations: Record<string, Expectation> = {
  "playground-main__go-showcase__module.yaml": {
    loads(m) {
      deepEqual(m.ingresses[0].startupPosition, { type: "earliest" });
      equal(m.endpoints.length, 1);
      equal(m.egresses.length, 1);
    },
  },
  "playground-main__java-showcase__module.yaml": {
    loads(m) {
      equal(m.endpoints[0].transport.type, "io.statefun.transports.v1/async");
      equal(m.endpoints[0].transport.timeouts.callMs, 86_400_000, "call: 1day");
      equal(m.ingresses[0].consumerGroupId, "java.showcase.greeter");
      deepEqual(m.egresses[0].deliverySemantic, { type: "at-least-once" });
    },
  },
  "playground-main__javascript-greeter__module__playground-io-kinds.yaml": {
    fails: [
      /:23:7: error: kind: io\.statefun\.playground\.v1\/ingress exists only in the StateFun playground image/,
      /:27:7: error: kind: io\.statefun\.playground\.v1\/egress exists only in the StateFun playground image/,
    ],
  },
  "playground-main__javascript-showcase__module.yaml": {
    loads(m) {
      deepEqual(m.egresses[0].deliverySemantic, { type: "exactly-once", transactionTimeoutMs: 100_000 });
      deepEqual(m.ingresses[0].topics, [{
        topic: "names",
        valueType: "showcase/GreetRequest",
        targets: ["showcase/serving"],
      }]);
    },
  },
  "playground-main__k8s-04-statefun-00-module__configmap-wrapped.yaml": {
    fails: [/this is a Kubernetes ConfigMap, not a module spec/],
  },
  "playground-main__python-showcase__module.yaml": {
    loads(m) {
      equal(m.endpoints[0].functions.namespace, "showcase");
      equal(m.ingresses[0].address, "kafka:9092");
    },
  },
  "playground-release-3.0__java-greeter__module__legacy-format.yaml": {
    loads(m) {
      equal(m.format, "legacy-3.0");
      equal(m.endpoints[0].kind, "io.statefun.endpoints.v1/http");
      deepEqual(m.egresses[0].deliverySemantic, { type: "at-least-once" });
    },
  },
  "playground-release-3.0__python-showcase__module__legacy-format.yaml": {
    loads(m) {
      equal(m.format, "legacy-3.0");
      equal(m.endpoints[0].transport.timeouts.callMs, 120_000, "timeouts.call: 2min");
      equal(m.ingresses[0].id, "showcase/names");
      equal(m.egresses[0].id, "showcase/greets");
    },
  },
  "statefun-release-3.0.0__e2e-exactly-once-remote__module__legacy-format-kafka.yaml": {
    loads(m) {
      equal(m.ingresses[0].id, "org.apache.flink.statefun.e2e.remote/invoke");
      deepEqual(m.egresses[0].deliverySemantic, { type: "exactly-once", transactionTimeoutMs: 900_000 });
      equal(m.endpoints[0].maxNumBatchRequests, 10_000);
    },
  },
  "statefun__core-test__http-endpoint-v1.yaml": {
    loads(m) {
      deepEqual(m.endpoints[0].transport.timeouts, {
        callMs: 60_000,
        connectMs: 30_000,
        readMs: 20_000,
        writeMs: 10_000,
      });
      equal(m.endpoints[0].urlPathTemplate, "http://bar.foo.com:8080/functions/{function.name}");
    },
  },
  "statefun__core-test__http-endpoint-v2.yaml": {
    loads(m) {
      equal(m.endpoints[0].transport.type, "io.statefun.transports.v1/okhttp");
      equal(m.endpoints[0].maxNumBatchRequests, 10_000);
    },
  },
  "statefun__core-test__module-v3_0__legacy-format.yaml": {
    fails: [
      /module\.spec\.ingresses\[0\]\.ingress\.meta\.type: unsupported kind statefun\.kafka\.io\/protobuf-ingress/,
    ],
  },
  "statefun__core-test__remote-module__multidoc-custom-kinds.yaml": {
    fails: [1, 2, 3].map((n) =>
      new RegExp(`unsupported kind com\\.foo\\.bar/test\\.component\\.${n}; ${SUPPORTED.source}`)
    ),
  },
  "statefun__docs-modules-overview__EXTRACTED-from-markdown-codeblock.yaml": {
    loads(m) {
      deepEqual(m.egresses[0].deliverySemantic, { type: "exactly-once", transactionTimeoutMs: 900_000 });
      deepEqual(m.ingresses[0].topics[0].targets, ["com.example/greeter"]);
    },
  },
  "statefun__e2e-smoke-golang__module.yaml": {
    loads(m) {
      deepEqual(m.endpoints[0].functions, { namespace: "statefun.smoke.e2e", name: "command-interpreter-fn" });
      equal(m.endpoints[0].urlPathTemplate, "https://remote-function-host");
    },
  },
  "statefun__e2e-smoke-java__module__async-tls.yaml": {
    loads(m) {
      const transport = m.endpoints[0].transport;
      equal(transport.type, "io.statefun.transports.v1/async");
      if (transport.type === "io.statefun.transports.v1/async") {
        equal(transport.tls.clientKey, "file:/opt/statefun/modules/statefun-smoke-e2e/certs/a_client.key.p8");
        equal(transport.tls.trustCaCerts, "file:/opt/statefun/modules/statefun-smoke-e2e/certs/a_ca.pem");
      }
    },
  },
  "statefun__e2e-smoke-js__module.yaml": {
    loads(m) {
      equal(m.endpoints.length, 1);
      equal(m.ingresses.length, 0);
    },
  },
  "statefun__io-bundle-test__generic-kafka-egress-v1.yaml": {
    loads(m) {
      deepEqual(m.egresses[0].properties, { "foo.config": "bar" });
      deepEqual(m.egresses[0].deliverySemantic, { type: "exactly-once", transactionTimeoutMs: 900_000 });
    },
  },
  "statefun__io-bundle-test__generic-kinesis-egress-v1.yaml": {
    fails: [/Eddy does not support Kinesis \(kind io\.statefun\.kinesis\.v1\/egress\)/],
  },
  "statefun__io-bundle-test__routable-kafka-ingress-v1.yaml": {
    loads(m) {
      const [ingress] = m.ingresses;
      equal(ingress.id, "com.foo.bar/test-ingress");
      equal(ingress.autoOffsetResetPosition, "earliest");
      deepEqual(ingress.topics.map((t) => [t.topic, t.targets]), [
        ["topic-1", ["com.mycomp.foo/function-1", "com.mycomp.foo/function-2"]],
        ["topic-2", ["com.mycomp.foo/function-2"]],
      ]);
      deepEqual(ingress.properties, { "foo.config": "bar" });
    },
  },
  "statefun__io-bundle-test__routable-kinesis-ingress-v1.yaml": {
    fails: [/Eddy does not support Kinesis \(kind io\.statefun\.kinesis\.v1\/ingress\)/],
  },
};

Deno.test({
  name: present
    ? "every StateFun corpus file loads, or fails with a clear unsupported-kind message"
    : `StateFun corpus: NOT RUN, ${corpus} is not there`,
  ignore: !present,
  async fn() {
    const files = [...Deno.readDirSync(corpus)].map((entry) => entry.name).filter((name) => name.endsWith(".yaml"));
    deepEqual(files.toSorted(), Object.keys(expectations).toSorted(), "every corpus file has an expectation");
    for (const file of files) {
      const expectation = expectations[file];
      let module: ModuleSpec | undefined;
      let problems: string[] = [];
      try {
        module = await loadModuleSpec(corpus + file);
      } catch (error) {
        if (!(error instanceof SpecError)) throw error;
        problems = error.issues.map(formatIssue);
      }
      if ("loads" in expectation) {
        deepEqual(problems, [], file);
        deepEqual(module!.warnings, [], `${file} loads without warnings`);
        expectation.loads(module!);
      } else {
        equal(problems.length, expectation.fails.length, `${file}: ${problems.join("\n")}`);
        expectation.fails.forEach((pattern, index) => match(problems[index], pattern, file));
        problems.forEach((line) => match(line, new RegExp(`^${corpus}${file}:\\d+:\\d+: error: `)));
      }
    }
  },
});

/**
 * Records a CPU profile of a running Deno process through its inspector (`deno run --inspect=<host:port> …`) and
 * prints the functions with the most self time — the profile pass of BENCHMARKS.md. `deno task bench:task --profile`
 * uses it on its own child.
 *
 *   deno run -A bench/cpu_profile.ts <host:port> <seconds> [<out.cpuprofile>]
 *
 * The profile file opens in Chrome DevTools (Performance) or any .cpuprofile viewer.
 *
 * @module
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Profiles the process whose inspector listens at `address` for `seconds`; the top lines of its self time. */
export async function profileProcess(address: string, seconds: number, top = 30, out?: string): Promise<string[]> {
  const targets = await (await fetch(`http://${address}/json/list`)).json() as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  };
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 200 });
  await call("Profiler.start");
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const { profile } = await call("Profiler.stop") as { profile: Profile };
  socket.close();
  if (out !== undefined) Deno.writeTextFileSync(out, JSON.stringify(profile));

  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i])!;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === "" ? "" : ` ${url.replace(/^.*\/(node_modules|npm|work\/[^/]+)\//, "")}:${lineNumber + 1}`;
    const key = `${functionName || "(anonymous)"}${where}`;
    const micros = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + micros);
    total += micros;
  }
  const lines = [`${(total / 1e6).toFixed(1)} s sampled; self time:`];
  for (const [name, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`${(100 * micros / total).toFixed(1).padStart(5)}%  ${name}`);
  }
  return lines;
}

if (import.meta.main) {
  const [address, seconds = "10", out] = Deno.args;
  if (address === undefined) {
    console.error("usage: deno run -A bench/cpu_profile.ts <host:port> <seconds> [<out.cpuprofile>]");
    Deno.exit(2);
  }
  for (const line of await profileProcess(address, Number(seconds), 30, out)) console.log(line);
}

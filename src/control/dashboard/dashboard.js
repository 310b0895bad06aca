// Eddy's dashboard: reads the control API every few seconds and updates its tables in place (rows keyed, so nothing
// flickers, jumps or loses focus). The token lives in this script's memory only and goes out as the bearer header.
// Beside the current numbers, small charts of the instance's last 15 minutes (GET /v1/history), drawn as inline SVG.

const REFRESH_MS = 2000;
/** Topics with more partitions than this start collapsed. */
const OPEN_UP_TO = 32;

let token = "";
let previous = { at: 0, invocations: new Map() };
/** The instance's recent history (GET /v1/history), or undefined before the first answer. */
let history;
const sortBy = new Map(); // topic → "lag" | "partition"
const openTopics = new Map(); // topic → open, once a person toggled it

const $ = (id) => document.getElementById(id);
const text = (value) => (value === null || value === undefined ? "–" : String(value));
const number = (value) => (value === null || value === undefined ? "–" : Number(value).toLocaleString("en-US"));

async function api(path, method = "GET") {
  const headers = { accept: "application/json" };
  if (token !== "") headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, credentials: "omit", cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = body?.error?.message ?? body?.message ?? `HTTP ${response.status}`;
    throw new Error(response.status === 401 ? `${message} — enter the token above` : message);
  }
  return body;
}

function notice(message) {
  const element = $("notice");
  element.hidden = message === undefined;
  element.textContent = message ?? "";
}

/** Makes `tbody` hold one row per item, in order, reusing rows by key; `fill(tr, item)` sets a row's cells. */
function syncRows(tbody, items, keyOf, columns, fill) {
  const existing = new Map([...tbody.rows].map((row) => [row.dataset.key, row]));
  let before = tbody.firstElementChild;
  for (const item of items) {
    const key = keyOf(item);
    let row = existing.get(key);
    if (row === undefined) {
      row = document.createElement("tr");
      row.dataset.key = key;
      for (let i = 0; i < columns; i++) row.append(document.createElement("td"));
    }
    existing.delete(key);
    fill(row, item);
    if (row !== before) tbody.insertBefore(row, before);
    else before = before.nextElementSibling;
  }
  for (const row of existing.values()) row.remove();
}

function setCell(cell, value, className) {
  if (cell.textContent !== value) cell.textContent = value;
  if (className !== undefined && cell.className !== className) cell.className = className;
}

function badge(cell, status) {
  let span = cell.firstElementChild;
  if (span === null) {
    span = document.createElement("span");
    cell.replaceChildren(span);
  }
  span.className = `badge ${status}`;
  span.textContent = status;
}

function button(cell, label, enabled, onClick) {
  let element = cell.querySelector("button");
  if (label === undefined) {
    cell.replaceChildren();
    return;
  }
  if (element === null) {
    element = document.createElement("button");
    element.type = "button";
    cell.replaceChildren(element);
  }
  element.textContent = label;
  element.disabled = !enabled;
  element.title = enabled ? "" : "enter the token first";
  element.onclick = onClick;
}

async function act(path, what) {
  try {
    await api(path, "POST");
    notice(undefined);
  } catch (error) {
    notice(`${what} failed: ${error.message}`);
  }
  await refresh();
}

function renderSummary(status) {
  document.title = `Eddy · ${status.appId}`;
  setCell($("app"), status.appId);
  const parts = [
    `v${status.version}`,
    status.processingGuarantee,
    status.state,
    status.ready ? "ready" : "not ready",
    `${status.taskCount} tasks`,
    `up ${status.uptimeSeconds} s`,
  ];
  setCell($("summary"), parts.join(" · "));
}

const SVG = "http://www.w3.org/2000/svg";
const CHART_W = 160;
const CHART_H = 36;

/** `42 s`, `3 min`, `15 min`. */
function span(ms) {
  return ms < 90_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`;
}

/** A rate or a count as a chart caption writes it. */
function short(value) {
  if (value === null || value === undefined) return "–";
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * Draws `values` (one per time in `at`, null where unknown) into `figure` as a small line chart: time runs left to
 * right over the samples held, the baseline is 0 and the top the largest value. The caption and the label for screen
 * readers say the latest value and the largest.
 */
function drawChart(figure, label, unit, at, values) {
  if (figure.firstElementChild === null) {
    figure.className = "chart";
    const caption = document.createElement("figcaption");
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${CHART_W} ${CHART_H}`);
    svg.setAttribute("width", String(CHART_W));
    svg.setAttribute("height", String(CHART_H));
    svg.setAttribute("role", "img");
    for (const name of ["area", "line"]) {
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("class", name);
      svg.append(path);
    }
    figure.append(caption, svg);
  }
  const known = values.filter((value) => value !== null);
  const max = known.length === 0 ? 0 : Math.max(...known);
  const last = values.length === 0 ? null : values.at(-1);
  const from = at[0] ?? 0;
  const width = (at.at(-1) ?? 0) - from;
  const x = (t) => (width <= 0 ? CHART_W : ((t - from) / width) * CHART_W).toFixed(1);
  const y = (value) => (CHART_H - 1 - (max <= 0 ? 0 : (value / max) * (CHART_H - 3))).toFixed(1);
  let line = "";
  let area = "";
  let segment = [];
  const close = () => {
    if (segment.length === 0) return;
    // A value between two unknown ones (a lone commit) is drawn as a short dash: one point alone draws nothing.
    if (segment.length === 1) {
      const [px, py] = segment[0].split(",");
      segment = [
        `${Math.max(0, Number(px) - 2).toFixed(1)},${py}`,
        `${Math.min(CHART_W, Number(px) + 2).toFixed(1)},${py}`,
      ];
    }
    line += `M${segment.join("L")}`;
    area += `M${segment[0].split(",")[0]},${CHART_H}L${segment.join("L")}L${segment.at(-1).split(",")[0]},${CHART_H}Z`;
    segment = [];
  };
  values.forEach((value, i) => {
    if (value === null) close();
    else segment.push(`${x(at[i])},${y(value)}`);
  });
  close();
  const svg = figure.querySelector("svg");
  svg.querySelector(".line").setAttribute("d", line);
  svg.querySelector(".area").setAttribute("d", area);
  const now = last === null ? "unknown" : `${short(last)}${unit}`;
  const over = at.length < 2 ? "" : ` over the last ${span(width)}`;
  svg.setAttribute("aria-label", `${label}: now ${now}, max ${short(max)}${unit}${over}`);
  const caption = `${label} now ${last === null ? "–" : `${short(last)}${unit}`} · max ${short(max)}${unit}` +
    (at.length < 2 ? "" : ` · last ${span(width)}`);
  setCell(figure.querySelector("figcaption"), caption);
  figure.dataset.last = last === null ? "" : String(last);
}

/** The chart `name` inside `container`, made on first use. */
function chartIn(container, name) {
  let figure = container.querySelector(`figure[data-series="${name}"]`);
  if (figure === null) {
    figure = document.createElement("figure");
    figure.dataset.series = name;
    container.append(figure);
  }
  return figure;
}

function renderIngressCharts(block, id) {
  const charts = block.querySelector(".charts");
  const entry = history?.ingresses.find((ingress) => ingress.id === id);
  charts.hidden = entry === undefined;
  if (entry === undefined) return;
  drawChart(chartIn(charts, "lag"), "lag", "", history.at, entry.lag);
  drawChart(chartIn(charts, "in"), "in", "/s", history.at, entry.recordsPerSecond);
}

function renderIngress(container, ingress, rows) {
  let block = container.querySelector(`[data-ingress="${CSS.escape(ingress.id)}"]`);
  if (block === null) {
    block = document.createElement("div");
    block.dataset.ingress = ingress.id;
    block.innerHTML = `<div class="ingress-head"><strong></strong><span class="state"></span>` +
      `<span class="total"></span><span class="action"></span></div><div class="charts" hidden></div>` +
      `<div class="topics"></div>`;
    container.append(block);
  }
  const head = block.firstElementChild;
  setCell(head.querySelector("strong"), ingress.id);
  badge(head.querySelector(".state"), ingress.state);
  const total = rows.reduce((sum, row) => sum + (row.lag ?? 0), 0);
  setCell(head.querySelector(".total"), `lag ${number(total)} over ${rows.length} partitions`);
  const paused = ingress.state === "paused";
  button(
    head.querySelector(".action"),
    paused ? "Resume" : "Pause",
    token !== "",
    () => act(`/v1/ingresses/${ingress.id}/${paused ? "resume" : "pause"}`, paused ? "Resume" : "Pause"),
  );
  renderIngressCharts(block, ingress.id);
  const topics = block.querySelector(".topics");
  const byTopic = Map.groupBy(rows, (row) => row.topic);
  for (const [topic, partitions] of byTopic) renderTopic(topics, topic, partitions);
  for (const details of [...topics.children]) if (!byTopic.has(details.dataset.topic)) details.remove();
}

function renderTopic(container, topic, partitions) {
  let details = container.querySelector(`details[data-topic="${CSS.escape(topic)}"]`);
  if (details === null) {
    details = document.createElement("details");
    details.dataset.topic = topic;
    details.open = openTopics.get(topic) ?? partitions.length <= OPEN_UP_TO;
    details.innerHTML = `<summary><strong></strong><span class="total"></span>` +
      `<span class="sort">sort: <button type="button" class="by-lag">lag</button> ` +
      `<button type="button" class="by-partition">partition</button></span></summary>` +
      `<div class="scroll"><table><thead><tr><th scope="col" class="num">Partition</th>` +
      `<th scope="col" class="num">Committed</th><th scope="col" class="num">Log end</th>` +
      `<th scope="col" class="num">Lag</th><th scope="col">Lag bar</th><th scope="col">Owner</th></tr></thead>` +
      `<tbody></tbody></table></div>`;
    details.addEventListener("toggle", () => openTopics.set(topic, details.open));
    details.querySelector(".by-lag").onclick = (event) => {
      event.preventDefault();
      sortBy.set(topic, "lag");
      void refresh();
    };
    details.querySelector(".by-partition").onclick = (event) => {
      event.preventDefault();
      sortBy.set(topic, "partition");
      void refresh();
    };
    container.append(details);
  }
  const maxLag = Math.max(1, ...partitions.map((row) => row.lag ?? 0));
  const total = partitions.reduce((sum, row) => sum + (row.lag ?? 0), 0);
  setCell(details.querySelector("summary strong"), topic);
  setCell(details.querySelector("summary .total"), `${partitions.length} partitions · lag ${number(total)}`);
  const order = sortBy.get(topic) ?? "lag";
  const sorted = [...partitions].sort((a, b) =>
    order === "lag" ? (b.lag ?? 0) - (a.lag ?? 0) || a.partition - b.partition : a.partition - b.partition
  );
  syncRows(details.querySelector("tbody"), sorted, (row) => String(row.partition), 6, (tr, row) => {
    const [partition, committed, logEnd, lag, bar, owner] = tr.cells;
    setCell(partition, String(row.partition), "num");
    setCell(committed, number(row.committed), "num");
    setCell(logEnd, number(row.logEnd), "num");
    setCell(lag, number(row.lag), "num");
    if (bar.firstElementChild === null) {
      bar.className = "lag";
      bar.innerHTML = `<div class="track" role="img"><div class="fill"></div></div>`;
    }
    const share = Math.round(((row.lag ?? 0) / maxLag) * 100);
    bar.querySelector(".fill").style.width = `${share}%`;
    bar.firstElementChild.setAttribute("aria-label", `lag ${row.lag ?? "unknown"}`);
    // Owners are `clientId@/host (memberId)`: the member id goes to the tooltip.
    setCell(owner, text(row.owner).replace(/ \(.*\)$/, ""), "owner");
    owner.title = text(row.owner);
  });
}

function renderGroup(group, roll) {
  const rolling = roll?.inProgress ? ` · roll in progress: ${roll.versions.length} module versions` : "";
  setCell($("group-summary"), `${group.length} in the app's group${rolling}`);
  syncRows($("group").tBodies[0], group, (member) => member.instance ?? member.client, 5, (tr, member) => {
    const [instance, control, tasks, client, version] = tr.cells;
    setCell(instance, `${text(member.instance)}${member.self ? " (this one)" : ""}`, "owner");
    setCell(control, text(member.controlUrl));
    setCell(tasks, member.tasks.length === 0 ? "none" : member.tasks.join(", "), "detail");
    setCell(client, member.client, "owner");
    const module = member.moduleVersion;
    setCell(version, module == null ? "-" : `${module.label === null ? "" : `${module.label} `}${module.hash}`);
  });
}

function renderTasks(tasks) {
  const failed = tasks.filter((task) => task.status === "failed").length;
  setCell($("tasks-summary"), `${tasks.length} on this instance${failed > 0 ? ` · ${failed} stopped` : ""}`);
  syncRows($("tasks").tBodies[0], tasks, (task) => String(task.task), 9, (tr, task) => {
    const [id, status, queued, running, invocations, commits, stateValues, detail, action] = tr.cells;
    setCell(id, String(task.task));
    badge(status, task.status);
    setCell(queued, number(task.queued), "num");
    setCell(running, number(task.inFlight), "num");
    setCell(invocations, number(task.invocations), "num");
    setCell(commits, number(task.commits), "num");
    setCell(stateValues, number(task.stateValues), "num");
    detail.className = "detail";
    if (task.failure !== undefined) {
      const origin = task.failure.origin;
      const at = origin === undefined ? "" : ` (at ${origin.topic}/${origin.partition}@${origin.offset})`;
      setCell(detail, `${task.failure.reason}${at}`);
    } else if (task.restore !== undefined) {
      const { position, until } = task.restore;
      const share = until <= 0 ? 100 : Math.min(100, Math.round((position / until) * 100));
      detail.innerHTML = `restoring ${share}% <span class="progress" role="img"><span></span></span>`;
      detail.querySelector(".progress").setAttribute("aria-label", `${share}%`);
      detail.querySelector(".progress > span").style.width = `${share}%`;
    } else setCell(detail, "");
    button(
      action,
      task.status === "failed" ? "Restart" : undefined,
      token !== "",
      () => act(`/v1/tasks/${task.task}/restart`, `Restart of task ${task.task}`),
    );
  });
}

function renderFunctions(functions, now) {
  const elapsed = (now - previous.at) / 1000;
  syncRows($("functions").tBodies[0], functions, (fn) => fn.typename, 7, (tr, fn) => {
    const [name, kind, invocations, rate, failures, backlog, endpoint] = tr.cells;
    const before = previous.invocations.get(fn.typename);
    setCell(name, fn.typename);
    setCell(kind, fn.kind);
    setCell(invocations, number(fn.invocations), "num");
    setCell(
      rate,
      before === undefined || elapsed <= 0 ? "–" : (Math.max(0, fn.invocations - before) / elapsed).toFixed(1),
      "num",
    );
    setCell(failures, number(fn.failures), "num");
    setCell(backlog, number(fn.backlog), "num");
    const remote = fn.remote;
    setCell(
      endpoint,
      remote === undefined
        ? ""
        : `${remote.url} · ${number(remote.calls)} calls · ${number(remote.failures)} failed · ` +
          `${(remote.meanSeconds * 1000).toFixed(1)} ms mean`,
    );
  });
  previous = { at: now, invocations: new Map(functions.map((fn) => [fn.typename, fn.invocations])) };
}

function renderEgresses(egresses) {
  syncRows($("egresses").tBodies[0], egresses, (egress) => egress.id, 6, (tr, egress) => {
    const [id, delivery, address, records, errors, recent] = tr.cells;
    setCell(id, egress.id);
    setCell(delivery, egress.delivery);
    setCell(address, egress.address);
    setCell(records, number(egress.records), "num");
    setCell(errors, number(egress.errors), "num");
    const entry = history?.egresses.find((each) => each.id === egress.id);
    if (entry === undefined) recent.replaceChildren();
    else drawChart(chartIn(recent, "out"), "out", "/s", history.at, entry.recordsPerSecond);
  });
}

function renderCommitChart() {
  const container = $("commit-chart");
  container.hidden = history === undefined;
  if (history !== undefined) {
    drawChart(chartIn(container, "commit"), "commit time", " ms", history.at, history.commitMs);
  }
}

let refreshing;
function refresh() {
  refreshing ??= (async () => {
    try {
      const [status, recent] = await Promise.all([
        api("/v1/status"),
        api("/v1/history").catch(() => undefined), // an instance without it: the page shows no charts
      ]);
      history = recent;
      const offsets = await Promise.all(
        status.ingresses.map((ingress) => api(`/v1/ingresses/${ingress.id}/offsets`).then((body) => body.partitions)),
      );
      renderSummary(status);
      const container = $("ingresses");
      status.ingresses.forEach((ingress, i) => renderIngress(container, ingress, offsets[i] ?? []));
      renderGroup(status.group ?? [], status.roll);
      renderTasks(status.tasks);
      renderCommitChart();
      renderFunctions(status.functions, performance.now());
      renderEgresses(status.egresses);
      if ($("notice").textContent.startsWith("refresh failed")) notice(undefined);
      setCell($("refreshed"), `refreshed ${new Date().toLocaleTimeString()}`);
    } catch (error) {
      notice(`refresh failed: ${error.message}`);
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("token");
  token = input.value.trim();
  input.value = ""; // the token is kept in memory only, never shown again
  setCell($("token-state"), token === "" ? "no token" : "token set");
  void refresh();
});

void refresh();
setInterval(() => void refresh(), REFRESH_MS);

// Drives the published @copilotkit/core 1.74.0 headlessly, the way @copilotkit/react-core 1.74
// (<CopilotKit runtimeUrl> + <CopilotChat> + useFrontendTool) does, against a runtime URL.
//
//   node tests/node/copilotkit_core.mjs <runtimeUrl> <scenario.json>
//
// Scenario JSON (all keys optional except "message"):
//   {"transport": "auto"|"single"|"rest", "agentId": "default", "properties": {...}, "headers": {...},
//    "threadId": "t1",            // explicit thread: set on the agent and hydrated via connectAgent (/connect)
//    "connect": true|false,       // override whether connectAgent is called (default: threadId given)
//    "connectOnly": true,         // a page reload: connectAgent, no message sent
//    "context": [{"description": "...", "value": "..."}],
//    "frontendTools": [{"name", "description", "parameters": <JSON schema>, "result": <JSON>,
//                       "followUp": false?, "error": "msg"? (handler throws)}],
//    "message": "user text" | ["turn 1", "turn 2"],
//    "stopAfterMs": 500,          // copilotkit.stopAgent() this long after the (first) run started
//    "allowErrors": true,         // errors surfaced via onError are reported instead of failing
//    "timeoutMs": 30000}
//
// Prints one JSON transcript on stdout: {transport, connectionStatus, agents, threadId, runs, requests,
// connectEvents, events, messages, toolCalls, errors, state}. Exits 1 (message on stderr, transcript too)
// if the runtime connection fails, the agent is missing, the run fails/throws, or (unless allowErrors)
// an error surfaces or a /run yielded no RUN_FINISHED/RUN_ERROR (how the core hides invalid events).

import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";

const [runtimeUrl, scenarioFile] = process.argv.slice(2);
if (!runtimeUrl || !scenarioFile) {
  console.error("usage: node copilotkit_core.mjs <runtimeUrl> <scenario-json-file>");
  process.exit(2);
}
const scenario = JSON.parse(readFileSync(scenarioFile, "utf8"));
const timeoutMs = scenario.timeoutMs ?? 30000;

// --- Record every HTTP request the client makes (installed before the core is loaded). ---
const requests = [];
const pending = new Set();
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  let body = init.body;
  if (typeof body === "string") {
    try { body = JSON.parse(body); } catch { /* keep raw text */ }
  }
  const entry = {
    method: String(init.method ?? (typeof input === "object" ? input.method : undefined) ?? "GET").toUpperCase(),
    url,
    headers: Object.fromEntries(new Headers(init.headers ?? {}).entries()),
    body: body ?? null,
    status: null,
  };
  requests.push(entry);
  const p = realFetch(input, init).then(
    (res) => { entry.status = res.status; return res; },
    (err) => { entry.error = String(err?.message ?? err); throw err; },
  );
  pending.add(p);
  p.finally(() => pending.delete(p)).catch(() => {});
  return p;
};

// The core only starts its /info connection when `window` exists (browser guard); give it a minimal one.
globalThis.window ??= { location: { origin: "http://localhost", href: "http://localhost/" } };

const { CopilotKitCore, CopilotKitCoreRuntimeConnectionStatus: Status } = await import("@copilotkit/core");

const errors = [];
const toolCalls = [];
const isRun = (r) => /\/agent\/[^/]+\/run$/.test(r.url) || r.body?.method === "agent/run";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTimeout = (promise, what) => {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${timeoutMs}ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
};

// Plain JSON Schema -> Standard JSON Schema wrapper, which the core converts back with schemaToJsonSchema().
const jsonSchemaParameters = (schema) => ({
  "~standard": {
    version: 1,
    vendor: "json-schema",
    validate: (value) => ({ value }),
    jsonSchema: { input: () => structuredClone(schema), output: () => structuredClone(schema) },
  },
});

// Same construction as react-core's CopilotKitProvider: deferred connection, then connect() from an effect.
const copilotkit = new CopilotKitCore({
  runtimeUrl,
  runtimeTransport: scenario.transport ?? "auto",
  deferInitialConnection: true,
  headers: scenario.headers ?? {},
  properties: scenario.properties ?? {},
});
copilotkit.subscribe({
  onError: ({ error, code, context }) => {
    errors.push({ code, message: String(error?.message ?? error), runtimeErrorCode: context?.runtimeErrorCode });
  },
});

// Like useFrontendTool(): core.addTool({name, description, parameters, handler}).
for (const tool of scenario.frontendTools ?? []) {
  copilotkit.addTool({
    name: tool.name,
    description: tool.description,
    ...(tool.parameters ? { parameters: jsonSchemaParameters(tool.parameters) } : {}),
    ...(tool.followUp !== undefined ? { followUp: tool.followUp } : {}),
    handler: async (args, { toolCall }) => {
      toolCalls.push({ name: tool.name, args, toolCallId: toolCall?.id });
      if (tool.error) throw new Error(tool.error);
      return tool.result;
    },
  });
}
for (const ctx of scenario.context ?? []) copilotkit.addContext(ctx);

const events = [];
const connectEvents = [];
let phase = "connect";
let exitCode = 0;
let failure;
let agent;
const fail = (msg) => { if (!failure) failure = msg; exitCode = 1; };

try {
  // Connect (/info over REST, or the single-route {"method":"info"} envelope) and wait until settled.
  const settled = new Promise((resolve) => {
    copilotkit.subscribe({
      onRuntimeConnectionStatusChanged: ({ status }) => {
        if (status === Status.Connected || status === Status.Error) resolve(status);
      },
    });
  });
  copilotkit.connect();
  const status = await withTimeout(settled, "runtime connection");
  if (status !== Status.Connected) await sleep(50); // let the core's onError (runtime_info_fetch_failed) land
  if (status !== Status.Connected) throw new Error(`runtime connection failed (status ${status}): ${errors.map((e) => e.message).join("; ")}`);

  const agentId = scenario.agentId ?? "default";
  agent = copilotkit.getAgent(agentId);
  if (!agent) throw new Error(`agent '${agentId}' not found; runtime agents: ${Object.keys(copilotkit.agents).join(", ")}`);

  // Record every AG-UI event the agent applied (after the client's own parsing/validation).
  agent.subscribe({ onEvent: ({ event }) => { (phase === "connect" ? connectEvents : events).push(event); } });

  // Explicit thread id: CopilotChat sets agent.threadId and calls connectAgent to hydrate history.
  if (scenario.threadId) agent.threadId = scenario.threadId;
  if (scenario.connect ?? Boolean(scenario.threadId)) {
    await withTimeout(copilotkit.connectAgent({ agent }), "connectAgent");
  }
  phase = "run";

  // Like CopilotChat's send: agent.addMessage(user) then copilotkit.runAgent({agent}).
  // runAgent resolves after frontend tools ran and any automatic follow-up runs finished.
  const turns = scenario.connectOnly ? [] : Array.isArray(scenario.message) ? scenario.message : [scenario.message ?? ""];
  for (const [i, text] of turns.entries()) {
    agent.addMessage({ id: randomUUID(), role: "user", content: text });
    const run = copilotkit.runAgent({ agent });
    let stopTimer;
    if (i === 0 && scenario.stopAfterMs !== undefined) {
      stopTimer = setTimeout(() => copilotkit.stopAgent({ agent }), scenario.stopAfterMs);
    }
    try {
      await withTimeout(run, "runAgent");
    } finally {
      clearTimeout(stopTimer);
    }
  }
  await withTimeout(Promise.allSettled([...pending]), "pending requests"); // e.g. the fire-and-forget /stop
  if (errors.length && !scenario.allowErrors) fail(`errors surfaced: ${JSON.stringify(errors)}`);
  // The core silently drops a run on a schema-invalid or unknown event (ZodError -> EMPTY), so check
  // that every /run produced a terminal event (not required when the run was stopped).
  const terminal = events.filter((e) => e.type === "RUN_FINISHED" || e.type === "RUN_ERROR").length;
  const runCount = requests.filter(isRun).length;
  if (!scenario.allowErrors && scenario.stopAfterMs === undefined && terminal < runCount) {
    fail(`${runCount} /run request(s) but only ${terminal} RUN_FINISHED/RUN_ERROR event(s) applied (invalid or missing events?)`);
  }
} catch (err) {
  fail(String(err?.message ?? err));
}

const transcript = {
  transport: copilotkit.runtimeTransport,
  connectionStatus: copilotkit.runtimeConnectionStatus,
  agents: Object.keys(copilotkit.agents),
  threadId: agent?.threadId ?? null,
  runs: requests.filter(isRun).length,
  requests,
  connectEvents,
  events,
  messages: agent?.messages ?? [],
  toolCalls,
  errors,
  state: agent?.state ?? null,
};
const json = JSON.stringify(transcript);
if (exitCode) {
  console.error(`copilotkit_core.mjs: ${failure}`);
  console.error(json);
} else {
  process.stdout.write(json + "\n");
}
process.exit(exitCode);

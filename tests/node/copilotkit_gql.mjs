// Drives the published @copilotkit/runtime-client-gql 1.74.0 (urql 5) against a runtime URL, the way
// @copilotkit/react-core <= 1.10 did: useChat's runChatCompletion loop (a fresh system prompt each
// request, the whole transcript re-sent, frontend actions executed after the stream, a follow-up
// request after an executed action or a trailing server-side result), and CopilotTask's
// `.toPromise()` call.
//
//   node tests/node/copilotkit_gql.mjs <runtimeUrl> <scenario.json>
//
// Scenario JSON (all keys optional):
//   {"mode": "chat" | "task" | "raw" | "agents",
//    "message": "user text" | ["turn 1", "turn 2"],      // chat / task
//    "streamed": true,          // false: Accept: application/json (one materialised JSON body)
//    "threadId": "t1", "properties": {...}, "pageUrl": "https://app/page",
//    "headers": {"authorization": "Bearer ..."},   // sent with every request
//    "context": [{"description", "value"}],
//    "frontendActions": [{"name", "description", "jsonSchema": <JSON Schema>, "result": <JSON>}],
//    "agentSession": {"agentName": "default"},
//    "loadState": true,         // afterwards: loadAgentState(threadId, agentName or "default")
//    "data": {...}}             // raw: the mutation's `data` variable, sent as is
//
// Prints one JSON transcript on stdout: {requests, responses, messages, actionCalls, errors,
// statuses, threadId, agents, loadedState, raw}. Exits 1 (message on stderr) on an unexpected failure.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [runtimeUrl, scenarioFile] = process.argv.slice(2);
if (!runtimeUrl || !scenarioFile) {
  console.error("usage: node copilotkit_gql.mjs <runtimeUrl> <scenario-json-file>");
  process.exit(2);
}
const scenario = JSON.parse(readFileSync(scenarioFile, "utf8"));

// --- Record every HTTP request the client makes (installed before the client is loaded). ---
const requests = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  let body = init.body;
  if (typeof body === "string") {
    try { body = JSON.parse(body); } catch { /* keep raw text */ }
  }
  const entry = { method: String(init.method ?? "GET").toUpperCase(), url, headers: { ...(init.headers ?? {}) }, body: body ?? null };
  requests.push(entry);
  const response = await realFetch(input, init);
  entry.status = response.status;
  entry.contentType = response.headers.get("content-type");
  return response;
};

// Import quirk: the package's ESM build default-imports the CommonJS `untruncate-json`, which
// Node hands over as a namespace object, so convertGqlOutputToMessages silently parses every
// action's arguments to {}. Bundlers paper over it; in Node the CommonJS build is the working one.
const gql = createRequire(import.meta.url)("@copilotkit/runtime-client-gql");
const {
  CopilotRuntimeClient, TextMessage, ResultMessage, Role, MessageStatusCode, CopilotRequestType,
  convertMessagesToGqlInput, convertGqlOutputToMessages, filterAgentStateMessages, filterAdjacentAgentStateMessages,
} = gql;

const streamed = scenario.streamed ?? true;
const errors = [];
const client = new CopilotRuntimeClient({
  url: runtimeUrl,
  // urql lets these headers override its Accept; without multipart/SSE the server answers one JSON body.
  headers: { ...(streamed ? {} : { accept: "application/json" }), ...(scenario.headers ?? {}) },
  handleGQLErrors: (error) => errors.push({ kind: "graphql", message: String(error?.message ?? error) }),
});

const actions = scenario.frontendActions ?? [];
const actionInputs = actions.map((a) => ({
  name: a.name,
  description: a.description ?? "",
  jsonSchema: JSON.stringify(a.jsonSchema ?? { type: "object", properties: {} }),
  available: "enabled",
}));
const actionCalls = [];
const responses = []; // every response value the stream delivered, per request
const statuses = [];
const pageUrl = scenario.pageUrl ?? "http://localhost:3000/page";
let threadId = scenario.threadId;
let runId;
const MAX_FOLLOW_UPS = 5;

const requestData = (messages, requestType) => ({
  frontend: { actions: actionInputs, url: pageUrl },
  threadId,
  runId,
  metaEvents: [],
  messages: convertMessagesToGqlInput(filterAgentStateMessages(messages)),
  metadata: { requestType },
  ...(scenario.agentSession ? { agentSession: scenario.agentSession } : {}),
  agentStates: [],
  forwardedParameters: {},
  context: scenario.context ?? [],
});

// useChat's runChatCompletion, reduced to what reaches the wire.
async function runChatCompletion(previousMessages, depth = 0) {
  // react-core builds a new system message (new id) for every request.
  const system = new TextMessage({ role: Role.System, content: "You are the assistant of a test page." });
  const stream = client.asStream(
    client.generateCopilotResponse({
      data: requestData([system, ...previousMessages], CopilotRequestType.Chat),
      properties: scenario.properties ?? {},
    }),
  );
  const reader = stream.getReader();
  const values = [];
  let newMessages = [];
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    const response = value?.generateCopilotResponse;
    if (!response) continue;
    values.push(structuredClone(response));
    threadId = threadId ?? response.threadId;
    runId = response.runId ?? undefined;
    if (response.status?.__typename === "FailedResponseStatus") {
      statuses.push(response.status);
      throw new Error(`run failed: ${response.status.details?.description ?? response.status.reason}`);
    }
    newMessages = convertGqlOutputToMessages(filterAdjacentAgentStateMessages(response.messages));
  }
  responses.push(values);
  statuses.push(values.at(-1)?.status ?? null);
  const finalMessages = [...previousMessages, ...newMessages];

  // Trailing action executions and results that are not Pending: execute the frontend ones.
  const trailing = [];
  for (let i = finalMessages.length - 1; i >= 0; i--) {
    const m = finalMessages[i];
    if ((m.isActionExecutionMessage() || m.isResultMessage()) && m.status.code !== MessageStatusCode.Pending) trailing.unshift(m);
    else if (!m.isAgentStateMessage()) break;
  }
  let didExecuteAction = false;
  for (const message of trailing) {
    const action = actions.find((a) => a.name === message.name);
    if (!action || !message.isActionExecutionMessage()) continue;
    actionCalls.push({ name: message.name, args: message.arguments, id: message.id });
    const result = new ResultMessage({
      id: "result-" + message.id,
      result: ResultMessage.encodeResult(action.result),
      actionExecutionId: message.id,
      actionName: message.name,
    });
    finalMessages.splice(finalMessages.findIndex((m) => m.id === message.id) + 1, 0, result);
    didExecuteAction = true;
  }
  const isAgentRun = Boolean(scenario.agentSession);
  const endsWithResult = finalMessages.length && finalMessages.at(-1).isResultMessage();
  if ((didExecuteAction || (!isAgentRun && endsWithResult)) && depth < MAX_FOLLOW_UPS) {
    return runChatCompletion(finalMessages, depth + 1);
  }
  return finalMessages;
}

// CopilotTask.run: one system message, toolChoice "required", `.toPromise()`, then the calls run.
async function runTask(instructions) {
  const system = new TextMessage({ role: Role.System, content: `Task: ${instructions}` });
  const user = new TextMessage({ role: Role.User, content: instructions });
  const data = { ...requestData([system, user], CopilotRequestType.Task), forwardedParameters: { toolChoice: "required" } };
  const result = await client.generateCopilotResponse({ data, properties: scenario.properties ?? {} }).toPromise();
  if (result.error) throw new Error(`task failed: ${result.error.message}`);
  const response = result.data.generateCopilotResponse;
  responses.push([structuredClone(response)]);
  statuses.push(response.status);
  threadId = response.threadId;
  const messages = convertGqlOutputToMessages(response.messages);
  for (const call of messages.filter((m) => m.isActionExecutionMessage())) {
    actionCalls.push({ name: call.name, args: call.arguments, id: call.id });
  }
  return messages;
}

const plain = (messages) => messages.map((m) => {
  const { createdAt, ...rest } = m;
  return rest;
});

let exitCode = 0;
let messages = [];
let agents = null;
let loadedState = null;
let raw = null;
try {
  const mode = scenario.mode ?? "chat";
  if (mode === "chat") {
    const turns = Array.isArray(scenario.message) ? scenario.message : [scenario.message ?? "hello"];
    for (const text of turns) {
      messages = await runChatCompletion([...messages, new TextMessage({ role: Role.User, content: text })]);
    }
  } else if (mode === "task") {
    messages = await runTask(scenario.message ?? "do it");
  } else if (mode === "raw") {
    const result = await client.generateCopilotResponse({ data: scenario.data, properties: scenario.properties ?? {} }).toPromise();
    raw = {
      data: result.data ?? null,
      graphQLErrors: (result.error?.graphQLErrors ?? []).map((e) => ({ message: e.message, extensions: e.extensions ?? {} })),
      networkError: result.error?.networkError ? String(result.error.networkError.message ?? result.error.networkError) : null,
    };
  } else if (mode === "agents") {
    const result = await client.availableAgents().toPromise();
    if (result.error) throw new Error(result.error.message);
    agents = result.data.availableAgents.agents;
  }
  if (scenario.loadState) {
    const agentName = scenario.agentSession?.agentName ?? "default";
    const result = await client.loadAgentState({ threadId, agentName }).toPromise();
    if (result.error) throw new Error(`loadAgentState failed: ${result.error.message}`);
    const loaded = result.data.loadAgentState;
    loadedState = { ...loaded, state: JSON.parse(loaded.state), messages: JSON.parse(loaded.messages) };
  }
} catch (err) {
  errors.push({ kind: "thrown", message: String(err?.message ?? err) });
  if (!scenario.allowErrors) exitCode = 1;
}

const transcript = { threadId, requests, responses, statuses, messages: plain(messages), actionCalls, errors, agents, loadedState, raw };
const json = JSON.stringify(transcript);
if (exitCode) {
  console.error(`copilotkit_gql.mjs: ${errors.map((e) => e.message).join("; ")}`);
  console.error(json);
} else {
  process.stdout.write(json + "\n");
}
process.exit(exitCode);

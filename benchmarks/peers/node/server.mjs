// The Node peer: @copilotkit/runtime 1.75.0 serving its built-in agent (BuiltInAgent, AI SDK,
// OpenAI Responses API) at POST {base}/agent/default/run, with the backend action
// fetchNameForUserId declared the v1 way (`actions`), all pointed at the fake model.
//
//   node server.mjs PORT MODEL_BASE_URL   (loopback only; stops on SIGTERM)
//
// Wiring read from the published dist (lib/runtime/copilot-runtime.mjs):
// - `actions` only reach agents through the per-request resolver that handleServiceAdapter()
//   installs, so it is called before `runtime.instance` is read (or the action is dropped).
// - The agent handleServiceAdapter() would make (`new BuiltInAgent({model})`) stops after one
//   step, so a backend action never gets its follow-up answer. The same class is declared here
//   with maxSteps so the action turn does the same work as the Python servers: call, result,
//   final answer. Its model is the OpenAI adapter's own language model (Responses API).
import http from "node:http";
import OpenAI from "openai";
import { CopilotRuntime, OpenAIAdapter } from "@copilotkit/runtime";
import { BuiltInAgent, createCopilotRuntimeHandler } from "@copilotkit/runtime/v2";
import { createCopilotNodeHandler } from "@copilotkit/runtime/v2/node";

const [port, baseURL, model = "gpt-4o-mini"] = process.argv.slice(2);
const BASE_PATH = "/api/copilotkit";

const fetchNameForUserId = {
  name: "fetchNameForUserId",
  description: "Fetches user name from the database for a given ID.",
  parameters: [
    { name: "userId", type: "string", description: "The ID of the user to fetch data for.", required: true },
  ],
  handler: async ({ userId }) => ({ name: "Darth Doe", userId }),
};

const adapter = new OpenAIAdapter({ openai: new OpenAI({ baseURL, apiKey: "fake" }), model });
const runtime = new CopilotRuntime({
  agents: { default: new BuiltInAgent({ model: adapter.getLanguageModel(), maxSteps: 5 }) },
  actions: () => [fetchNameForUserId],
});
runtime.handleServiceAdapter(adapter); // before `runtime.instance`, or the actions are dropped

const handler = createCopilotRuntimeHandler({ runtime: runtime.instance, basePath: BASE_PATH, mode: "multi-route" });
const server = http.createServer(createCopilotNodeHandler(handler));
server.keepAliveTimeout = 120_000;
server.listen({ port: Number(port), host: "127.0.0.1", backlog: 4096 }, () => {
  process.stdout.write(`node peer: http://127.0.0.1:${port}${BASE_PATH}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

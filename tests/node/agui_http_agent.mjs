// Runs one AG-UI RunAgentInput against a URL with the published @ag-ui/client 1.0.0 HttpAgent
// (what a Node CopilotRuntime does with `agents: {default: new HttpAgent({url})}`), with the
// client's own event validation/verification left on.
//
//   node tests/node/agui_http_agent.mjs <url> <input.json>
//
// input.json: {threadId, runId, messages, tools, context, forwardedProps, state, resume?,
//              headers?: {...} (HTTP headers, not part of RunAgentInput)}
// Prints {"events": [every event the agent pipeline delivered], "messages": agent.messages,
// "state": agent.state}. Exits 1 (message on stderr) if the HTTP request fails or any event is
// schema-invalid / out of order (the run rejects).

import { readFileSync } from "node:fs";
import { HttpAgent } from "@ag-ui/client";

const [url, inputFile] = process.argv.slice(2);
if (!url || !inputFile) {
  console.error("usage: node agui_http_agent.mjs <url> <input-json-file>");
  process.exit(2);
}
const input = JSON.parse(readFileSync(inputFile, "utf8"));

const agent = new HttpAgent({
  url,
  headers: input.headers ?? {},
  threadId: input.threadId,
  initialMessages: input.messages ?? [],
  initialState: input.state ?? {},
});

const events = [];
try {
  await agent.runAgent(
    {
      runId: input.runId,
      tools: input.tools ?? [],
      context: input.context ?? [],
      forwardedProps: input.forwardedProps ?? {},
      ...(input.resume !== undefined ? { resume: input.resume } : {}),
    },
    { onEvent: ({ event }) => { events.push(event); } },
  );
} catch (err) {
  console.error(`agui_http_agent.mjs: run failed: ${err?.stack ?? err}`);
  console.error(JSON.stringify({ events }));
  process.exit(1);
}
process.stdout.write(JSON.stringify({ events, messages: agent.messages, state: agent.state }) + "\n");
process.exit(0);

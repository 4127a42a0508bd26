// Drives one @ag-ui/client 1.0.0 HttpAgent through several runs of a thread, as a page does
// across an interrupt: the agent keeps its messages, state and pending interrupts between runs.
//
//   node tests/node/agui_interrupts.mjs <url> <scenario.json>
//
// scenario.json: {threadId, state?, steps: [step, ...]}, each step one of
//   {"say": "text"}                      add a user message, then run
//   {"resolve": <payload>}               answer every pending interrupt (RUN_FINISHED outcome)
//                                        with `resume: [{interruptId, status: "resolved", payload}]`
//   {"cancel": true}                     the same with status "cancelled"
//   {"legacyResume": <payload>}          answer the last CUSTOM on_interrupt the way
//                                        useLangGraphInterrupt does: forwardedProps.command
// Prints {"runs": [{events, pendingInterrupts}], "messages", "state"}. Exits 1 (message on
// stderr) when a run fails: an HTTP error, or an event the client's verification rejects.

import { readFileSync } from "node:fs";
import { HttpAgent } from "@ag-ui/client";

const [url, scenarioFile] = process.argv.slice(2);
const scenario = JSON.parse(readFileSync(scenarioFile, "utf8"));

const agent = new HttpAgent({ url, threadId: scenario.threadId, initialState: scenario.state ?? {} });
const runs = [];
let lastInterruptEvent;
let count = 0;

for (const step of scenario.steps) {
  count += 1;
  const parameters = { runId: `run-${count}`, tools: [], context: [], forwardedProps: {} };
  if (step.say !== undefined) {
    agent.addMessage({ id: `user-${count}`, role: "user", content: step.say });
  } else if (step.resolve !== undefined || step.cancel) {
    parameters.resume = agent.pendingInterrupts.map((item) =>
      step.cancel
        ? { interruptId: item.id, status: "cancelled" }
        : { interruptId: item.id, status: "resolved", payload: step.resolve },
    );
  } else if (step.legacyResume !== undefined) {
    parameters.forwardedProps = {
      command: { resume: step.legacyResume, interruptEvent: lastInterruptEvent },
    };
  }
  const events = [];
  try {
    await agent.runAgent(parameters, {
      onEvent: ({ event }) => {
        events.push(event);
        if (event.type === "CUSTOM" && event.name === "on_interrupt") {
          lastInterruptEvent = event.value;
        }
      },
    });
  } catch (err) {
    console.error(`agui_interrupts.mjs: run ${count} failed: ${err?.stack ?? err}`);
    console.error(JSON.stringify({ runs, events }));
    process.exit(1);
  }
  runs.push({ events, pendingInterrupts: agent.pendingInterrupts ?? [] });
}
process.stdout.write(
  JSON.stringify({ runs, messages: agent.messages, state: agent.state }) + "\n",
);
process.exit(0);

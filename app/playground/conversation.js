// One thread as the page knows it: the AG-UI messages (what the next run sends back), the
// shared state, the status of each tool call, the notices shown between messages (errors,
// stops) and the interrupt the last run ended with. `apply` folds one AG-UI event into it.

import { applyPatch } from "./json-patch.js";

export const INTERRUPT_EVENT = "on_interrupt"; // CopilotKit's (and ag-ui-langgraph's) custom event

export class Conversation {
  constructor() {
    this.reset();
  }

  reset(state = {}) {
    this.messages = [];
    this.state = state;
    this.toolStatus = new Map(); // toolCallId -> "streaming" | "called" | "done"
    this.notices = []; // { at: index in messages, kind, text }
    this.pending = null; // the interrupt waiting for an answer
    this.openText = null; // the message a TEXT_MESSAGE_CHUNK run continues
    this.openTool = null; // the tool call a TOOL_CALL_CHUNK run continues
    this.legacyInterrupt = null;
  }

  addUser(id, text) {
    this.messages.push({ id, role: "user", content: text });
  }

  notice(kind, text) {
    this.notices.push({ at: this.messages.length, kind, text });
  }

  // The messages to send with the next run.
  history() {
    return this.messages.filter((message) => message.role !== "activity");
  }

  apply(event) {
    const handler = HANDLERS[event.type];
    if (handler) handler(this, event);
  }

  message(id, role = "assistant") {
    let found = this.messages.find((message) => message.id === id);
    if (!found) {
      found = { id, role, content: "" };
      this.messages.push(found);
    }
    return found;
  }

  toolCall(id) {
    for (const message of this.messages) {
      const call = message.toolCalls?.find((item) => item.id === id);
      if (call) return call;
    }
    return undefined;
  }

  startToolCall(id, name, parentMessageId) {
    const parent = this.message(parentMessageId ?? id, "assistant");
    parent.toolCalls ??= [];
    if (!parent.toolCalls.some((call) => call.id === id)) {
      parent.toolCalls.push({ id, type: "function", function: { name, arguments: "" } });
    }
    this.toolStatus.set(id, "streaming");
  }

  appendText(id, delta, role) {
    const message = this.message(id, role ?? "assistant");
    message.content = `${message.content ?? ""}${delta ?? ""}`;
  }

  // A tool result goes right after the assistant message that made the call, and after the
  // results already there, as @ag-ui/client places it.
  addToolResult(event) {
    if (this.messages.some((message) => message.id === event.messageId)) return;
    const result = { id: event.messageId, role: "tool", toolCallId: event.toolCallId, content: event.content };
    const owner = this.messages.findIndex((message) => message.toolCalls?.some((call) => call.id === event.toolCallId));
    let at = owner < 0 ? this.messages.length : owner + 1;
    while (at < this.messages.length && this.messages[at].role === "tool") at += 1;
    this.messages.splice(at, 0, result);
    for (const notice of this.notices) if (notice.at >= at) notice.at += 1;
    this.toolStatus.set(event.toolCallId, "done");
  }

  results() {
    const found = new Map();
    for (const message of this.messages) if (message.role === "tool") found.set(message.toolCallId, message);
    return found;
  }
}

const HANDLERS = {
  RUN_STARTED(conversation) {
    conversation.pending = null;
    conversation.legacyInterrupt = null;
  },
  RUN_FINISHED(conversation, event) {
    const interrupts = event.outcome?.type === "interrupt" ? event.outcome.interrupts ?? [] : [];
    if (interrupts.length > 0) {
      conversation.pending = { kind: "standard", runId: event.runId, interrupts, responses: {} };
    } else if (conversation.legacyInterrupt) {
      conversation.pending = { kind: "legacy", runId: event.runId, event: conversation.legacyInterrupt };
    }
    conversation.legacyInterrupt = null;
    closeChunks(conversation);
  },
  RUN_ERROR(conversation, event) {
    conversation.notice("error", `Run failed: ${event.message}${event.code ? ` (${event.code})` : ""}`);
    closeChunks(conversation);
  },
  TEXT_MESSAGE_START(conversation, event) {
    conversation.message(event.messageId, event.role ?? "assistant");
  },
  TEXT_MESSAGE_CONTENT(conversation, event) {
    conversation.appendText(event.messageId, event.delta);
  },
  TEXT_MESSAGE_CHUNK(conversation, event) {
    const id = event.messageId ?? conversation.openText;
    if (!id) return;
    conversation.openText = id;
    conversation.appendText(id, event.delta, event.role);
  },
  REASONING_MESSAGE_START(conversation, event) {
    conversation.message(event.messageId, "reasoning");
  },
  REASONING_MESSAGE_CONTENT(conversation, event) {
    conversation.appendText(event.messageId, event.delta, "reasoning");
  },
  REASONING_MESSAGE_CHUNK(conversation, event) {
    if (event.messageId) conversation.appendText(event.messageId, event.delta, "reasoning");
  },
  TOOL_CALL_START(conversation, event) {
    conversation.startToolCall(event.toolCallId, event.toolCallName, event.parentMessageId);
  },
  TOOL_CALL_ARGS(conversation, event) {
    const call = conversation.toolCall(event.toolCallId);
    if (call) call.function.arguments += event.delta;
  },
  TOOL_CALL_END(conversation, event) {
    if (conversation.toolStatus.get(event.toolCallId) === "streaming") {
      conversation.toolStatus.set(event.toolCallId, "called");
    }
  },
  TOOL_CALL_CHUNK(conversation, event) {
    const id = event.toolCallId ?? conversation.openTool;
    if (!id) return;
    if (!conversation.toolCall(id)) conversation.startToolCall(id, event.toolCallName ?? "", event.parentMessageId);
    conversation.openTool = id;
    const call = conversation.toolCall(id);
    if (event.delta) call.function.arguments += event.delta;
  },
  TOOL_CALL_RESULT(conversation, event) {
    conversation.addToolResult(event);
  },
  MESSAGES_SNAPSHOT(conversation, event) {
    conversation.messages = structuredClone(event.messages ?? []);
    conversation.notices = [];
    for (const call of conversation.messages.flatMap((message) => message.toolCalls ?? [])) {
      conversation.toolStatus.set(call.id, "called");
    }
    for (const message of conversation.messages) {
      if (message.role === "tool") conversation.toolStatus.set(message.toolCallId, "done");
    }
  },
  STATE_SNAPSHOT(conversation, event) {
    conversation.state = structuredClone(event.snapshot ?? {});
  },
  STATE_DELTA(conversation, event) {
    try {
      conversation.state = applyPatch(conversation.state, event.delta);
    } catch (error) {
      conversation.notice("error", `A STATE_DELTA did not apply (${error.message}); the state is unchanged.`);
    }
  },
  CUSTOM(conversation, event) {
    if (event.name === INTERRUPT_EVENT) conversation.legacyInterrupt = { name: event.name, value: event.value };
  },
};

function closeChunks(conversation) {
  conversation.openText = null;
  conversation.openTool = null;
}

// What the page sends to answer an interrupt, as CopilotKit's useInterrupt does:
// legacy `on_interrupt`: the interrupted run's runId again, and forwardedProps.command =
// {resume, interruptEvent}; the AG-UI outcome: `resume: [{interruptId, status, payload?}]`
// once every open interrupt has an answer (and a tool result for `tool_call` interrupts).
export function legacyResume(pending, payload) {
  return { runId: pending.runId, command: { resume: payload, interruptEvent: pending.event.value } };
}

export function standardResume(pending) {
  const resume = pending.interrupts.map((interrupt) => {
    const response = pending.responses[interrupt.id];
    const entry = { interruptId: interrupt.id, status: response.status };
    if (response.status === "resolved" && response.payload !== undefined) entry.payload = response.payload;
    return entry;
  });
  const toolResults = pending.interrupts
    .filter((interrupt) => interrupt.reason === "tool_call" && interrupt.toolCallId)
    .map((interrupt) => {
      const response = pending.responses[interrupt.id];
      const content = response.status === "cancelled" ? { status: "cancelled" } : response.payload ?? { status: "resolved" };
      return { toolCallId: interrupt.toolCallId, content: JSON.stringify(content) };
    });
  return { runId: pending.runId, resume, toolResults };
}

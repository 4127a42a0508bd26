// DOM for the page's parts. Everything that came from the server or the model is set as
// text (textContent), never parsed as HTML.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const item of children.flat()) if (item) node.append(item);
  return node;
}

// JSON text shown pretty when it parses, as it is otherwise (arguments still streaming).
export function pretty(value) {
  if (typeof value !== "string") return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

const STATUS_LABEL = { streaming: "calling…", called: "running…", done: "done" };

export function renderTranscript(container, conversation, { running }) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  const results = conversation.results();
  const called = new Set(conversation.messages.flatMap((message) => (message.toolCalls ?? []).map((call) => call.id)));
  const nodes = [];
  conversation.messages.forEach((message, index) => {
    for (const notice of conversation.notices) if (notice.at === index) nodes.push(noticeNode(notice));
    if (message.role === "tool" && called.has(message.toolCallId)) return;
    nodes.push(messageNode(message, results, conversation.toolStatus, running));
  });
  for (const notice of conversation.notices) if (notice.at >= conversation.messages.length) nodes.push(noticeNode(notice));
  if (nodes.length === 0) {
    nodes.push(el("p", { class: "empty", text: "No messages yet. Say something to the agent." }));
  }
  container.replaceChildren(...nodes);
  if (atBottom) container.scrollTop = container.scrollHeight;
}

function noticeNode(notice) {
  return el("div", { class: `notice ${notice.kind}`, role: notice.kind === "error" ? "alert" : "status", text: notice.text });
}

function messageNode(message, results, status, running) {
  const text = contentText(message.content);
  switch (message.role) {
    case "user":
      return el("div", { class: "message user", "data-id": message.id }, el("div", { class: "bubble", text }));
    case "assistant":
      return el(
        "div",
        { class: "message assistant", "data-id": message.id },
        text ? el("div", { class: "bubble", text }) : null,
        (message.toolCalls ?? []).map((call) => toolCallNode(call, results.get(call.id), status.get(call.id), running)),
      );
    case "reasoning":
      return el("div", { class: "message reasoning", "data-id": message.id }, el("span", { class: "label", text: "reasoning" }), el("div", { text }));
    case "tool":
      return el("div", { class: "message tool" }, el("span", { class: "label", text: `tool result (${message.toolCallId})` }), el("pre", { class: "json", text: pretty(message.content) }));
    default:
      return el("div", { class: `message ${message.role}` }, el("span", { class: "label", text: message.role }), el("div", { text }));
  }
}

function contentText(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (part.type === "text" ? part.text : `[${part.type}]`)).join("\n");
  }
  return "";
}

function toolCallNode(call, result, status, running) {
  const state = result ? "done" : running ? status ?? "called" : "no result";
  return el(
    "div",
    { class: "tool-call", "data-tool": call.function.name, "data-status": state.replace(/\W+/g, "-") },
    el(
      "div",
      { class: "tool-head" },
      el("span", { class: "tool-name", text: call.function.name }),
      el("span", { class: "tool-status", text: STATUS_LABEL[state] ?? state }),
    ),
    el("div", { class: "tool-part" }, el("span", { class: "label", text: "arguments" }), el("pre", { class: "json tool-args", text: pretty(call.function.arguments || "{}") })),
    result
      ? el("div", { class: "tool-part" }, el("span", { class: "label", text: "result" }), el("pre", { class: "json tool-result", text: pretty(result.content) }))
      : null,
  );
}

// One card per open interrupt, with what each button sends spelled out.
export function renderInterrupts(container, pending, answer) {
  if (!pending) {
    container.replaceChildren();
    return;
  }
  const cards =
    pending.kind === "legacy"
      ? [interruptCard("legacy", pending.event.value, undefined, answer)]
      : pending.interrupts.map((interrupt) => interruptCard("standard", interrupt, pending.responses[interrupt.id], answer));
  container.replaceChildren(
    el("div", { class: "interrupts-head", role: "status", text: "The agent is waiting for your answer." }),
    ...cards,
  );
}

const APPROVE = { approved: true };
const DECLINE = { approved: false };

function interruptCard(kind, interrupt, response, answer) {
  const id = kind === "legacy" ? undefined : interrupt.id;
  const details =
    kind === "legacy"
      ? [el("p", { class: "label", text: "on_interrupt (CopilotKit custom event)" }), el("pre", { class: "json interrupt-value", text: pretty(interrupt) })]
      : [
          el("p", { class: "label", text: `${interrupt.reason} · ${interrupt.id}` }),
          interrupt.message ? el("p", { class: "interrupt-message", text: interrupt.message }) : null,
          el("pre", { class: "json interrupt-value", text: pretty(interrupt) }),
        ];
  if (response) {
    return el("div", { class: "interrupt-card answered" }, ...details, el("p", { class: "note", text: `Answered (${response.status}); waiting for the other interrupts.` }));
  }
  const field = el("textarea", { class: "interrupt-answer", rows: 2, "aria-label": "Answer", placeholder: "An answer: JSON, or plain text" });
  const cancelled = kind === "legacy" ? { status: "resolved", payload: DECLINE } : { status: "cancelled" };
  return el(
    "div",
    { class: "interrupt-card", role: "group", "aria-label": "Interrupt" },
    ...details,
    field,
    el(
      "div",
      { class: "interrupt-buttons" },
      el("button", { type: "button", class: "approve", title: 'resumes with {"approved": true}', text: "Approve", onclick: () => answer(id, { status: "resolved", payload: APPROVE }) }),
      el("button", {
        type: "button",
        class: "decline",
        title: kind === "legacy" ? 'resumes with {"approved": false}' : "cancels the interrupt",
        text: "Decline",
        onclick: () => answer(id, cancelled),
      }),
      el("button", { type: "button", class: "answer", text: "Send answer", onclick: () => answer(id, { status: "resolved", payload: parseAnswer(field.value) }) }),
    ),
  );
}

function parseAnswer(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class Timeline {
  constructor(list, limit = 5000) {
    this.list = list;
    this.limit = limit;
    this.started = 0;
  }

  startRequest(label, body) {
    this.started = performance.now();
    this.add(
      el(
        "li",
        { class: "timeline-request" },
        el("details", {}, el("summary", {}, el("time", { text: new Date().toLocaleTimeString() }), " ", el("b", { text: label })), el("pre", { class: "json", text: pretty(body) })),
      ),
    );
  }

  event(event) {
    const elapsed = Math.round(performance.now() - this.started);
    this.add(
      el(
        "li",
        { class: "timeline-event", "data-type": event.type },
        el(
          "details",
          {},
          el("summary", {}, el("time", { text: `+${elapsed} ms` }), " ", el("b", { text: event.type }), " ", el("span", { class: "summary", text: summarise(event) })),
          el("pre", { class: "json", text: JSON.stringify(event, null, 2) }),
        ),
      ),
    );
  }

  note(text) {
    const elapsed = Math.round(performance.now() - this.started);
    this.add(el("li", { class: "timeline-note" }, el("time", { text: `+${elapsed} ms` }), " ", el("span", { text })));
  }

  add(node) {
    this.list.append(node);
    while (this.list.childElementCount > this.limit) this.list.firstElementChild.remove();
  }

  clear() {
    this.list.replaceChildren();
  }
}

function summarise(event) {
  const text =
    event.delta !== undefined
      ? typeof event.delta === "string"
        ? JSON.stringify(event.delta)
        : `${event.delta.length} operation(s)`
      : event.toolCallName ?? event.name ?? event.message ?? event.stepName ?? event.outcome?.type ?? event.content ?? "";
  const short = String(text);
  return short.length > 80 ? `${short.slice(0, 77)}…` : short;
}

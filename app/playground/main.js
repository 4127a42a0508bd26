// The playground: an agent picker (/info), a thread list (/threads), a chat whose runs stream
// from /agent/{id}/run, a stop button (/agent/{id}/stop/{threadId}), interrupt answers, the
// shared state and every AG-UI event with its time. Choices survive a reload (localStorage;
// the request headers only sessionStorage, since they may hold a token).

import { ApiError, RuntimeClient, uuid } from "./api.js";
import { Conversation, legacyResume, standardResume } from "./conversation.js";
import { readEvents } from "./sse.js";
import { el, renderInterrupts, renderTranscript, Timeline } from "./view.js";

const SAVED = "copilot-runtime-playground";
const SAVED_HEADERS = "copilot-runtime-playground-headers";
const $ = (id) => document.getElementById(id);

const saved = readSaved();
const page = {
  agentId: null,
  threadId: null,
  run: null, // { runId, controller } while a run streams
  conversation: new Conversation(),
  properties: {},
  headers: {},
  threads: [],
  renaming: null,
};
const client = new RuntimeClient(() => page.headers);
const timeline = new Timeline($("timeline"));
let renderQueued = false;

function readSaved() {
  try {
    return JSON.parse(localStorage.getItem(SAVED) ?? "{}") ?? {};
  } catch {
    return {};
  }
}

function save() {
  const properties = $("properties").value;
  localStorage.setItem(SAVED, JSON.stringify({ agentId: page.agentId, threadId: page.threadId, properties }));
  sessionStorage.setItem(SAVED_HEADERS, $("headers").value);
}

// --- rendering -----------------------------------------------------------------------------

function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderTranscript($("transcript"), page.conversation, { running: page.run !== null });
    $("state-view").textContent = JSON.stringify(page.conversation.state, null, 2);
    $("thread-id").textContent = page.threadId ?? "";
    updateControls();
  });
}

function updateControls() {
  const running = page.run !== null;
  const blocked = page.conversation.pending !== null;
  const invalid = !$("properties-error").hidden || !$("headers-error").hidden;
  $("send").disabled = running || blocked || invalid || !page.agentId;
  $("send").title = blocked ? "Answer the interrupt first" : invalid ? "Fix the JSON first" : "";
  $("stop").disabled = !running;
  $("agent").disabled = running;
  $("new-thread").disabled = running;
  for (const button of document.querySelectorAll(".interrupt-card button, #thread-list button")) {
    button.disabled = running; // a thread changes only between runs
  }
}

function showInterrupts() {
  renderInterrupts($("interrupts"), page.conversation.pending, answerInterrupt);
  updateControls();
}

function renderThreads() {
  const list = $("thread-list");
  const items = page.threads.map((thread) => threadItem(thread));
  list.replaceChildren(...items);
  const note = $("threads-note");
  note.hidden = page.threads.length > 0 && !page.threadsError;
  note.textContent = page.threadsError ?? "No threads yet: the first message starts one.";
}

function threadItem(thread) {
  const current = thread.id === page.threadId;
  const name = thread.name || thread.id;
  if (page.renaming === thread.id) {
    const field = el("input", { class: "rename-field", value: name, "aria-label": "Thread name" });
    const submit = (event) => {
      event.preventDefault();
      renameThread(thread.id, field.value.trim());
    };
    const form = el(
      "form",
      { class: "rename", onsubmit: submit },
      field,
      el("button", { type: "submit", text: "Save" }),
      el("button", { type: "button", text: "Cancel", onclick: () => ((page.renaming = null), renderThreads()) }),
    );
    queueMicrotask(() => field.select());
    return el("li", { class: "thread", "data-id": thread.id }, form);
  }
  return el(
    "li",
    { class: current ? "thread current" : "thread", "data-id": thread.id },
    el(
      "button",
      { type: "button", class: "open", "aria-current": current ? "true" : undefined, title: thread.id, onclick: () => openThread(thread.id) },
      el("span", { class: "thread-name", text: name }),
      el("small", { text: new Date(thread.updatedAt ?? thread.createdAt).toLocaleString() }),
    ),
    el("button", { type: "button", class: "rename-thread", title: "Rename", "aria-label": `Rename ${name}`, text: "✎", onclick: () => ((page.renaming = thread.id), renderThreads()) }),
    el("button", { type: "button", class: "delete-thread", title: "Delete", "aria-label": `Delete ${name}`, text: "✕", onclick: () => deleteThread(thread.id) }),
  );
}

// --- runtime calls --------------------------------------------------------------------------

async function start() {
  bindControls();
  $("properties").value = saved.properties ?? "{}";
  $("headers").value = sessionStorage.getItem(SAVED_HEADERS) ?? "{}";
  checkJson("properties");
  checkJson("headers");
  let info;
  try {
    info = await client.info();
  } catch (error) {
    $("runtime").textContent = `Cannot reach the runtime: ${error.message}`;
    $("runtime").classList.add("failed");
    return;
  }
  const agents = Object.keys(info.agents ?? {});
  $("agent").replaceChildren(...agents.map((id) => el("option", { value: id, text: id, title: info.agents[id].description || undefined })));
  $("runtime").textContent = `copilot-runtime ${info.version} · ${agents.length} agent${agents.length === 1 ? "" : "s"}`;
  page.threadEndpoints = info.threadEndpoints?.list === true;
  page.agentId = agents.includes(saved.agentId) ? saved.agentId : agents.includes("default") ? "default" : agents[0] ?? null;
  $("agent").value = page.agentId ?? "";
  await refreshThreads();
  if (saved.threadId && saved.agentId === page.agentId) await openThread(saved.threadId);
  else newThread();
}

async function refreshThreads() {
  page.threadsError = null;
  if (!page.agentId || !page.threadEndpoints) {
    page.threads = [];
    page.threadsError = page.threadEndpoints === false ? "This runtime lists no threads." : null;
    renderThreads();
    return;
  }
  try {
    page.threads = (await client.threads(page.agentId)).threads ?? [];
  } catch (error) {
    page.threads = [];
    page.threadsError = `Threads could not be listed: ${error.message}`;
  }
  renderThreads();
}

function newThread() {
  page.threadId = uuid();
  page.conversation.reset();
  showInterrupts();
  save();
  renderThreads();
  render();
}

async function openThread(threadId) {
  if (page.run) return;
  page.threadId = threadId;
  page.conversation.reset();
  save();
  renderThreads();
  render();
  const input = runInput(uuid(), {});
  timeline.startRequest(`connect ${page.agentId} · thread ${threadId}`, input);
  await stream((signal) => client.connect(page.agentId, input, signal));
  showInterrupts();
}

async function renameThread(threadId, name) {
  page.renaming = null;
  if (name) {
    try {
      await client.rename(page.agentId, threadId, name);
    } catch (error) {
      page.threadsError = `Rename failed: ${error.message}`;
    }
  }
  await refreshThreads();
}

async function deleteThread(threadId) {
  try {
    await client.remove(page.agentId, threadId);
  } catch (error) {
    page.threadsError = `Delete failed: ${error.message}`;
  }
  if (threadId === page.threadId) newThread();
  await refreshThreads();
}

function runInput(runId, { resume, command } = {}) {
  const forwardedProps = command ? { ...page.properties, command } : { ...page.properties };
  const input = {
    threadId: page.threadId,
    runId,
    messages: page.conversation.history(),
    tools: [],
    context: [],
    forwardedProps,
    state: page.conversation.state,
  };
  if (resume) input.resume = resume;
  return input;
}

async function runAgent({ runId = uuid(), resume, command } = {}) {
  const input = runInput(runId, { resume, command });
  page.run = { runId, controller: new AbortController() };
  timeline.startRequest(`run ${page.agentId} · run ${runId}`, input);
  render();
  const run = page.run;
  await stream((signal) => client.run(page.agentId, input, signal), run.controller);
  if (run.stopped) page.conversation.notice("info", "Stopped.");
  page.run = null;
  showInterrupts();
  render();
  await refreshThreads();
}

// Read one SSE response into the conversation and the timeline.
async function stream(open, controller = new AbortController()) {
  try {
    const response = await open(controller.signal);
    for await (const event of readEvents(response)) {
      timeline.event(event);
      page.conversation.apply(event);
      render();
    }
  } catch (error) {
    if (error.name === "AbortError") {
      timeline.note("request cancelled");
    } else {
      const text = error instanceof ApiError ? error.message : `The request failed: ${error.message}`;
      page.conversation.notice("error", text);
      timeline.note(text);
    }
  }
  render();
}

async function send() {
  const text = $("message").value.trim();
  if (!text || $("send").disabled) return;
  $("message").value = "";
  page.conversation.addUser(uuid(), text);
  await runAgent();
}

// The server ends the run's stream itself; if it knows no such run, the page stops reading.
async function stop() {
  const run = page.run;
  if (!run) return;
  $("stop").disabled = true;
  run.stopped = true;
  try {
    const answer = await client.stop(page.agentId, page.threadId, run.runId);
    timeline.note(`stop: ${JSON.stringify(answer)}`);
    if (answer.stopped === false) run.controller.abort();
  } catch (error) {
    timeline.note(`stop failed: ${error.message}`);
    run.controller.abort();
  }
}

function answerInterrupt(interruptId, response) {
  const pending = page.conversation.pending;
  if (!pending || page.run) return;
  if (pending.kind === "legacy") {
    page.conversation.pending = null;
    showInterrupts();
    runAgent(legacyResume(pending, response.payload));
    return;
  }
  pending.responses[interruptId] = response;
  if (pending.interrupts.some((interrupt) => !pending.responses[interrupt.id])) {
    showInterrupts();
    return;
  }
  const { runId, resume, toolResults } = standardResume(pending);
  for (const result of toolResults) page.conversation.addToolResult({ messageId: uuid(), ...result });
  page.conversation.pending = null;
  showInterrupts();
  runAgent({ runId, resume });
}

// --- controls -------------------------------------------------------------------------------

function checkJson(id) {
  const field = $(id);
  const error = $(`${id}-error`);
  let value;
  try {
    value = JSON.parse(field.value.trim() || "{}");
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("must be a JSON object");
  } catch (problem) {
    error.textContent = `Not used until fixed: ${problem.message}`;
    error.hidden = false;
    field.setAttribute("aria-invalid", "true");
    updateControls();
    return;
  }
  error.hidden = true;
  field.removeAttribute("aria-invalid");
  page[id] = value;
  updateControls();
}

function selectTab(name) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  }
}

function editState(editing) {
  $("state-editor").hidden = !editing;
  $("state-view").hidden = editing;
  $("edit-state").hidden = editing;
  $("state-error").hidden = true;
  if (editing) $("state-text").value = JSON.stringify(page.conversation.state, null, 2);
}

function saveState() {
  try {
    const value = JSON.parse($("state-text").value);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("must be a JSON object");
    page.conversation.state = value;
  } catch (problem) {
    $("state-error").textContent = problem.message;
    $("state-error").hidden = false;
    return;
  }
  editState(false);
  render();
}

function bindControls() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  $("stop").addEventListener("click", stop);
  $("new-thread").addEventListener("click", newThread);
  $("agent").addEventListener("change", async () => {
    page.agentId = $("agent").value;
    newThread();
    await refreshThreads();
  });
  for (const id of ["properties", "headers"]) {
    $(id).addEventListener("input", () => {
      checkJson(id);
      save();
    });
  }
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("click", () => selectTab(tab.id.slice(4)));
  }
  $("edit-state").addEventListener("click", () => editState(true));
  $("cancel-state").addEventListener("click", () => editState(false));
  $("save-state").addEventListener("click", saveState);
  $("clear-events").addEventListener("click", () => timeline.clear());
}

start();

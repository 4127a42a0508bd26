import {
  CopilotKit,
  useCoAgent,
  useFrontendTool,
  useHumanInTheLoop,
  useRenderToolCall,
} from "@copilotkit/react-core";
import { CopilotChat } from "@copilotkit/react-ui";
import { useState } from "react";

// Same origin: the Vite server forwards /api/copilotkit to copilot-runtime (vite.config.js).
const RUNTIME_URL = import.meta.env.VITE_COPILOT_RUNTIME_URL ?? "/api/copilotkit";
const THREAD_KEY = "copilot-runtime-example-thread";

// crypto.randomUUID exists only in secure contexts (https, localhost), not on a LAN address.
function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// An explicit threadId makes the chat reconnect to the thread (POST /agent/default/connect)
// when the page loads, so the conversation is still there after a reload.
function storedThreadId() {
  let id = localStorage.getItem(THREAD_KEY);
  if (!id) {
    id = newId();
    localStorage.setItem(THREAD_KEY, id);
  }
  return id;
}

export function App() {
  const [threadId, setThreadId] = useState(storedThreadId);
  const newConversation = () => {
    const id = newId();
    localStorage.setItem(THREAD_KEY, id);
    setThreadId(id);
  };
  return (
    <CopilotKit runtimeUrl={RUNTIME_URL} threadId={threadId} key={threadId}>
      <Page threadId={threadId} onNewConversation={newConversation} />
    </CopilotKit>
  );
}

function Page({ threadId, onNewConversation }) {
  const [background, setBackground] = useState("#f4f6fb");

  // A backend action (served by copilot-runtime's example actions), rendered here.
  useRenderToolCall({
    name: "getWeather",
    render: ({ status, args, result }) => <WeatherCard status={status} args={args} result={result} />,
  });

  // A frontend action: the agent calls it, the browser runs it.
  useFrontendTool({
    name: "setBackgroundColor",
    description: "Set the background color of the page.",
    parameters: [{ name: "color", type: "string", description: "A CSS color, e.g. teal or #ffeedd" }],
    handler: ({ color }) => {
      setBackground(color);
      return `The background is now ${color}.`;
    },
  });

  // Human in the loop: the agent asks, the user decides, the answer goes back to the agent.
  useHumanInTheLoop({
    name: "scheduleMeeting",
    description: "Schedule a meeting; the user approves or declines it first.",
    parameters: [{ name: "title", type: "string", description: "The meeting's title" }],
    render: ({ status, args, respond, result }) => (
      <MeetingCard status={status} title={args.title} respond={respond} result={result} />
    ),
  });

  return (
    <div className="page" style={{ background }}>
      <main className="content">
        <header>
          <h1>copilot-runtime × CopilotKit</h1>
          <p>
            Try: <q>What is the weather for Paris?</q> · <q>Make the background color teal</q> ·{" "}
            <q>Schedule a meeting called Standup</q>
          </p>
          <p className="meta">
            Background: <span data-testid="background">{background}</span> · Thread{" "}
            <code>{threadId}</code>{" "}
            <button type="button" onClick={onNewConversation}>
              New conversation
            </button>
          </p>
        </header>
        <Notes />
      </main>
      <CopilotChat
        className="chat"
        labels={{ title: "Assistant", initial: "Hi! Ask me about the weather, or to change this page." }}
      />
    </div>
  );
}

// Shared state: the agent receives it with every run, and the runtime keeps it with the
// thread, so it comes back (with the conversation) when the page reconnects.
function Notes() {
  const { state, setState } = useCoAgent({ name: "default", initialState: { notes: [] } });
  const [draft, setDraft] = useState("");
  const notes = Array.isArray(state?.notes) ? state.notes : [];
  const add = (event) => {
    event.preventDefault();
    if (!draft.trim()) return;
    setState({ ...state, notes: [...notes, draft.trim()] });
    setDraft("");
  };
  return (
    <section className="notes" aria-label="Notes">
      <h2>Notes for the agent (shared state)</h2>
      <ul>
        {notes.map((note, index) => (
          <li key={index}>{note}</li>
        ))}
      </ul>
      <form onSubmit={add}>
        <input value={draft} onChange={(event) => setDraft(event.target.value)} aria-label="New note" />
        <button type="submit">Add note</button>
      </form>
    </section>
  );
}

function parsed(result) {
  if (typeof result !== "string") return result;
  try {
    return JSON.parse(result);
  } catch {
    return result;
  }
}

function WeatherCard({ status, args, result }) {
  const weather = parsed(result);
  return (
    <div className="card weather" data-testid="weather-card">
      <strong>Weather in {args?.city ?? "…"}</strong>
      {status === "complete" && weather ? (
        <span>
          {weather.forecast}, {weather.temperatureCelsius} °C
        </span>
      ) : (
        <span>Looking it up…</span>
      )}
    </div>
  );
}

function MeetingCard({ status, title, respond, result }) {
  if (status === "complete") {
    const answer = parsed(result);
    return (
      <div className="card meeting" data-testid="meeting-card">
        Meeting <strong>{title}</strong>: {answer?.approved ? "approved" : "declined"}
      </div>
    );
  }
  return (
    <div className="card meeting" data-testid="meeting-card">
      <span>
        Schedule <strong>{title ?? "…"}</strong>?
      </span>
      <div className="buttons">
        <button type="button" disabled={!respond} onClick={() => respond?.({ approved: true })}>
          Approve
        </button>
        <button type="button" disabled={!respond} onClick={() => respond?.({ approved: false })}>
          Decline
        </button>
      </div>
    </div>
  );
}

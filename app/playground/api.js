// The runtime's public REST routes, addressed relative to the page's base URL (the server
// serves this page at its base URL and sets <base> to it), with the headers the user gave.

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && typeof body === "object" ? body.message ?? body.error : body;
    super(`HTTP ${status}${detail ? `: ${detail}` : ""}`);
    this.status = status;
    this.body = body;
  }
}

export class RuntimeClient {
  constructor(headers) {
    this.headers = headers; // () => extra request headers
  }

  url(path, query) {
    const url = new URL(path, document.baseURI);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url;
  }

  async request(method, path, { query, body, accept = "application/json", signal } = {}) {
    const headers = { ...this.headers(), Accept: accept };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(this.url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    if (!response.ok) throw new ApiError(response.status, await readBody(response));
    return response;
  }

  async json(method, path, options) {
    return (await this.request(method, path, options)).json();
  }

  info() {
    return this.json("GET", "info");
  }

  threads(agentId) {
    return this.json("GET", "threads", { query: { agentId, limit: 100 } });
  }

  rename(agentId, threadId, name) {
    return this.json("PATCH", `threads/${encodeURIComponent(threadId)}`, { body: { agentId, name } });
  }

  remove(agentId, threadId) {
    return this.json("DELETE", `threads/${encodeURIComponent(threadId)}`, { query: { agentId } });
  }

  run(agentId, input, signal) {
    return this.stream(`agent/${encodeURIComponent(agentId)}/run`, input, signal);
  }

  connect(agentId, input, signal) {
    return this.stream(`agent/${encodeURIComponent(agentId)}/connect`, input, signal);
  }

  stop(agentId, threadId, runId) {
    const path = `agent/${encodeURIComponent(agentId)}/stop/${encodeURIComponent(threadId)}`;
    return this.json("POST", path, { body: runId ? { runId } : {} });
  }

  stream(path, body, signal) {
    return this.request("POST", path, { body, accept: "text/event-stream", signal });
  }
}

async function readBody(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 300);
  }
}

// A version 4 UUID; crypto.randomUUID exists only in secure contexts (https or localhost),
// and the playground may be opened over plain http on a LAN address.
export function uuid() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

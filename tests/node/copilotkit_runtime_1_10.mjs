// The published @copilotkit/runtime 1.10.6 (the last GraphQL runtime) configured the way apps pinned
// to it attached a Python backend: `remoteEndpoints: [{ url }]`, with an OpenAIAdapter for its own
// model. Serves GraphQL (what @copilotkit/runtime-client-gql speaks) over node:http.
//
//   node tests/node/copilotkit_runtime_1_10.mjs <port> <remoteEndpointUrl> <openaiBaseUrl>
//
// The adapter's OpenAI client reads OPENAI_API_KEY / OPENAI_BASE_URL (set here from the
// arguments). `onBeforeRequest` forwards the page's Authorization header to the remote endpoint,
// as apps did to carry the user's identity. Prints `ready <graphqlUrl>` once listening, then one
// `{"remote": {...}}` JSON line per request this runtime makes to the remote endpoint (path,
// body, status), so tests can see what it asked the Python server. Stops on SIGTERM.

process.env.COPILOTKIT_TELEMETRY_DISABLED = "true";

const [port, remoteUrl, openaiBaseUrl] = process.argv.slice(2);
if (!port || !remoteUrl || !openaiBaseUrl) {
  console.error("usage: node copilotkit_runtime_1_10.mjs <port> <remoteEndpointUrl> <openaiBaseUrl>");
  process.exit(2);
}
process.env.OPENAI_API_KEY = "sk-fake";
process.env.OPENAI_BASE_URL = openaiBaseUrl;

// Record the runtime's requests to the remote endpoint (installed before the runtime is loaded).
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const response = await realFetch(input, init);
  if (url.startsWith(remoteUrl)) {
    let body = init.body ?? null;
    try { body = JSON.parse(body); } catch { /* keep the raw text */ }
    const headers = Object.fromEntries(Object.entries(init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const remote = { path: url.slice(remoteUrl.length), body, headers, status: response.status };
    process.stdout.write(JSON.stringify({ remote }) + "\n");
  }
  return response;
};

const http = await import("node:http");
const { CopilotRuntime, OpenAIAdapter, copilotRuntimeNodeHttpEndpoint } = await import("@copilotkit/runtime");

const runtime = new CopilotRuntime({
  remoteEndpoints: [
    {
      url: remoteUrl,
      onBeforeRequest: ({ ctx }) => {
        const authorization = ctx.request.headers.get("authorization");
        return { headers: authorization ? { authorization } : {} };
      },
    },
  ],
});
const serviceAdapter = new OpenAIAdapter({ model: "gpt-4o-mini" });
const endpoint = "/api/copilotkit";
const handler = copilotRuntimeNodeHttpEndpoint({ endpoint, runtime, serviceAdapter });
const server = http.createServer(handler);
server.listen({ port: Number(port), host: "127.0.0.1" }, () => {
  process.stdout.write(`ready http://127.0.0.1:${port}${endpoint}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

// Server-sent events from a fetch() response body: one parsed JSON object per `data:` frame.
// Frames are separated by a blank line; comment lines (": keep-alive") and other fields are
// skipped, several `data:` lines of one frame are joined with "\n" (the SSE rules).

export async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value ?? new Uint8Array(), { stream: !done });
      const frames = buffer.split(/\r?\n\r?\n/);
      buffer = done ? "" : frames.pop();
      for (const frame of frames) {
        const event = parseFrame(frame);
        if (event !== undefined) yield event;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

export function parseFrame(frame) {
  const data = [];
  for (const line of frame.split(/\r?\n/)) {
    if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
  }
  if (data.length === 0) return undefined;
  return JSON.parse(data.join("\n"));
}

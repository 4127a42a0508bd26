// Runs event sequences through the published @ag-ui/client 1.0.0's own checks: each event
// against @ag-ui/core's schema, then the run pipeline's transformChunks and verifyEvents
// (what HttpAgent applies to every stream). Used to compare the testing kit's stream_problems
// with what the client really rejects.
//
//   node tests/node/verify_events.mjs <cases.json>
//
// cases.json: {"name": [event, ...], ...}. Prints {"name": null | "the client's error"}.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { transformChunks, verifyEvents } from "@ag-ui/client";
import { EventSchema } from "@ag-ui/core/schemas";

// rxjs as @ag-ui/client itself resolves it (it is the client's dependency, not ours).
const { from, lastValueFrom, toArray } = createRequire(import.meta.resolve("@ag-ui/client"))(
  "rxjs",
);

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const verdicts = {};
for (const [name, events] of Object.entries(cases)) {
  const invalid = events.map((event) => EventSchema.safeParse(event)).find((r) => !r.success);
  if (invalid) {
    verdicts[name] = `schema: ${invalid.error.issues[0]?.message ?? "invalid"}`;
    continue;
  }
  try {
    await lastValueFrom(from(events).pipe(transformChunks(false), verifyEvents(false), toArray()));
    verdicts[name] = null;
  } catch (err) {
    verdicts[name] = String(err?.message ?? err);
  }
}
process.stdout.write(JSON.stringify(verdicts) + "\n");

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The app calls the runtime on its own origin (/api/copilotkit); Vite forwards those requests
// to copilot-runtime, as a production deployment's reverse proxy would. COPILOT_RUNTIME_ORIGIN
// says where it runs (the default is `copilot-runtime serve`'s address).
const proxy = {
  "/api/copilotkit": {
    target: process.env.COPILOT_RUNTIME_ORIGIN ?? "http://127.0.0.1:8000",
  },
};

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
  // CopilotKit's chat brings its markdown, code and diagram renderers: large, and expected.
  build: { chunkSizeWarningLimit: 4096 },
});

/// <reference types="vitest/config" />
// Vite builds the app into dist/ (served by the gateway at /); `npm run dev` serves it
// with hot reload and proxies the API to a running gateway (CLASHTOR_GATEWAY, default
// the `make up` address), so the browser sees one origin and the session cookie works.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const gateway = process.env.CLASHTOR_GATEWAY ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, assetsInlineLimit: 0 },
  server: {
    host: "127.0.0.1",
    proxy: { "/v1": { target: gateway, changeOrigin: false } },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    testTimeout: 20_000,
  },
});

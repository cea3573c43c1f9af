/// <reference types="node" />
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { configDefaults } from "vitest/config";

// Tests of src/lib that use the DOM stand-ins of src/test/setup.ts (its fetch handler).
const DOM_LIB_TESTS = ["src/lib/network.test.ts"];

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map|webmanifest)$/;
const MIN_BYTES = 1024; // below this the coding's own overhead eats the gain

/** Brotli (quality 11) and gzip (level 9) twins of every compressible file of the build, made once at build time:
 * the service picks one by the request's Accept-Encoding (service/sightline/web.py) instead of compressing per
 * request. Node's own zlib, no dependency. */
function precompress(): Plugin {
  let outDir = "dist";
  return {
    name: "sightline-precompress",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir;
    },
    async closeBundle() {
      const files = (await readdir(outDir, { recursive: true })).map((name) => join(outDir, name));
      await Promise.all(
        files
          .filter((file) => COMPRESSIBLE.test(file))
          .map(async (file) => {
            if ((await stat(file)).size < MIN_BYTES) return;
            const content = await readFile(file);
            const [br, gz] = await Promise.all([
              promisify(brotliCompress)(content, {
                params: {
                  [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
                  [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
                },
              }),
              promisify(gzip)(content, { level: 9 }),
            ]);
            await Promise.all([writeFile(`${file}.br`, br), writeFile(`${file}.gz`, gz)]);
          }),
      );
    },
  };
}

// In development (`npm run dev`) the API runs on `sightline serve` (port 8000) and Vite proxies /api to it, so the
// browser sees one origin, as in production where the service serves the built app itself.
export default defineConfig({
  plugins: [react(), precompress()],
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8000", changeOrigin: true },
    },
  },
  build: {
    outDir: "dist",
    chunkSizeWarningLimit: 1500,
  },
  test: {
    css: false,
    testTimeout: 20_000,
    // jsdom only where it is needed: a fresh jsdom per test file cost more than the tests themselves (a third of the
    // run's CPU), and the pure functions of src/lib need none, so their tests run in plain Node. A lib test that needs
    // the DOM or the fetch stand-in of src/test/setup.ts goes in DOM_LIB_TESTS (in Node it fails on the missing
    // `window`: it never passes by mistake).
    projects: [
      {
        extends: true,
        test: {
          name: "dom",
          environment: "jsdom",
          setupFiles: ["./src/test/setup.ts"],
          include: ["src/**/*.test.{ts,tsx}"],
          exclude: [...configDefaults.exclude, "src/lib/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "dom-lib",
          environment: "jsdom",
          setupFiles: ["./src/test/setup.ts"],
          include: DOM_LIB_TESTS,
        },
      },
      {
        extends: true,
        test: {
          name: "node",
          environment: "node",
          include: ["src/lib/**/*.test.{ts,tsx}"],
          exclude: [...configDefaults.exclude, ...DOM_LIB_TESTS],
        },
      },
    ],
  },
});

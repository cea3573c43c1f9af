// ESLint for the web app: typescript-eslint (type-aware), the rules of hooks, and the layering of src/
// (see docs/web-app.md, "Working on the client"). Run with `npm run lint`; .ci/run runs it after the build.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import js from "@eslint/js";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * Every view: a file or a folder directly under src/views, and each screen under src/views/settings. A view is
 * reached from the router (App.tsx) only; it never imports another view. What two views share lives in
 * components/, queries/ or lib/; a view's own parts live in its folder (views/initiatives/…).
 */
function views() {
  const entries = (dir) => readdirSync(path.join(root, dir)).map((name) => `${dir}/${name}`);
  return entries("src/views").flatMap((entry) => (entry === "src/views/settings" ? entries(entry) : [entry]));
}

const viewZones = views().map((view) => ({
  target: `./${view}`,
  from: "./src/views",
  except: [`./${path.relative("src/views", view)}`],
  message: "A view does not import another view: move what they share to components/, queries/ or lib/.",
}));

// The layers point down: views → components → queries → api and lib. Nothing below a view imports one.
const layerZones = [
  {
    target: ["./src/components", "./src/queries", "./src/lib", "./src/api"],
    from: "./src/views",
    message: "Only the router (App.tsx) imports views.",
  },
  {
    target: ["./src/queries", "./src/lib", "./src/api"],
    from: "./src/components",
    message: "queries/, lib/ and api/ do not import components.",
  },
  {
    target: ["./src/lib", "./src/api"],
    from: "./src/queries",
    message: "lib/ and api/ do not import query hooks.",
  },
];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "src/api/schema.d.ts"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  reactHooks.configs.flat["recommended-latest"],
  {
    languageOptions: {
      ecmaVersion: 2023,
      globals: { ...globals.browser },
      parserOptions: { projectService: { allowDefaultProject: ["eslint.config.js"] }, tsconfigRootDir: root },
    },
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".tsx", ".js", ".d.ts"] })],
    },
    rules: {
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      "import-x/no-cycle": "error",
      "import-x/no-duplicates": "error",
      "import-x/no-self-import": "error",
      "import-x/no-useless-path-segments": "error",
      "import-x/first": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // The app throws the API's problem documents as they are (openapi-react-query does the same); `asProblem`
      // in lib/problem.ts turns anything thrown into what a screen shows.
      "@typescript-eslint/only-throw-error": "off",
    },
  },
  {
    // Tests render views directly; the layering applies to the app's own code.
    files: ["src/**/*.{ts,tsx}"],
    ignores: ["src/**/__tests__/**", "src/**/*.test.{ts,tsx}", "src/test/**"],
    rules: {
      "import-x/no-restricted-paths": ["error", { basePath: root, zones: [...viewZones, ...layerZones] }],
    },
  },
  {
    files: ["eslint.config.js", "vite.config.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
  // This file runs in Node, which the app's tsconfig does not describe: lint it without types.
  { files: ["eslint.config.js"], ...tseslint.configs.disableTypeChecked },
);

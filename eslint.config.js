// ESLint checks meaning; Prettier owns layout (eslint-config-prettier turns off the layout rules).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "**/dist/**", "**/dist-tsc/**", "**/out/**", ".cache/**", "test-results/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      // `return promise` inside try/finally runs the finally before the promise settles (a resource
      // closed under a task still running on it): inside try, a returned promise is awaited.
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Namespaces are how each LSP method keeps its string and its type together (see protocol/).
      "@typescript-eslint/no-namespace": "off",
    },
  },
  {
    // Every outbound request of the product goes through the host's one HTTP policy, which times
    // out, retries and writes the audit line DESIGN promises; `inference/` takes the policy's fetch
    // as a dependency. So the global fetch is called in one module only. Tests are exempt.
    files: ["server/src/**/*.ts", "inference/src/**/*.ts", "client/src/**/*.ts"],
    ignores: ["server/src/http/policy.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        {
          name: "fetch",
          message:
            "Send requests through the host's HttpPolicy (server/src/http/fetches.ts); inference code takes a FetchFunction.",
        },
      ],
      "no-restricted-properties": [
        "error",
        ...["globalThis", "global", "window", "self"].map((object) => ({
          object,
          property: "fetch",
          message:
            "Send requests through the host's HttpPolicy (server/src/http/fetches.ts); inference code takes a FetchFunction.",
        })),
      ],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        URL: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        fetch: "readonly",
      },
    },
  },
  prettier,
);

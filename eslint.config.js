import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "test-artifacts/**",
      "bench/data/**",
      ".tools/**",
      "src/dashboard/assets/vendor/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", URL: "readonly", Buffer: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // AssemblyScript: its 64-bit integer literals are exact (u64), not JavaScript numbers.
    files: ["src/**/assembly/**/*.ts"],
    rules: { "no-loss-of-precision": "off" },
  },
);

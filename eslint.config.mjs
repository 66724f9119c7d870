// ESLint's recommended rules and typescript-eslint's recommended rules, without type information
// (types are tsc's job: `npm run typecheck`). Formatting is Prettier's; `npm run lint` runs both.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    { ignores: ["dist/", "test/fixtures/", "toolchain/"] },
    js.configs.recommended,
    tseslint.configs.recommended,
    {
        rules: {
            // As tsc's noUnusedLocals/noUnusedParameters: a leading underscore marks a name unused on purpose
            // (a parameter a signature requires, a property left out of a rest object).
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
        },
    },
    {
        // Plain CommonJS scripts run by node itself (the TLS stand-in backend): require is their import.
        files: ["**/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly", __dirname: "readonly", Buffer: "readonly" },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);

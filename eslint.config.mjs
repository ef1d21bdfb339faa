// eslint: typescript-eslint's type-aware rules and import sorting (`npm run lint`). Layout is prettier's
// (.prettierrc.json): no rule here is about formatting, so the two never disagree.
// Rules are on when they find defects in this code; the few turned off say why. See docs of each rule at
// typescript-eslint.io/rules/<name> and eslint.org/docs/latest/rules/<name>.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'dist/',
      'coverage/',
      'test-output/',
      '.reliability/',
      '.azure/',
      'infra/',
      'bench/',
      '__blobstorage__/',
      '__queuestorage__/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the tsconfig that typechecks it: src/ with tsconfig.json, test/ with
        // test/tsconfig.json. scripts/*.ts and vitest.config.mts sit under tsconfig.json, which leaves them
        // out, so they get test/tsconfig.json's settings (the typecheck script checks them with it too).
        projectService: {
          allowDefaultProject: ['scripts/*.ts', 'scripts/*.d.mts', 'vitest.config.mts'],
          defaultProject: 'test/tsconfig.json',
          // Eight by default; room for a few more scripts.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'simple-import-sort': simpleImportSort },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Node built-ins, then packages, then our own files, with no blank line between them (as written).
      'simple-import-sort/imports': ['error', { groups: [['^\\u0000', '^node:', '^@?\\w', '^', '^\\.']] }],
      'simple-import-sort/exports': 'error',

      // Beyond recommendedTypeChecked: each catches a kind of defect (one finding today, no-misused-spread).
      // A type used as a value keeps a module on the run-time import path, which the layer rules and the
      // cold-start rule (no SDK on a function file's static path) count; `typeof import()` stays allowed
      // for the lazily loaded modules.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-deprecated': 'error',
      // `return promise` inside try/catch skips the catch; elsewhere `return await` or not is left to the writer.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      // Spreading an array, a Headers or a class instance into an object loses what it holds. Strings are
      // spread into code points on purpose (swapCase, fnmatch), so they are allowed.
      '@typescript-eslint/no-misused-spread': ['error', { allow: ['string'] }],
      eqeqeq: 'error',

      // Adjusted to the deliberate idioms:
      // `const { id: _id, ...rest } = value` leaves fields out of a copy; the names are never meant to be used.
      // `_at`: a parameter a port's signature has and this implementation does not need.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
      // `let server!: X` read by a callback made before it is assigned cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Off: errors are rethrown with the redacted message only; a `cause` would carry the secret along.
      'preserve-caught-error': 'off',
      // Off: the table-key and hook checks match control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Off in tests: they read JSON answers, table rows and logged fields untyped (JSON.parse, jsonBody,
      // expect.any) and their expect() assertions are the check; in src/ these rules stay on.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Off in tests: fakes of the ports are async to match the port's signature, with nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The scripts written in JavaScript run under node as they are: no type information to check them with.
    files: ['**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

// One ESLint config for every workspace (flat config).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

export default ts.config(
  {
    ignores: ['**/node_modules/', '**/build/', '**/dist/', '**/.svelte-kit/', '**/.turbo/', '.switchboard/', '**/artifacts/'],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  prettier,
  ...svelte.configs.prettier,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
    rules: {
      // Links to server routes (/api/v1/docs) are not SvelteKit routes, and goto() targets
      // carry query strings after a resolve()d path; both are checked by svelte-check's route types.
      'svelte/no-navigation-without-resolve': ['error', { ignoreLinks: true, ignoreGoto: true }],
    },
  },
);

// Lint: TypeScript rules plus the layering rules (who may import what), in the manner of VS Code's
// per-folder import restrictions. See docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'worker_threads', 'stream', 'zlib', 'http', 'https', 'net', 'url', 'util', 'module', 'events', 'readline', 'buffer'];
const SQL_HINT = 'SQL lives only in electron/core/store/ (better-sqlite3 may be imported only there)';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'test-results/**', 'playwright-report/**', 'bench/out/**', 'sample-bundle/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: NODE_BUILTINS, message: 'shared/ runs everywhere: no Node built-ins' },
          { group: ['electron', 'better-sqlite3', 'react', 'react-dom', 'dexie', 'monaco-editor', 'd3', 'd3-*'], message: 'shared/ holds pure logic: no runtime-specific packages' },
          { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ may import only shared/' },
        ],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'Buffer', 'require', '__dirname'],
    },
  },
  {
    files: ['electron/core/**/*.ts'],
    ignores: ['electron/core/store/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'electron/core runs in plain Node: never import electron' }],
        patterns: [
          { group: ['better-sqlite3'], message: SQL_HINT },
          { group: ['**/renderer/**', '**/shell/**'], message: 'the core may import only shared/ and itself' },
        ],
      }],
      'no-restricted-syntax': ['error',
        { selector: 'CallExpression[callee.property.name=/^(prepare|pragma)$/]', message: SQL_HINT },
        { selector: "CallExpression[callee.property.name='exec'] > Literal[value=/^\\s*(BEGIN|COMMIT|ROLLBACK|CREATE|INSERT|UPDATE|DELETE|SELECT|DROP|ALTER|PRAGMA|WITH)\\b/i]", message: SQL_HINT },
        { selector: "CallExpression[callee.property.name='exec'] > TemplateLiteral", message: SQL_HINT },
      ],
    },
  },
  {
    files: ['electron/core/store/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'electron/core runs in plain Node: never import electron' }],
        patterns: [{ group: ['**/renderer/**', '**/shell/**', '**/import/**', '**/recon/**', '**/api/**', '**/serve/**', '**/cli/**'], message: 'the store depends on nothing above it' }],
      }],
    },
  },
  {
    files: ['electron/shell/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['better-sqlite3'], message: SQL_HINT }, { group: ['**/renderer/**'], message: 'the shell talks to the renderer only over IPC' }] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: NODE_BUILTINS, message: 'the renderer is a browser page: no Node built-ins' },
          { group: ['electron', 'better-sqlite3'], message: 'the renderer reaches the core only through renderer/src/api/client.ts' },
          { group: ['**/electron/**'], message: 'the renderer may import shared/ only' },
        ],
      }],
    },
  },
);

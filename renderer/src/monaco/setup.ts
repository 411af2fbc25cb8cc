/**
 * Monaco, bundled (no CDN, no network): the core API, the editor features, JSON (with its worker), SQL and
 * Markdown highlighting. Workers are Vite `?worker` bundles served from 'self' (CSP worker-src 'self' blob:).
 * monaco-editor 0.57 maps `monaco-editor/<x>` to `esm/vs/<x>.js` in its package.json "exports".
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/features/json/register';
import 'monaco-editor/languages/definitions/sql/register';
import 'monaco-editor/languages/definitions/markdown/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
  }
}

self.MonacoEnvironment = {
  getWorker(_id: string, label: string): Worker {
    if (label === 'json') return new JsonWorker();
    return new EditorWorker();
  },
};

// JSON diagnostics must never fetch schemas from the network.
const jsonDefaults = (monaco.languages as unknown as { json?: { jsonDefaults?: { setDiagnosticsOptions(o: unknown): void } } }).json?.jsonDefaults;
jsonDefaults?.setDiagnosticsOptions({ validate: true, allowComments: false, enableSchemaRequest: false, schemas: [] });

export { monaco };
export type Monaco = typeof monaco;

/* eslint-disable no-restricted-imports -- build-time Node config (run by Vite in Node), not renderer code */
// Vite config for the renderer: everything bundled, nothing fetched from a CDN, relative base so the same
// build loads from Electron's app:// protocol and from `casefile serve` (which serves dist/renderer/).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [
    react(),
    {
      // The dev server's React refresh preamble is an inline script: drop the meta CSP in `vite dev` only.
      // Production builds keep it (and `casefile serve` / the Electron shell also send it as a header).
      name: 'casefile-dev-csp',
      apply: 'serve',
      transformIndexHtml: (html: string) => html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n?/, ''),
    },
  ],
  build: {
    outDir: join(here, '..', 'dist', 'renderer'),
    emptyOutDir: true,
    // The CSP has font-src/default-src 'self': never inline fonts or other assets as data: URLs.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 8000,
    sourcemap: false,
    target: 'es2022',
  },
  worker: { format: 'es' },
  server: { port: 5173, strictPort: false },
});

/**
 * Preload (sandboxed, context-isolated). Exposes exactly one object to the page:
 *   window.casefile = { call(method, args), onEvent(cb) }
 * No Node, no ipcRenderer, no Electron objects leak to the page. The main process checks every call.
 * Dropped files: their paths are read here (webUtils.getPathForFile) and handed to the main process,
 * which starts the import and tells the page with a 'shell' event.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';

const CALL = 'casefile:call';
const EVENT = 'casefile:event';

contextBridge.exposeInMainWorld('casefile', {
  call(method: string, args: unknown[]): Promise<unknown> {
    if (typeof method !== 'string' || !Array.isArray(args)) return Promise.reject(new Error('casefile.call(method: string, args: unknown[])'));
    return ipcRenderer.invoke(CALL, method, args);
  },
  onEvent(cb: (name: string, payload: unknown) => void): () => void {
    if (typeof cb !== 'function') return () => undefined;
    const listener = (_e: IpcRendererEvent, name: string, payload: unknown) => cb(name, payload);
    ipcRenderer.on(EVENT, listener);
    return () => {
      ipcRenderer.removeListener(EVENT, listener);
    };
  },
});

// Drag-and-drop of a bundle onto the window (never navigates: the page and the main process block that too).
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => {
  e.preventDefault();
  const files = e.dataTransfer ? Array.from(e.dataTransfer.files) : [];
  const paths = files.map((f) => webUtils.getPathForFile(f)).filter((p) => typeof p === 'string' && p.length > 0);
  if (paths.length) void ipcRenderer.invoke(CALL, 'shell.importPaths', [paths]);
});

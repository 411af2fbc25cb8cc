/**
 * The Electron main process: one secure window over the same core the CLI and `casefile serve` use.
 *
 * Security (Electron's checklist): contextIsolation, sandbox, no nodeIntegration, webSecurity on, no
 * remote content (the renderer is loaded from the custom app:// protocol, files from dist/renderer only),
 * a strict Content-Security-Policy on every response, navigation and new windows blocked, <webview>
 * refused, permission requests and checks denied, IPC accepted only from our own page (electron/shell/ipc.ts).
 *
 * Also: native menu (File: Open Bundle…, Open Case…, Open Recent, Export…, Quit; Edit; View), file
 * dialogs, drag-and-drop of a bundle, single instance lock, recent cases. With no bundle or case on the
 * command line, the built-in sample incident opens.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, type MenuItemConstructorOptions, type WebContents } from 'electron';
import { existsSync, promises as fsp, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { CasefileService, defaultDataDir } from '../core/api/service';
import { CSP } from '../core/serve/server';
import type { ImportJob } from '../../shared/api';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, isTrustedSender, makeCallHandler, type ShellHandlers } from './ipc';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

// Must run before 'ready': app:// behaves like a secure, standard origin (IndexedDB for Dexie, fetch, workers).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true } }]);

const rendererDir = resolve(__dirname, 'renderer');
let win: BrowserWindow | null = null;
let service: CasefileService | null = null;
/** What the window should do when its page asks (shell.ready): the startup import or case (asked once). */
let startup: Promise<{ job?: ImportJob; casePath?: string } | null> | null = null;

function sendShell(wc: WebContents | undefined | null, payload: unknown): void {
  if (wc && !wc.isDestroyed()) wc.send('casefile:event', 'shell', payload);
}

function isCaseFile(p: string): boolean {
  return /\.casefile$/i.test(p);
}

async function openTarget(paths: string[]): Promise<{ job?: ImportJob; casePath?: string }> {
  const svc = service!;
  const existing = paths.filter((p) => existsSync(p)).map((p) => resolve(p));
  const caseFile = existing.find(isCaseFile);
  if (caseFile) {
    await svc.openCase(caseFile);
    app.addRecentDocument(caseFile);
    return { casePath: caseFile };
  }
  if (existing.length) {
    const job = await svc.startImport(existing);
    return { job };
  }
  return { job: await svc.openSample() };
}

async function handleArgs(argv: string[]): Promise<void> {
  const paths = argv.filter((a) => !a.startsWith('-') && a !== '.' && !/electron-main\.cjs$|electron(\.exe)?$|Casefile(\.exe)?$/i.test(a) && existsSync(a) && a !== process.execPath);
  if (!paths.length) return;
  const r = await openTarget(paths);
  if (r.casePath) sendShell(win?.webContents, { action: 'open-case', casePath: r.casePath });
  if (r.job) sendShell(win?.webContents, { action: 'import-started', job: r.job });
}

async function serveFile(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    return new Response('bad path', { status: 400 });
  }
  let file = resolve(rendererDir, `.${normalize(rel)}`);
  if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return new Response('forbidden', { status: 403 });
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  if (!existsSync(file)) return new Response('not found', { status: 404 });
  const body = await fsp.readFile(file);
  return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream' } });
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // Belt and braces: a CSP header on anything that goes through the network stack.
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  // No remote content: anything not app:// (or devtools) is cancelled.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ok = details.url.startsWith(`${APP_ORIGIN}/`) || details.url.startsWith('devtools://') || details.url.startsWith('blob:app://') || details.url.startsWith('data:');
    callback({ cancel: !ok });
  });
}

function buildMenu(): void {
  const send = (payload: unknown) => sendShell(win?.webContents, payload);
  const openBundle = async () => {
    if (!win) return;
    const r = await dialog.showOpenDialog(win, {
      title: 'Open an incident bundle',
      properties: ['openFile', 'openDirectory', 'multiSelections'],
      filters: [{ name: 'Bundles and evidence', extensions: ['zip', 'gz', 'tgz', 'jsonl', 'json', 'ndjson'] }, { name: 'All files', extensions: ['*'] }],
    });
    if (r.canceled || !r.filePaths.length) return;
    const job = await service!.startImport(r.filePaths);
    send({ action: 'import-started', job });
  };
  const openCase = async () => {
    if (!win) return;
    const r = await dialog.showOpenDialog(win, { title: 'Open a case', properties: ['openFile'], filters: [{ name: 'Casefile cases', extensions: ['casefile'] }] });
    if (r.canceled || !r.filePaths[0]) return;
    app.addRecentDocument(r.filePaths[0]);
    send({ action: 'open-case', casePath: r.filePaths[0] });
  };
  void (async () => {
    let recent: Array<{ path: string }> = [];
    try {
      recent = await service!.recentCases();
    } catch {}
    const isMac = process.platform === 'darwin';
    const template: MenuItemConstructorOptions[] = [
      ...(isMac ? [{ role: 'appMenu' as const }] : []),
      {
        label: '&File',
        submenu: [
          { label: 'Open Bundle…', accelerator: 'CmdOrCtrl+O', click: () => void openBundle() },
          { label: 'Open Case…', accelerator: 'CmdOrCtrl+Shift+O', click: () => void openCase() },
          {
            label: 'Open Recent',
            submenu: recent.length
              ? recent.slice(0, 10).map((r) => ({ label: r.path, click: () => send({ action: 'open-case', casePath: r.path }) }))
              : [{ label: 'No recent cases', enabled: false }],
          },
          { label: 'Open the Sample Incident', click: () => void service!.openSample().then((job) => send({ action: 'import-started', job })) },
          { type: 'separator' },
          { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => send({ action: 'export' }) },
          { type: 'separator' },
          isMac ? { role: 'close' } : { role: 'quit', label: 'Quit' },
        ],
      },
      { role: 'editMenu', label: '&Edit' },
      {
        label: '&View',
        submenu: [
          { label: 'Command Palette…', accelerator: 'CmdOrCtrl+Shift+P', click: () => send({ action: 'command', command: 'palette' }) },
          { type: 'separator' },
          { role: 'resetZoom' },
          { role: 'zoomIn' },
          { role: 'zoomOut' },
          { type: 'separator' },
          { role: 'togglefullscreen' },
          ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]),
        ],
      },
      { role: 'windowMenu' },
      { role: 'help', submenu: [{ label: 'About Casefile', click: () => void dialog.showMessageBox({ message: `Casefile ${app.getVersion()}`, detail: 'Offline incident forensics for AI systems.' }) }] },
    ];
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  })();
}

function createWindow(): void {
  win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Casefile',
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // middle-click must not open links in new windows
      disableBlinkFeatures: 'Auxclick',
      devTools: !app.isPackaged,
    },
  });
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => {
    win = null;
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
}

// Every web contents, present and future: no navigation away, no new windows, no <webview>.
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (ev, url) => {
    if (!isTrustedSender(url) || url.split('#')[0] !== contents.getURL().split('#')[0]) ev.preventDefault();
  });
  contents.on('will-redirect', (ev) => ev.preventDefault());
  contents.on('will-attach-webview', (ev) => ev.preventDefault());
  // no window is ever opened by the page (external links in a postmortem stay inert: the app is offline)
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_e, argv) => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
    void handleArgs(argv.slice(1));
  });

  app.whenReady().then(async () => {
    hardenSession();
    protocol.handle(APP_SCHEME, serveFile);
    service = new CasefileService({ dataDir: defaultDataDir(), transport: 'ipc' });
    service.on('import', (payload) => {
      for (const w of BrowserWindow.getAllWindows()) if (!w.webContents.isDestroyed()) w.webContents.send('casefile:event', 'import', payload);
    });

    const shellHandlers: ShellHandlers = {
      'shell.ready': async () => {
        const p = startup;
        startup = null;
        return p ? await p : null;
      },
      'shell.pickPaths': async (_sender, [kind]) => {
        if (!win) return [];
        const r =
          kind === 'case'
            ? await dialog.showOpenDialog(win, { title: 'Open a case', properties: ['openFile'], filters: [{ name: 'Casefile cases', extensions: ['casefile'] }] })
            : await dialog.showOpenDialog(win, { title: 'Open an incident bundle', properties: ['openFile', 'openDirectory', 'multiSelections'] });
        return r.canceled ? [] : r.filePaths;
      },
      'shell.pickSavePath': async (_sender, [suggested]) => {
        if (!win) return null;
        const r = await dialog.showSaveDialog(win, { title: 'Export to', defaultPath: typeof suggested === 'string' ? suggested : undefined });
        return r.canceled ? null : (r.filePath ?? null);
      },
      'shell.importPaths': async (sender, [paths]) => {
        if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) throw new Error('importPaths needs a list of paths');
        const r = await openTarget(paths as string[]);
        if (r.casePath) sendShell(sender, { action: 'open-case', casePath: r.casePath });
        if (r.job) sendShell(sender, { action: 'import-started', job: r.job });
        return r;
      },
    };
    ipcMain.handle('casefile:call', makeCallHandler(service, shellHandlers));

    // the startup target (argv) or the sample; the page picks it up with shell.ready
    const args = process.argv.slice(app.isPackaged ? 1 : 2).filter((a) => !a.startsWith('-'));
    startup = openTarget(args).catch((e: Error) => {
      void dialog.showMessageBox({ type: 'error', message: 'Casefile could not open what was asked', detail: e.message });
      return null;
    });
    buildMenu();
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    void service?.close();
  });
}

/**
 * Workbench state: the open case, the tabs, the theme, the import job in flight, toasts, and the command
 * registry the palette shows. Screens read it through useApp(); they fetch their own data via the client.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { AppInfo, CaseOverview, ImportJob, ImportJobEvent, ImportProgress, ImportResult } from '../../../shared/api';
import { api, inElectron, onEvent, onShellEvent, shell } from '../api/client';
import { getKv, rememberRecent, setKv } from './db';
import { errorText, basename } from '../lib/format';
import { setMonacoTheme } from '../monaco/load';

export type TabKind = 'start' | 'overview' | 'runs' | 'run' | 'compare' | 'lineage' | 'budgets' | 'sql' | 'quarantine' | 'review' | 'postmortem' | 'labels';

export interface Tab {
  id: string;
  kind: TabKind;
  title: string;
  params?: { runId?: string; a?: string; b?: string; modelVersion?: string; asOf?: number | null; stepId?: string };
}

export interface ImportState {
  job: ImportJob;
  label: string;
  startedAt: number;
  progress: ImportProgress | null;
  result: ImportResult | null;
  error: string | null;
}

export interface Command {
  id: string;
  title: string;
  category?: string;
  keys?: string[];
  enabled?: () => boolean;
  run: () => void;
}

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error' | 'ok';
}

interface AppCtx {
  info: AppInfo | null;
  overview: CaseOverview | null;
  casePath: string | null;
  tabs: Tab[];
  active: string;
  theme: 'light' | 'dark';
  importState: ImportState | null;
  sidebar: boolean;
  exportOpen: boolean;
  setExportOpen(v: boolean): void;
  setSidebar(v: boolean): void;
  setTheme(t: 'light' | 'dark'): void;
  openTab(kind: TabKind, params?: Tab['params'], title?: string): void;
  closeTab(id: string): void;
  activate(id: string): void;
  openCase(path: string): Promise<void>;
  refreshOverview(): Promise<void>;
  startImport(paths: string[]): Promise<void>;
  openSample(): Promise<void>;
  cancelImport(): Promise<void>;
  toast(text: string, kind?: Toast['kind']): void;
  toasts: Toast[];
  commands: Command[];
  registerCommands(owner: string, cmds: Command[]): () => void;
  paletteOpen: boolean;
  setPaletteOpen(v: boolean): void;
  /** bumps when labels or the affected set change, so screens can refetch */
  dataVersion: number;
  bumpData(): void;
}

const Ctx = createContext<AppCtx | null>(null);

export function useApp(): AppCtx {
  const c = useContext(Ctx);
  if (!c) throw new Error('useApp outside AppProvider');
  return c;
}

const SINGLETON_TITLES: Record<TabKind, string> = {
  start: 'Start',
  overview: 'Overview',
  runs: 'Runs',
  run: 'Run',
  compare: 'Compare',
  lineage: 'Lineage',
  budgets: 'Budgets',
  sql: 'SQL',
  quarantine: 'Quarantine',
  review: 'Review queue',
  postmortem: 'Postmortem',
  labels: 'Labels',
};

export function tabId(kind: TabKind, params?: Tab['params']): string {
  if (kind === 'run') return `run:${params?.runId ?? ''}`;
  if (kind === 'compare') return `compare:${params?.a ?? ''}:${params?.b ?? ''}`;
  return kind;
}

const START_TAB: Tab = { id: 'start', kind: 'start', title: 'Start' };

function initialTheme(): 'light' | 'dark' {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function AppProvider({ children }: { children: ReactNode }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [overview, setOverview] = useState<CaseOverview | null>(null);
  const [tabs, setTabs] = useState<Tab[]>([START_TAB]);
  const [active, setActive] = useState('start');
  const [theme, setThemeState] = useState<'light' | 'dark'>(initialTheme);
  const [importState, setImportState] = useState<ImportState | null>(null);
  const [sidebar, setSidebarState] = useState(true);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [paletteOpen, setPaletteOpen] = useState(false);
  const [exportOpen, setExportOpen] = useState(false);
  const [dataVersion, setDataVersion] = useState(0);
  const [cmdMap, setCmdMap] = useState<Record<string, Command[]>>({});
  const restored = useRef(false);
  const importEvents = useRef(new Map<string, ImportJobEvent>());
  const importRef = useRef<ImportState | null>(null);
  importRef.current = importState;
  const casePath = overview?.casePath ?? null;

  const toast = useCallback((text: string, kind: Toast['kind'] = 'info') => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t.slice(-3), { id, text, kind }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === 'error' ? 9000 : 4500);
  }, []);

  const setTheme = useCallback((t: 'light' | 'dark') => {
    setThemeState(t);
    void setKv('theme', t);
  }, []);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    setMonacoTheme(theme);
  }, [theme]);

  const setSidebar = useCallback((v: boolean) => {
    setSidebarState(v);
    void setKv('sidebar', v);
  }, []);

  // Persist tabs per case, so reopening a case brings its workspace back.
  useEffect(() => {
    if (!restored.current) return;
    void setKv(`tabs:${casePath ?? '-'}`, { tabs, active });
  }, [tabs, active, casePath]);

  const openTab = useCallback((kind: TabKind, params?: Tab['params'], title?: string) => {
    const id = tabId(kind, params);
    setTabs((ts) => {
      const i = ts.findIndex((t) => t.id === id);
      if (i >= 0) {
        if (params && JSON.stringify(ts[i]!.params) !== JSON.stringify(params)) {
          const copy = ts.slice();
          copy[i] = { ...ts[i]!, params };
          return copy;
        }
        return ts;
      }
      const t: Tab = { id, kind, title: title ?? SINGLETON_TITLES[kind], params };
      return [...ts, t];
    });
    setActive(id);
  }, []);

  const closeTab = useCallback((id: string) => {
    setTabs((ts) => {
      const i = ts.findIndex((t) => t.id === id);
      if (i < 0) return ts;
      const next = ts.filter((t) => t.id !== id);
      setActive((a) => (a === id ? (next[Math.min(i, next.length - 1)]?.id ?? 'start') : a));
      return next.length ? next : [START_TAB];
    });
  }, []);

  const adoptCase = useCallback(async (ov: CaseOverview) => {
    setOverview(ov);
    void rememberRecent(ov.casePath);
    const saved = await getKv<{ tabs: Tab[]; active: string } | null>(`tabs:${ov.casePath}`, null);
    if (saved && saved.tabs?.length) {
      const hasOverview = saved.tabs.some((t) => t.kind === 'overview');
      const ts = hasOverview ? saved.tabs : [...saved.tabs, { id: 'overview', kind: 'overview' as const, title: 'Overview' }];
      setTabs(ts);
      setActive(ts.some((t) => t.id === saved.active) ? saved.active : 'overview');
    } else {
      setTabs([{ id: 'overview', kind: 'overview', title: 'Overview' }, { id: 'runs', kind: 'runs', title: 'Runs' }]);
      setActive('overview');
    }
    restored.current = true;
    setDataVersion((v) => v + 1);
  }, []);

  const openCase = useCallback(
    async (path: string) => {
      try {
        const ov = await api.openCase(path);
        await adoptCase(ov);
        toast(`Opened ${basename(ov.casePath)}`, 'ok');
      } catch (e) {
        toast(`Could not open ${path}: ${errorText(e)}`, 'error');
      }
    },
    [adoptCase, toast],
  );

  const refreshOverview = useCallback(async () => {
    try {
      setOverview(await api.overview());
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }, [toast]);

  const finishJob = useCallback(
    async (ev: ImportJobEvent) => {
      const cur = importRef.current;
      if (!cur || cur.job.jobId !== ev.jobId) return;
      if (ev.error) {
        setImportState({ ...cur, error: ev.error, progress: ev.progress ?? cur.progress });
        toast(`Import failed: ${ev.error}`, 'error');
        return;
      }
      if (ev.result) {
        setImportState({ ...cur, result: ev.result, progress: ev.progress ?? cur.progress });
        if (ev.result.cancelled) {
          toast('Import cancelled: the source being written was rolled back', 'info');
          return;
        }
        try {
          const ov = await api.openCase(cur.job.casePath);
          await adoptCase(ov);
        } catch (e) {
          toast(`Imported, but the case could not be opened: ${errorText(e)}`, 'error');
        }
      }
    },
    [adoptCase, toast],
  );

  const applyEvent = useCallback(
    (ev: ImportJobEvent) => {
      importEvents.current.set(ev.jobId, { ...importEvents.current.get(ev.jobId), ...ev });
      const cur = importRef.current;
      if (!cur || cur.job.jobId !== ev.jobId) return;
      if (ev.progress && !ev.result && !ev.error) {
        const next = { ...cur, progress: ev.progress };
        importRef.current = next;
        setImportState(next);
      }
      if (ev.result || ev.error) void finishJob(ev);
    },
    [finishJob],
  );

  useEffect(() => onEvent('import', applyEvent), [applyEvent]);

  const track = useCallback(
    (job: ImportJob, label: string) => {
      const st: ImportState = { job, label, startedAt: Date.now(), progress: null, result: null, error: null };
      importRef.current = st;
      setImportState(st);
      setActive('start');
      setTabs((ts) => (ts.some((t) => t.id === 'start') ? ts : [START_TAB, ...ts]));
      // events may have arrived before the call returned
      const early = importEvents.current.get(job.jobId);
      if (early) applyEvent(early);
    },
    [applyEvent],
  );

  const trackRef = useRef(track);
  trackRef.current = track;

  const startImport = useCallback(
    async (paths: string[]) => {
      try {
        track(await api.startImport(paths), paths.map(basename).join(', '));
      } catch (e) {
        toast(`Import could not start: ${errorText(e)}`, 'error');
      }
    },
    [toast, track],
  );

  const openSample = useCallback(async () => {
    try {
      track(await api.openSample(), 'the sample incident');
    } catch (e) {
      toast(`The sample incident could not be opened: ${errorText(e)}`, 'error');
    }
  }, [toast, track]);

  const cancelImport = useCallback(async () => {
    const cur = importRef.current;
    if (!cur || cur.result) return;
    try {
      await api.cancelImport(cur.job.jobId);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }, [toast]);

  // Startup: theme, sidebar, app info; reopen the session's case if the core already has one.
  useEffect(() => {
    void (async () => {
      const t = await getKv<'light' | 'dark' | null>('theme', null);
      if (t) setThemeState(t);
      setSidebarState(await getKv('sidebar', true));
      let i: AppInfo;
      try {
        i = await api.appInfo();
        setInfo(i);
      } catch (e) {
        toast(`Cannot reach the Casefile core: ${errorText(e)}`, 'error');
        restored.current = true;
        return;
      }
      if (inElectron) {
        try {
          const s = await shell.ready();
          if (s?.job) {
            restored.current = true;
            trackRef.current?.(s.job, basename(s.job.casePath));
            return;
          }
          if (s?.casePath) i = { ...i, casePath: s.casePath };
        } catch {}
      }
      if (i.casePath) {
        try {
          await adoptCase(await api.overview());
          return;
        } catch (e) {
          toast(`Could not load the case overview: ${errorText(e)}`, 'error');
        }
      }
      restored.current = true;
    })();
  }, [adoptCase, toast]);

  // Shell (Electron) events: menu actions and dropped bundles.
  useEffect(
    () =>
      onShellEvent((e) => {
        if (e.action === 'open-case' && e.casePath) void openCase(e.casePath);
        if (e.action === 'import-started' && e.job) track(e.job, basename(e.job.casePath));
        if (e.action === 'export') setExportOpen(true);
        if (e.action === 'command' && e.command === 'palette') setPaletteOpen(true);
      }),
    [openCase, track],
  );

  const registerCommands = useCallback((owner: string, cmds: Command[]) => {
    setCmdMap((m) => ({ ...m, [owner]: cmds }));
    return () =>
      setCmdMap((m) => {
        const c = { ...m };
        delete c[owner];
        return c;
      });
  }, []);

  const commands = useMemo(() => Object.values(cmdMap).flat(), [cmdMap]);
  const bumpData = useCallback(() => setDataVersion((v) => v + 1), []);

  const value: AppCtx = {
    info,
    overview,
    casePath,
    tabs,
    active,
    theme,
    importState,
    sidebar,
    exportOpen,
    setExportOpen,
    setSidebar,
    setTheme,
    openTab,
    closeTab,
    activate: setActive,
    openCase,
    refreshOverview,
    startImport,
    openSample,
    cancelImport,
    toast,
    toasts,
    commands,
    registerCommands,
    paletteOpen,
    setPaletteOpen,
    dataVersion,
    bumpData,
  };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** Fetch helper for screens: data, error, loading, reload. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [n, setN] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let live = true;
    setLoading(true);
    fnRef
      .current()
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(null);
      })
      .catch((e) => live && setError(errorText(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
     
  }, [...deps, n]);
  return { data, error, loading, reload: () => setN((x) => x + 1) };
}

/**
 * The label categories of the open case (CasefileApi.taxonomy), refetched when the case or its data
 * changes (the Labels screen edits them and bumps the data version).
 */
export function useTaxonomy(): { categories: string[] | null; error: string | null } {
  const app = useApp();
  const t = useAsync(() => (app.casePath ? api.taxonomy() : Promise.resolve(null)), [app.casePath, app.dataVersion]);
  return { categories: t.data, error: t.error };
}

/** The workbench: activity bar, side bar, tabs, screens, status bar, command palette. */
import { useEffect, useMemo, type ReactNode } from 'react';
import { useApp, type Tab, type TabKind } from './state/app';
import { Icon } from './components/Icon';
import { CommandPalette } from './components/CommandPalette';
import { StartScreen } from './screens/Start';
import { OverviewScreen } from './screens/Overview';
import { RunsScreen } from './screens/Runs';
import { RunDetailScreen } from './screens/RunDetail';
import { CompareScreen } from './screens/Compare';
import { LineageScreen } from './screens/Lineage';
import { BudgetsScreen } from './screens/Budgets';
import { SqlScreen } from './screens/Sql';
import { QuarantineScreen } from './screens/Quarantine';
import { ReviewScreen } from './screens/Review';
import { PostmortemScreen } from './screens/Postmortem';
import { LabelsScreen } from './screens/Labels';
import { ExportDialog } from './components/ExportDialog';
import { Sidebar } from './components/Sidebar';
import { fmtInt, fmtBytes, basename } from './lib/format';
import { transportKind } from './api/client';

const ACTIVITIES: Array<{ kind: TabKind; icon: string; label: string; key: string; needsCase: boolean }> = [
  { kind: 'start', icon: 'start', label: 'Start', key: 'Alt+1', needsCase: false },
  { kind: 'overview', icon: 'overview', label: 'Case overview', key: 'Alt+2', needsCase: true },
  { kind: 'runs', icon: 'runs', label: 'Runs', key: 'Alt+3', needsCase: true },
  { kind: 'lineage', icon: 'lineage', label: 'Lineage', key: 'Alt+4', needsCase: true },
  { kind: 'budgets', icon: 'budgets', label: 'Budgets', key: 'Alt+5', needsCase: true },
  { kind: 'sql', icon: 'sql', label: 'SQL console', key: 'Alt+6', needsCase: true },
  { kind: 'quarantine', icon: 'quarantine', label: 'Quarantine', key: 'Alt+7', needsCase: true },
  { kind: 'review', icon: 'review', label: 'Review queue', key: 'Alt+8', needsCase: true },
  { kind: 'postmortem', icon: 'postmortem', label: 'Postmortem', key: 'Alt+9', needsCase: true },
  { kind: 'labels', icon: 'labels', label: 'Labels & history', key: '', needsCase: true },
];

function renderTab(t: Tab, active: boolean): ReactNode {
  switch (t.kind) {
    case 'start':
      return <StartScreen />;
    case 'overview':
      return <OverviewScreen active={active} />;
    case 'runs':
      return <RunsScreen active={active} />;
    case 'run':
      return <RunDetailScreen runId={t.params?.runId ?? ''} focusStep={t.params?.stepId} active={active} />;
    case 'compare':
      return <CompareScreen a={t.params?.a ?? ''} b={t.params?.b ?? ''} active={active} />;
    case 'lineage':
      return <LineageScreen modelVersion={t.params?.modelVersion} asOf={t.params?.asOf ?? null} active={active} />;
    case 'budgets':
      return <BudgetsScreen active={active} />;
    case 'sql':
      return <SqlScreen active={active} />;
    case 'quarantine':
      return <QuarantineScreen active={active} />;
    case 'review':
      return <ReviewScreen active={active} />;
    case 'postmortem':
      return <PostmortemScreen active={active} />;
    case 'labels':
      return <LabelsScreen active={active} />;
  }
}

export function App() {
  const app = useApp();
  const { tabs, active, casePath, overview, importState, theme } = app;
  const activeTab = tabs.find((t) => t.id === active) ?? tabs[0]!;

  // Built-in commands.
  useEffect(() => {
    const needCase = () => app.casePath != null;
    return app.registerCommands('app', [
      ...ACTIVITIES.map((a) => ({ id: `go.${a.kind}`, title: `Go to ${a.label}`, category: 'View', keys: a.key ? [a.key] : undefined, enabled: a.needsCase ? needCase : undefined, run: () => app.openTab(a.kind) })),
      { id: 'case.sample', title: 'Open the sample incident', category: 'File', run: () => void app.openSample() },
      { id: 'case.export', title: 'Export…', category: 'File', keys: ['Ctrl+E'], enabled: needCase, run: () => app.setExportOpen(true) },
      { id: 'view.theme', title: `Toggle theme (now ${theme})`, category: 'View', run: () => app.setTheme(theme === 'dark' ? 'light' : 'dark') },
      { id: 'view.sidebar', title: 'Toggle side bar', category: 'View', keys: ['Ctrl+B'], run: () => app.setSidebar(!app.sidebar) },
      { id: 'tab.close', title: 'Close tab', category: 'View', keys: ['Alt+W'], run: () => app.closeTab(app.active) },
      { id: 'tab.next', title: 'Next tab', category: 'View', keys: ['Alt+]'], run: () => cycle(1) },
      { id: 'tab.prev', title: 'Previous tab', category: 'View', keys: ['Alt+['], run: () => cycle(-1) },
      { id: 'case.refresh', title: 'Refresh overview', category: 'Case', enabled: needCase, run: () => void app.refreshOverview() },
    ]);
    function cycle(d: number) {
      const i = app.tabs.findIndex((t) => t.id === app.active);
      const n = app.tabs[(i + d + app.tabs.length) % app.tabs.length];
      if (n) app.activate(n.id);
    }
     
  }, [app.casePath, theme, app.sidebar, app.tabs, app.active]);

  // Global keyboard shortcuts.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if ((mod && e.shiftKey && e.key.toLowerCase() === 'p') || (mod && !e.shiftKey && e.key.toLowerCase() === 'k') || e.key === 'F1') {
        e.preventDefault();
        app.setPaletteOpen(true);
        return;
      }
      if (mod && !e.shiftKey && e.key.toLowerCase() === 'b') {
        e.preventDefault();
        app.setSidebar(!app.sidebar);
        return;
      }
      if (mod && !e.shiftKey && e.key.toLowerCase() === 'e' && app.casePath) {
        e.preventDefault();
        app.setExportOpen(true);
        return;
      }
      if (e.altKey && !mod) {
        const n = Number(e.key);
        if (n >= 1 && n <= 9) {
          const a = ACTIVITIES[n - 1];
          if (a && (!a.needsCase || app.casePath)) {
            e.preventDefault();
            app.openTab(a.kind);
          }
        } else if (e.key.toLowerCase() === 'w') {
          e.preventDefault();
          app.closeTab(app.active);
        } else if (e.key === ']' || e.key === '[') {
          e.preventDefault();
          const i = app.tabs.findIndex((t) => t.id === app.active);
          const d = e.key === ']' ? 1 : -1;
          const nt = app.tabs[(i + d + app.tabs.length) % app.tabs.length];
          if (nt) app.activate(nt.id);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [app]);

  const paletteCommands = useMemo(() => app.commands.filter((c) => !c.enabled || c.enabled()), [app.commands]);

  const importing = importState && !importState.result && !importState.error;
  const p = importState?.progress;

  return (
    <div className="app">
      <div className="app-main">
        <nav className="activity" aria-label="Screens">
          {ACTIVITIES.map((a) => (
            <button
              key={a.kind}
              className={activeTab.kind === a.kind ? 'active' : ''}
              title={`${a.label}${a.key ? ` (${a.key})` : ''}`}
              aria-label={a.label}
              disabled={a.needsCase && !casePath}
              onClick={() => app.openTab(a.kind)}
            >
              <Icon name={a.icon} />
            </button>
          ))}
          <div className="spacer" />
          <button title="Command palette (Ctrl+Shift+P)" aria-label="Command palette" onClick={() => app.setPaletteOpen(true)}>
            <Icon name="palette" />
          </button>
          <button title={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} aria-label="Toggle theme" onClick={() => app.setTheme(theme === 'dark' ? 'light' : 'dark')} data-testid="theme-toggle">
            <Icon name="theme" />
          </button>
        </nav>
        <Sidebar hidden={!app.sidebar} />
        <main className="workbench">
          <div className="tabs" role="tablist" aria-label="Open editors">
            {tabs.map((t) => (
              <div
                key={t.id}
                role="tab"
                tabIndex={0}
                aria-selected={t.id === active}
                className={`tab ${t.id === active ? 'active' : ''}`}
                onClick={() => app.activate(t.id)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); app.activate(t.id); }
                  if (e.key === 'Delete') app.closeTab(t.id);
                }}
                onAuxClick={(e) => e.button === 1 && app.closeTab(t.id)}
                title={t.title}
                data-testid={`tab-${t.id}`}
              >
                <span className="tab-title">{t.title}</span>
                <button
                  className="close"
                  aria-label={`Close ${t.title}`}
                  tabIndex={-1}
                  onClick={(e) => {
                    e.stopPropagation();
                    app.closeTab(t.id);
                  }}
                >
                  <Icon name="close" size={12} />
                </button>
              </div>
            ))}
          </div>
          <div className="screen">
            {tabs.map((t) => (
              <section key={t.id} className={`pane ${t.id === active ? 'active' : ''}`} role="tabpanel" aria-label={t.title} data-screen={t.kind}>
                {renderTab(t, t.id === active)}
              </section>
            ))}
          </div>
        </main>
      </div>
      <footer className="statusbar" aria-label="Status">
        <span title={casePath ?? ''}>{casePath ? `Case: ${basename(casePath)}` : 'No case open'}</span>
        {overview ? (
          <span>
            {fmtInt(overview.totals.runs)} runs · {fmtInt(overview.totals.spans)} spans · {fmtInt(overview.totals.quarantined)} quarantined
          </span>
        ) : null}
        {importing ? (
          <button onClick={() => app.activate('start')}>
            Importing {importState!.label}
            {p && p.bytesTotal ? ` ${Math.floor((100 * p.bytesDone) / p.bytesTotal)}% · ${fmtBytes(p.bytesDone)}` : '…'}
          </button>
        ) : null}
        <span className="grow" />
        <button onClick={() => app.setPaletteOpen(true)} title="Command palette">
          <kbd style={{ color: 'inherit', background: 'transparent', borderColor: 'rgba(255,255,255,0.5)' }}>Ctrl+Shift+P</kbd>
        </button>
        <span>{transportKind === 'ipc' ? 'Desktop' : 'Loopback'}</span>
        <span>{app.info ? `v${app.info.version}` : ''}</span>
        <button onClick={() => app.setTheme(theme === 'dark' ? 'light' : 'dark')}>{theme === 'dark' ? 'Dark' : 'Light'}</button>
      </footer>
      {app.paletteOpen ? (
        <CommandPalette
          commands={paletteCommands}
          onClose={() => app.setPaletteOpen(false)}
          onRun={(id) => {
            const c = app.commands.find((x) => x.id === id);
            // run after the palette closed, so focus can move to the target
            setTimeout(() => c?.run(), 0);
          }}
        />
      ) : null}
      {app.exportOpen ? <ExportDialog onClose={() => app.setExportOpen(false)} /> : null}
      <div className="toasts" aria-live="polite">
        {app.toasts.map((t) => (
          <div key={t.id} className={`toast ${t.kind}`}>
            {t.text}
          </div>
        ))}
      </div>
    </div>
  );
}

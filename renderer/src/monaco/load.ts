/** Monaco is large: load it on first use so the workstation is interactive before any editor is shown. */
import type { Monaco } from './setup';

let loading: Promise<Monaco> | null = null;

export function loadMonaco(): Promise<Monaco> {
  loading ??= import('./setup').then((m) => m.monaco);
  return loading;
}

let currentTheme: 'light' | 'dark' = 'light';

export function setMonacoTheme(theme: 'light' | 'dark'): void {
  currentTheme = theme;
  if (loading) void loading.then((m) => m.editor.setTheme(theme === 'dark' ? 'vs-dark' : 'vs'));
}

export const monacoTheme = () => (currentTheme === 'dark' ? 'vs-dark' : 'vs');

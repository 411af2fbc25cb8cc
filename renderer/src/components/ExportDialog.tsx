/** Export dialog: format, output path (native save dialog in the desktop app), redaction on by default, names. */
import { useEffect, useRef, useState } from 'react';
import type { ExportFormat, ExportResult } from '../../../shared/api';
import { api, inElectron, shell } from '../api/client';
import { useApp } from '../state/app';
import { basename, errorText, fmtInt } from '../lib/format';

const FORMATS: Array<{ id: ExportFormat; title: string; ext: string; note: string }> = [
  { id: 'report-html', title: 'Report (HTML)', ext: '.html', note: 'one self-contained, print-ready file' },
  { id: 'report-pdf', title: 'Report (PDF)', ext: '.pdf', note: 'the report printed to PDF' },
  { id: 'report-md', title: 'Report (Markdown)', ext: '.md', note: 'the postmortem with evidence links' },
  { id: 'sft-jsonl', title: 'SFT examples (JSONL)', ext: '.jsonl', note: 'chat fine-tuning, corrected output as the assistant turn' },
  { id: 'dpo-jsonl', title: 'Preference pairs (JSONL)', ext: '.jsonl', note: 'preferred = corrected, non-preferred = what the model did' },
  { id: 'promptfoo', title: 'promptfoo suite', ext: '', note: 'behavioural tests for CI (a folder)' },
  { id: 'opa-tests', title: 'OPA regression inputs', ext: '', note: 'policy inputs with the right decision (a folder)' },
  { id: 'case-archive', title: 'Case archive', ext: '.zip', note: 'the case file plus a manifest' },
];

export function ExportDialog({ onClose }: { onClose: () => void }) {
  const app = useApp();
  const [format, setFormat] = useState<ExportFormat>('report-html');
  const [outPath, setOutPath] = useState('');
  const [redact, setRedact] = useState(true);
  const [names, setNames] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const first = useRef<HTMLSelectElement>(null);
  const f = FORMATS.find((x) => x.id === format)!;

  useEffect(() => first.current?.focus(), []);
  useEffect(() => {
    const dir = app.info?.casesDir ?? '.';
    const stem = app.casePath ? basename(app.casePath).replace(/\.casefile$/, '') : 'case';
    setOutPath(`${dir.replace(/[\\/]cases$/, '')}/exports/${stem}-${format}${f.ext}`);
  }, [format, app.info, app.casePath, f.ext]);

  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await api.exportCase({ format, outPath, redact, names: names.split(',').map((s) => s.trim()).filter(Boolean) });
      setResult(r);
      app.toast(`Exported ${r.files.length} file${r.files.length === 1 ? '' : 's'}`, 'ok');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="overlay" onMouseDown={onClose} role="presentation" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-label="Export" onMouseDown={(e) => e.stopPropagation()} data-testid="export-dialog">
        <header>
          <h2>Export</h2>
        </header>
        <div className="body">
          <label className="field">
            Format
            <select ref={first} className="input" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
              {FORMATS.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.title}
                </option>
              ))}
            </select>
            <span>{f.note}</span>
          </label>
          <label className="field">
            Output path
            <div className="row">
              <input className="input grow" value={outPath} onChange={(e) => setOutPath(e.target.value)} aria-label="Output path" />
              {inElectron ? (
                <button
                  className="btn"
                  onClick={async () => {
                    const p = await shell.pickSavePath(outPath);
                    if (p) setOutPath(p);
                  }}
                >
                  Browse…
                </button>
              ) : null}
            </div>
          </label>
          <label className="row">
            <input type="checkbox" checked={redact} onChange={(e) => setRedact(e.target.checked)} />
            Redact personal data and secrets (emails, phones, cards, IBANs, ids, keys, IPs)
          </label>
          {!redact ? <div className="notice" style={{ background: 'var(--warn-bg)' }}>Unredacted export: this is recorded in the manifest.</div> : null}
          <label className="field">
            Also redact these names (comma-separated)
            <input className="input" value={names} onChange={(e) => setNames(e.target.value)} placeholder="e.g. Dana Smith, j.okoro" />
          </label>
          {error ? <div className="error-box" style={{ margin: 0 }}>{error}</div> : null}
          {result ? (
            <div className="notice" data-testid="export-result">
              <div>
                <b>{fmtInt(result.files.length)}</b> files · {fmtInt(result.examples)} examples · manifest <span className="mono">{result.manifestPath}</span>
              </div>
              {Object.keys(result.redactions).length ? (
                <div className="muted">
                  redacted:{' '}
                  {Object.entries(result.redactions)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')}
                </div>
              ) : null}
              {result.files.slice(0, 8).map((p) => (
                <div key={p} className="mono ellipsis">
                  {p}
                </div>
              ))}
            </div>
          ) : null}
        </div>
        <footer>
          <button className="btn" onClick={onClose}>
            Close
          </button>
          <button className="btn primary" onClick={() => void run()} disabled={busy || !outPath.trim()} data-testid="export-run">
            {busy ? 'Exporting…' : 'Export'}
          </button>
        </footer>
      </div>
    </div>
  );
}

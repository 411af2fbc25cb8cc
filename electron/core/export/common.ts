/** What every export shares: output paths, the redactor, file bookkeeping, the manifest. */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { ExportFormat, ExportRequest, ExportResult, Label } from '../../../shared/api';
import { Redactor } from '../../../shared/redact';
import type { Db } from '../store/db';
import { caseMeta, caseSources, schemaVersion, type EvidenceRecord } from '../store/evidence-store';
import { labels as listLabels, verifyLabelLog } from '../store/labels-store';
import { buildExample, ExampleError, sourceRefs, type LabelExample } from './examples';
import { ExportRequestError, type ExportDeps, type ExportManifest, type ManifestExample } from './types';

export const SINGLE_FILE: Record<string, string> = {
  'sft-jsonl': 'sft.jsonl',
  'dpo-jsonl': 'dpo.jsonl',
  'report-md': 'report.md',
  'report-html': 'report.html',
  'report-pdf': 'report.pdf',
};

export function sha256Text(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}

export function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => res(h.digest('hex')))
      .on('error', rej);
  });
}

export class ExportContext {
  readonly redactor: Redactor;
  /** directory the export's files live in */
  readonly dir: string;
  /** the main file for single-file formats */
  readonly file: string | null;
  readonly manifestPath: string;
  readonly reportPath: string;
  readonly written: string[] = [];
  readonly examples: ManifestExample[] = [];
  readonly skipped: ExportManifest['skipped'] = [];
  readonly notes: string[] = [];
  readonly sourceIds = new Set<number>();
  readonly now: Date;

  constructor(
    readonly db: Db,
    readonly casePath: string,
    readonly req: ExportRequest,
    readonly deps: ExportDeps,
  ) {
    const redact = req.redact !== false;
    this.redactor = new Redactor(redact && req.format !== 'case-archive', { names: req.names ?? [] });
    this.now = deps.now?.() ?? new Date();
    const out = resolve(req.outPath);
    const single = SINGLE_FILE[req.format];
    if (single) {
      const isDir = (existsSync(out) && statSync(out).isDirectory()) || /[\\/]$/.test(req.outPath);
      this.file = isDir ? join(out, single) : out;
      this.dir = dirname(this.file);
      this.manifestPath = `${this.file}.manifest.json`;
      this.reportPath = `${this.file}.redaction-report.json`;
    } else {
      if (existsSync(out) && !statSync(out).isDirectory()) throw new ExportRequestError(`${req.format} writes a directory, but ${out} is a file`);
      this.file = null;
      this.dir = out;
      this.manifestPath = join(out, 'manifest.json');
      this.reportPath = join(out, 'redaction-report.json');
    }
    mkdirSync(this.dir, { recursive: true });
  }

  get redacting(): boolean {
    return this.redactor.enabled;
  }

  /** Path relative to the export (what manifests and redaction reports name). */
  rel(abs: string): string {
    return relative(this.dir, abs).split(sep).join('/');
  }

  /** Writes a file of the export (relative to its directory) and remembers it for the manifest. */
  write(relPath: string, content: string | Buffer): string {
    const abs = join(this.dir, relPath);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    this.track(abs);
    return abs;
  }

  track(abs: string): void {
    if (!this.written.includes(abs)) this.written.push(abs);
  }

  useRecords(records: EvidenceRecord[]): void {
    for (const r of records) for (const s of r.sources) this.sourceIds.add(s.sourceId);
  }

  /** Labels → examples (labels whose run has no usable target are listed as skipped). */
  examplesFromLabels(filter: (l: Label) => boolean = () => true): LabelExample[] {
    const out: LabelExample[] = [];
    for (const l of listLabels(this.db)) {
      if (!filter(l)) continue;
      try {
        out.push(buildExample(this.db, l));
      } catch (e) {
        if (!(e instanceof ExampleError)) throw e;
        this.skipped.push({ labelId: l.id, runId: l.runId, reason: e.message });
      }
    }
    return out;
  }

  addExample(index: number, file: string, ex: LabelExample): void {
    this.useRecords(ex.records);
    this.examples.push({
      index,
      file,
      labelId: ex.label.id,
      runId: this.redactor.text(ex.label.runId, this.rel(this.manifestPath), null, `$.examples[${this.examples.length}].runId`),
      stepId: ex.label.stepId,
      category: ex.label.category,
      verdict: ex.label.verdict,
      target: `${ex.kind}${ex.targetKey ? ` ${ex.targetKey}` : ''}`,
      promptSource: ex.promptSource,
      records: sourceRefs(ex.records).map((r) => ({ ...r, sourcePath: this.redactor.text(r.sourcePath, this.rel(this.manifestPath), null, '$.examples[].records[].sourcePath') })),
    });
  }

  skip(l: Label, reason: string): void {
    this.skipped.push({ labelId: l.id, runId: l.runId, reason });
  }

  /** Writes the redaction report and the manifest; returns the API result. */
  async finish(opts: { allSources?: boolean; exampleCount?: number } = {}): Promise<ExportResult> {
    const report = this.redactor.report.build();
    const reportRel = this.rel(this.reportPath);
    writeFileSync(this.reportPath, `${JSON.stringify(report, null, 2)}\n`);
    const files: ExportManifest['files'] = [];
    for (const f of this.written) {
      if (!existsSync(f)) continue;
      files.push({ path: this.rel(f), sha256: await sha256File(f), size: statSync(f).size });
    }
    files.push({ path: reportRel, sha256: await sha256File(this.reportPath), size: statSync(this.reportPath).size });
    const sources = caseSources(this.db)
      .filter((s) => opts.allSources || this.sourceIds.has(s.id))
      .map((s) => ({ id: s.id, path: this.redactor.enabled ? this.redactor.text(s.path, this.rel(this.manifestPath), null, '$.sources[].path') : s.path, sha256: s.sha256, size: s.size, format: s.format, imported_at: s.imported_at }));
    const meta = caseMeta(this.db);
    const log = verifyLabelLog(this.db);
    const schema = schemaVersion(this.db);
    const manifest: ExportManifest = {
      casefile_export: 1,
      format: this.req.format,
      created_at: this.now.toISOString(),
      app_version: this.deps.appVersion ?? null,
      case: { file: basename(this.casePath), schema, created_at: meta.created_at ?? null },
      redacted: this.redactor.enabled,
      no_redact: this.req.redact === false,
      redaction: {
        report: reportRel,
        total: report.total,
        counts: report.counts as Record<string, number>,
        names_configured: report.namesConfigured,
        ...(this.req.format === 'case-archive'
          ? { note: 'A case archive is the evidence itself and cannot be redacted: it contains the raw imported records (personal data and secrets included). Share it only under the evidence-handling rules that apply to the originals.' }
          : this.req.redact === false
            ? { note: 'Exported with --no-redact: personal data and secrets in the evidence are included as recorded.' }
            : {}),
      },
      files,
      sources,
      examples: this.examples,
      skipped: this.skipped,
      label_log: { entries: log.entries, head: log.head, verified: log.ok },
      notes: this.notes,
    };
    writeFileSync(this.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return {
      format: this.req.format,
      files: [...this.written, this.reportPath],
      manifestPath: this.manifestPath,
      examples: opts.exampleCount ?? this.examples.length,
      redactions: report.counts as Record<string, number>,
    };
  }
}

export const EXPORT_FORMATS: readonly ExportFormat[] = ['sft-jsonl', 'dpo-jsonl', 'promptfoo', 'opa-tests', 'report-md', 'report-html', 'report-pdf', 'case-archive'];

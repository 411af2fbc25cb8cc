import type { BudgetReport, ExportFormat, ReconstructedRun } from '../../../shared/api';

/** What the caller (service, CLI, tests) can plug into an export. All optional. */
export interface ExportDeps {
  /** The case's budget evaluation (budgets-api: evaluateCaseBudgets); drawn as charts in reports. */
  budgetReport?: () => BudgetReport | null | Promise<BudgetReport | null>;
  /** Reconstruction of one run (recon: getRun); when given, evidence cards use its findings. */
  getRun?: (runId: string) => ReconstructedRun | null | Promise<ReconstructedRun | null>;
  /**
   * Renders an HTML file to PDF. In Electron the shell passes webContents.printToPDF; by default
   * (loopback / CLI) headless Chromium's --print-to-pdf is used.
   */
  printToPdf?: (htmlPath: string, pdfPath: string) => Promise<void>;
  /** Chromium binary for the default printToPdf (default: $CASEFILE_CHROMIUM or /usr/bin/chromium). */
  chromiumPath?: string;
  /** Clock (tests). */
  now?: () => Date;
  /** Version string written in manifests. */
  appVersion?: string;
}

export interface ExampleSourceRef {
  key: string;
  kind: string;
  sourcePath: string;
  sourceSha256: string;
  line: number | null;
  jsonPath: string | null;
  /** other files holding the same record */
  alsoIn?: Array<{ sourcePath: string; sourceSha256: string; line: number | null; jsonPath: string | null }>;
}

export interface ManifestExample {
  index: number;
  file: string;
  labelId: number;
  runId: string;
  stepId: string | null;
  category: string;
  verdict: string;
  target: string;
  promptSource?: string;
  records: ExampleSourceRef[];
}

export interface ExportManifest {
  casefile_export: 1;
  format: ExportFormat;
  created_at: string;
  app_version: string | null;
  case: { file: string; schema: number | null; created_at: string | null };
  redacted: boolean;
  /** true when the export was asked for with --no-redact (redact: false) */
  no_redact: boolean;
  redaction: { report: string | null; total: number; counts: Record<string, number>; names_configured: number; note?: string };
  files: Array<{ path: string; sha256: string; size: number }>;
  sources: Array<{ id: number; path: string; sha256: string; size: number; format: string; imported_at: string }>;
  examples: ManifestExample[];
  skipped: Array<{ labelId: number; runId: string; reason: string }>;
  label_log: { entries: number; head: { seq: number; hash: string } | null; verified: boolean };
  notes: string[];
}

/** A bad export request (unknown format, missing or unusable output path): the API maps it to BAD_REQUEST. */
export class ExportRequestError extends Error {
  readonly code = 'BAD_REQUEST';
}

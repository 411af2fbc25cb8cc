/** Types of the import capability, shared by the core, the CLI, both transports and the renderer. */

export interface ImportProgress {
  bytesDone: number;
  bytesTotal: number;
  records: number;
  quarantined: number;
  skipped: number;
  sourcesDone: number;
  currentPath: string | null;
  recordsPerSec: number;
  bytesPerSec: number;
}

export interface ImportedSource {
  id: number;
  /** The path this import saw the file at. */
  path: string;
  /** The path stored with the source (differs when the content was already in the case from elsewhere). */
  storedPath: string;
  sha256: string;
  size: number;
  format: string;
  status: 'complete' | 'refused' | 'failed';
  /** records in = stored + quarantined + skipped */
  records: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  skipped: number;
  error: string | null;
  /** True when the same content was already in the case: nothing changed. */
  alreadyPresent: boolean;
}

export interface CaseTotalsDto {
  runs: number;
  spans: number;
  decisions: number;
  lineageEvents: number;
  auditEvents: number;
  logs: number;
  quarantined: number;
  skipped: number;
  sources: number;
}

export interface ImportResult {
  case: string;
  sources: ImportedSource[];
  totals: CaseTotalsDto;
  /** Sources that could not be read, refused entries, fatal bundle errors. */
  errors: string[];
  /** Files whose hash differs from the bundle manifest, or that the manifest lists but the bundle lacks. */
  manifestProblems: string[];
  cancelled: boolean;
  /** Where the time went, in milliseconds: reading and writing the sources, rebuilding bulk-dropped indexes, deriving runs. */
  timings?: {
    writeMs: number;
    indexMs: number;
    deriveMs: number;
    derivePhases?: Record<string, number>;
    /** CPU milliseconds each import thread had used when the last source was written (Linux only) */
    streamCpuMs?: { writer: number | null; reader: number | null; parsers: Array<number | null> };
  };
}

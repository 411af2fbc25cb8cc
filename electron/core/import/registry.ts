import { parse as parseYaml } from 'yaml';
import type { FormatName } from '../../../shared/model';
import type { FormatHandler, Sniff } from './formats/types';
import { otlpTracesHandler } from './formats/otlp-traces';
import { otlpLogsHandler } from './formats/otlp-logs';
import { jaegerHandler } from './formats/jaeger';
import { zipkinHandler } from './formats/zipkin';
import { openlineageHandler } from './formats/openlineage';
import { opaHandler } from './formats/opa';
import { casefileAuditHandler } from './formats/casefile-audit';
import { langfuseHandler } from './formats/langfuse';
import { langsmithHandler } from './formats/langsmith';

/** Every evidence format, detected by content. The highest sniff confidence wins. */
export const HANDLERS: readonly FormatHandler[] = [
  casefileAuditHandler,
  otlpTracesHandler,
  otlpLogsHandler,
  jaegerHandler,
  zipkinHandler,
  openlineageHandler,
  opaHandler,
  langfuseHandler,
  langsmithHandler,
];

/**
 * Files that are not evidence records but belong to the bundle: the bundle manifest and the team's
 * risk budgets. They are kept whole (documents), hashed like every source.
 */
export function detectDocumentFormat(s: Sniff): FormatName | null {
  if (!s.complete) return null;
  const d = s.doc as Record<string, unknown> | undefined;
  if (d && typeof d === 'object' && !Array.isArray(d) && d.bundle_version !== undefined && Array.isArray(d.files)) return 'manifest';
  if (d === undefined) {
    try {
      const y = parseYaml(s.head) as Record<string, unknown> | null;
      if (y && typeof y === 'object' && !Array.isArray(y) && (y.budgets !== undefined || y.budgets_version !== undefined)) return 'budgets';
    } catch {
      return null;
    }
  }
  return null;
}

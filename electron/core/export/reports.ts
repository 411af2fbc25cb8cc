/** report-md, report-html, report-pdf. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportResult } from '../../../shared/api';
import type { ExportContext } from './common';
import { printWithChromium } from './pdf';
import { buildReportModel, renderReportHtml, renderReportMarkdown } from './report';

export async function exportReportMd(ctx: ExportContext): Promise<ExportResult> {
  const m = await buildReportModel(ctx, ctx.rel(ctx.file!));
  writeFileSync(ctx.file!, renderReportMarkdown(m));
  ctx.track(ctx.file!);
  return ctx.finish({ allSources: true, exampleCount: m.cards.length });
}

export async function exportReportHtml(ctx: ExportContext): Promise<ExportResult> {
  const m = await buildReportModel(ctx, ctx.rel(ctx.file!));
  writeFileSync(ctx.file!, renderReportHtml(m));
  ctx.track(ctx.file!);
  return ctx.finish({ allSources: true, exampleCount: m.cards.length });
}

export async function exportReportPdf(ctx: ExportContext): Promise<ExportResult> {
  const m = await buildReportModel(ctx, ctx.rel(ctx.file!));
  const tmp = mkdtempSync(join(tmpdir(), 'casefile-report-'));
  try {
    const html = join(tmp, 'report.html');
    writeFileSync(html, renderReportHtml(m));
    if (ctx.deps.printToPdf) await ctx.deps.printToPdf(html, ctx.file!);
    else await printWithChromium(html, ctx.file!, { chromium: ctx.deps.chromiumPath });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  ctx.track(ctx.file!);
  return ctx.finish({ allSources: true, exampleCount: m.cards.length });
}

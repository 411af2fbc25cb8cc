import { describe, expect, it } from 'vitest';
import { embedsToLinks, findEmbeds, generatePostmortemTemplate, replaceEmbeds, timelineRows, type PostmortemFacts } from '../../shared/postmortem';
import { createMarkdownRenderer, renderMarkdown } from '../../shared/markdown';
import { checkBlameless } from '../../shared/blameless';

const H = 3_600_000_000; // 1 h in µs
const T0 = Date.UTC(2026, 9, 12) * 1000;

const facts: PostmortemFacts = {
  title: 'Refund amounts written in cents',
  generatedAt: '2026-10-15T12:00:00.000Z',
  window: { from: T0, to: T0 + 72 * H },
  workflows: ['kb-answer', 'refund-agent'],
  sources: 12,
  runsTotal: 3000,
  affectedSet: 545,
  labeledRuns: 3,
  harmfulRuns: 2,
  harmfulWrites: 1,
  modelVersions: [
    { version: '2026.10.1', runs: 2000, firstSeen: T0, lastSeen: T0 + 60 * H },
    { version: '2026.10.2', runs: 1000, firstSeen: T0 + 32 * H, lastSeen: T0 + 61 * H },
  ],
  budgets: [
    { workflow: 'refund-agent', tier: 'auto', sli: 'wrong_write_rate', objectiveText: '1 in 10000', consumed: 156.7, bad: 17, total: 1085, status: 'exhausted', owner: 'risk owner', triggers: [{ rule: 'fast-burn', action: 'downgrade auto->approve', firedAt: T0 + 40 * H }] },
  ],
  labels: [
    { runId: 'run_A', stepId: 'audit:evt_W', category: 'materially-wrong-write', verdict: 'harmful', severity: 'sev1', at: T0 + 34 * H, note: null, modelVersion: '2026.10.2' },
    { runId: 'run_B', stepId: null, category: 'materially-wrong-write', verdict: 'harmful', severity: 'sev1', at: T0 + 50 * H, note: null },
    { runId: 'run_C', stepId: null, category: 'prompt-injection', verdict: 'benign', severity: null, at: T0 + 16 * H, note: null },
  ],
  events: [{ at: T0 + 32 * H, kind: 'change', text: 'Model version 2026.10.2 first seen', ref: '[[run:run_first]]' }],
  detection: { at: T0 + 57 * H, how: "Finance's reconciliation flagged refunds far above order totals" },
  mitigation: { at: T0 + 61.5 * H, what: 'model pinned back to 2026.10.1' },
};

describe('postmortem template', () => {
  const md = generatePostmortemTemplate(facts);

  it('has the blameless sections in order', () => {
    const headings = md.split('\n').filter((l) => /^##? /.test(l));
    expect(headings).toEqual([
      '# Postmortem: Refund amounts written in cents',
      '## Summary',
      '## Impact',
      '## Timeline',
      '## Detection',
      '## Contributing factors',
      '## What went well',
      '## Action items',
      '## Lessons',
    ]);
    for (const layer of ['Model', 'Data', 'Retrieval', 'Policy', 'Tool', 'Product']) expect(md).toContain(`### ${layer}`);
  });

  it('fills impact from the evidence: runs affected, harmful writes, budget consumed', () => {
    expect(md).toContain('| Runs in the case | 3000 |');
    expect(md).toContain('| Runs in the affected set | 545 |');
    expect(md).toContain('| Runs labelled harmful | 2 |');
    expect(md).toContain('| Harmful writes to a system of record | 1 |');
    expect(md).toMatch(/\| refund-agent \| auto \| wrong_write_rate \| 1 in 10000 \| 17 \/ 1085 \| 15670\.0% \| exhausted \|/);
  });

  it('builds the timeline from labelled events, changes, triggers, detection and mitigation, in time order', () => {
    const rows = timelineRows(facts);
    expect(rows.map((r) => r.kind)).toEqual(['change', 'label', 'trigger', 'label', 'detection', 'mitigation']);
    expect(rows[1]!.ref).toBe('[[step:audit:evt_W]]');
    expect(rows[3]!.text).toContain('2 labelled in all');
    expect(md).toContain('Time to detect (first labelled harm → detection): 23 h 0 min.');
    expect(md).toContain('Time to mitigate (detection → mitigation): 4 h 30 min.');
    // the benign label is not a harm event
    expect(rows.some((r) => r.text.includes('prompt-injection'))).toBe(false);
  });

  it('has an action-item table with owner, due date, autonomy-tier change and rollback trigger', () => {
    expect(md).toContain('| Action | Owner | Due | Autonomy-tier change | Rollback trigger | Status |');
    expect(md).toContain('| risk owner | _YYYY-MM-DD_ | auto → approve until the budget is met for N days | fast-burn (downgrade auto->approve) | open |');
  });

  it('is itself blameless', () => {
    expect(checkBlameless(md)).toEqual([]);
  });

  it('embeds only evidence of the case: its examples are not embeds (no "not found" cards, no dead links)', () => {
    const ids = findEmbeds(md).map((e) => e.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id) => id !== 'run_first' && !facts.labels.some((l) => l.runId === id || l.stepId === id))).toEqual([]);
    const empty = generatePostmortemTemplate({ ...facts, labels: [], events: [], budgets: [], detection: null, mitigation: null });
    expect(findEmbeds(empty)).toEqual([]);
    expect(empty).toContain('`[[run:<run id>]]`');
  });
});

describe('evidence embeds', () => {
  const md = 'See [[run:run_01M4]] and [[step:audit:evt_1]].\n\n```\n[[run:not_me]]\n```\nAlso [[run:x y]] is not one.';

  it('finds [[run:ID]] and [[step:ID]] outside code fences', () => {
    expect(findEmbeds(md).map((e) => [e.kind, e.id, md.slice(e.start, e.end)])).toEqual([
      ['run', 'run_01M4', '[[run:run_01M4]]'],
      ['step', 'audit:evt_1', '[[step:audit:evt_1]]'],
    ]);
  });

  it('replaces them with links for exports', () => {
    expect(embedsToLinks('x [[run:run_01M4]] y')).toBe('x [run run\\_01M4](#run-run_01M4) y');
    expect(replaceEmbeds(md, (e) => `<${e.id}>`)).toContain('See <run_01M4> and <audit:evt_1>.');
    expect(replaceEmbeds(md, (e) => `<${e.id}>`)).toContain('[[run:not_me]]');
  });
});

describe('Markdown renderer (shared by the preview and the HTML report)', () => {
  it('never turns imported text into HTML', () => {
    const html = renderMarkdown('Hello <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n<div>raw</div>\n\n[x](javascript:alert(3))');
    expect(html).not.toMatch(/<script|<img|<div|href="javascript:/i);
    expect(html).toContain('&lt;script&gt;');
  });

  it('renders embeds through the callback, and tables', () => {
    const md = createMarkdownRenderer({ renderEmbed: (e) => `<span class="card" data-id="${e.id}">${e.kind}</span>` });
    const html = md.render('| a | b |\n|---|---|\n| [[run:r1]] | [[step:audit:e1]] |');
    expect(html).toContain('<table>');
    expect(html).toContain('<span class="card" data-id="r1">run</span>');
    expect(html).toContain('<span class="card" data-id="audit:e1">step</span>');
    expect(renderMarkdown('[[run:r<1>]]')).not.toContain('<1>');
  });
});

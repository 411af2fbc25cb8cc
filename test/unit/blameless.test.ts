import { describe, expect, it } from 'vitest';
import { checkBlameless, splitSentences, type BlameRule } from '../../shared/blameless';

const NAMES = ['Dana Okafor', 'Omar', 'm.alvarez'];

// sentence → the rules that must flag it (empty: must not be flagged)
const CASES: Array<[string, BlameRule[]]> = [
  // blaming
  ['Dana failed to check the canary dashboard after the rollout.', ['person-failed']],
  ['Dana Okafor forgot to page finance when the alert fired.', ['person-failed']],
  ['The on-call engineer missed the alert.', ['person-failed']],
  ['Omar did not review the ETL change.', ['person-failed']],
  ['m.alvarez approved it carelessly.', ['blame-word']],
  ['He should have rolled back sooner.', ['person-failed']],
  ['This was human error.', ['human-error']],
  ['The reviewer was negligent.', ['blame-word']],
  ['It was the fault of the data team.', ['fault-of']],
  ['The outage was caused by Omar.', ['named-cause']],
  ['Finance should have known that amounts were in cents.', ['should-have-known']],
  ['Sloppy testing let the bug through.', ['blame-word']],
  // neutral, system-focused
  ['The reconciliation job failed to run on Sunday.', []],
  ['The model failed to convert cents to dollars.', []],
  ['Kubernetes failed to schedule the pod.', []],
  ['The check that would have caught the unit change was missing.', []],
  ['The process did not require a second review for refunds above $50.', []],
  ['We rolled back to 2026.10.1 at 13:30 UTC.', []],
  ['The canary covered 10% of runs, which was too small to see a 4.5% error rate.', []],
  ['The refund agent wrote 3800 instead of 38.00 for order ord_86531610.', []],
  ['Approvals were routed to m.alvarez, who approved 4 refunds.', []],
];

describe('blameless-language check', () => {
  it('flags blaming sentences and leaves system-focused ones alone', () => {
    for (const [sentence, rules] of CASES) {
      const got = [...new Set(checkBlameless(sentence, { names: NAMES }).map((f) => f.rule))].sort();
      expect(got, sentence).toEqual([...rules].sort());
    }
  });

  it('works on a whole Markdown document with offsets into it, skipping code and embeds', () => {
    const doc = [
      '# Postmortem',
      '',
      '## Timeline',
      '| Time | Event |',
      '|---|---|',
      '| 10:50 | Dana failed to notice the first wrong write [[run:run_01]]. |',
      '',
      '- The ETL stopped dividing amount_cents by 100.',
      '- This was human error.',
      '',
      '```',
      'Dana failed to escape this code block.',
      '```',
      'The guard blocked it. `Omar forgot` is inline code.',
    ].join('\n');
    const flags = checkBlameless(doc, { names: NAMES });
    expect(flags.map((f) => f.rule)).toEqual(['person-failed', 'human-error']);
    for (const f of flags) {
      expect(doc.slice(f.start, f.end)).toBe(f.sentence);
      expect(doc.slice(f.matchStart, f.matchEnd)).toBe(f.match);
    }
    expect(flags[0]!.sentence).toContain('Dana failed to notice');
  });

  it('suggests a system-focused rewording', () => {
    const [f] = checkBlameless('After the deploy, Dana failed to check the canary dashboard.');
    expect(f!.rule).toBe('person-failed');
    expect(f!.suggestion).toMatch(/^After the deploy, the process did not check the canary dashboard\./);
    const [g] = checkBlameless('This was human error.');
    expect(g!.suggestion).toMatch(/the check that would have caught … was missing/);
  });

  it('splits sentences without breaking at dots inside tokens', () => {
    const s = splitSentences('Model 2026.10.2 wrote 3800, e.g. for m.alvarez. Then it stopped! Done');
    expect(s.map((x) => x.text)).toEqual(['Model 2026.10.2 wrote 3800, e.g. for m.alvarez.', 'Then it stopped!', 'Done']);
  });
});

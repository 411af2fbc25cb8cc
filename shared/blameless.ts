/**
 * Blameless-language check for postmortems: flags sentences that put a person at the centre of a failure
 * ("Dana failed to…", "the on-call engineer forgot…", "careless", "human error", "should have known",
 * "the fault of…") and suggests a system-focused rewording ("the process did not…", "the check that
 * would have caught … was missing"). It advises; it never blocks or rewrites by itself.
 *
 * Works on Markdown: fenced code blocks, inline code and evidence embeds are ignored; each line (and each
 * table cell) is split into sentences; offsets refer to the original text so editors can mark them.
 * Pure: no Node or DOM.
 */

export type BlameRule = 'person-failed' | 'blame-word' | 'human-error' | 'should-have-known' | 'fault-of' | 'named-cause';

export interface BlameFlag {
  /** The sentence as written. */
  sentence: string;
  /** Offsets of the sentence in the checked text. */
  start: number;
  end: number;
  rule: BlameRule;
  /** The words that triggered the flag, and their offsets in the checked text. */
  match: string;
  matchStart: number;
  matchEnd: number;
  /** A system-focused rewording or advice. */
  suggestion: string;
}

export interface BlamelessOptions {
  /** People's names (team members, approvers, handles): flagged when they are the subject of a failure. */
  names?: readonly string[];
}

export interface Sentence {
  text: string;
  start: number;
  end: number;
  /** the text with code and embeds blanked out (same length): what the rules read */
  masked: string;
}

// ---------------------------------------------------------------- sentences

/** Blanks out what must not be checked (fenced code, inline code, embeds, link targets) keeping offsets. */
function maskMarkdown(text: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let out = text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?(?:^\1[^\n]*$|$(?![\s\S]))/gm, blank);
  out = out.replace(/`[^`\n]*`/g, blank);
  out = out.replace(/\[\[(?:run|step):[^\]\n]*\]\]/g, blank);
  out = out.replace(/\]\([^)\n]*\)/g, (m) => `]${blank(m.slice(1))}`);
  return out;
}

/** Splits Markdown into sentences (per line, per table cell, then at . ! ? followed by a space). */
export function splitSentences(text: string): Sentence[] {
  const masked = maskMarkdown(text);
  const out: Sentence[] = [];
  let lineStart = 0;
  for (const line of masked.split('\n')) {
    const segments: Array<[number, number]> = [];
    if (/^\s*\|/.test(line)) {
      let at = 0;
      for (const cell of line.split('|')) {
        segments.push([at, at + cell.length]);
        at += cell.length + 1;
      }
    } else {
      const prefix = /^\s*(?:#{1,6}\s+|>\s*|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)?/.exec(line)![0].length;
      segments.push([prefix, line.length]);
    }
    for (const [a, b] of segments) {
      const seg = line.slice(a, b);
      // a sentence ends at . ! ? followed by a space or the end; a dot inside a token (3.5, m.alvarez,
      // 2026.10.2) does not end one, nor does a common abbreviation (e.g., i.e., etc.)
      let from = 0;
      const ends = [...seg.matchAll(/[.!?]+(?=\s|$)/g)].map((m) => m.index! + m[0].length);
      if (ends.length === 0 || ends[ends.length - 1]! < seg.length) ends.push(seg.length);
      for (const end of ends) {
        if (end <= from) continue;
        const piece = seg.slice(from, end);
        if (/(?:^|[\s(])(?:e\.g|i\.e|etc|vs|approx|incl|no|Mr|Ms|Mrs|Dr|St)\.$/i.test(piece) && end < seg.length) continue;
        out.push(toSentence(text, masked, lineStart, a + from, a + end));
        from = end;
      }
    }
    lineStart += line.length + 1;
  }
  return out.filter((s) => /[A-Za-z]/.test(s.masked));
}

function toSentence(text: string, masked: string, lineStart: number, s: number, e: number): Sentence {
  let a = lineStart + s;
  let b = lineStart + e;
  while (a < b && /\s/.test(text[a]!)) a++;
  while (b > a && /\s/.test(text[b - 1]!)) b--;
  return { text: text.slice(a, b), start: a, end: b, masked: masked.slice(a, b) };
}

// ---------------------------------------------------------------- vocabulary

const NOT_NAMES = new Set(
  `the a an this that these those it its we our us they them their there then when while after before because if also however finally
  so but and or as at in on by for from with without during once since until although though thus therefore meanwhile overall
  model models system systems service services pipeline pipelines policy policies agent agents canary monitor monitoring alert alerts
  job jobs etl api deploy deploys deployment deployments release releases rollout rollouts test tests ci check checks guard guardrail
  guardrails filter filters tool tools team teams nobody someone somebody everyone everybody anyone anybody nothing something everything
  validation reconciliation training evaluation eval review reviews approval approvals logging tracing rollback canaries batch cron queue
  worker workers cache database server servers backup backups migration migrations data dataset datasets build builds traffic config
  configuration change changes update updates code script scripts process processes workflow workflows support finance engineering
  product retrieval index search runbook dashboard dashboards version versions automation alerting paging schedule
  monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october
  november december kubernetes kafka postgres postgresql redis docker terraform jenkins github gitlab slack pagerduty grafana prometheus
  datadog sentry opa airflow spark snowflake bigquery linux chrome chromium electron openai anthropic casefile`.split(/\s+/),
);

const ROLE_NOUNS = String.raw`(?:on-?call(?:\s+(?:engineer|sre|person|developer))?|sre|engineer|developer|dev|operator|reviewer|approver|analyst|admin|administrator|intern|contractor|specialist|payments\s+specialist|support\s+agent|team\s+member|human|person|employee|manager|lead|qa|tester|data\s+scientist|ml\s+engineer|author|committer)`;
const ADVERB = String.raw`(?:also|again|clearly|simply|just|then|obviously|apparently|completely|never|repeatedly|once\s+again)`;

interface VerbForm {
  re: string;
  rewrite: (rest: string) => string;
}

/** Blame verbs after a person subject, with the system-focused rewrite of "<subject> <verb> <rest>". */
const VERBS: VerbForm[] = [
  { re: String.raw`failed\s+to`, rewrite: (r) => `the process did not ${r}` },
  { re: String.raw`(?:forgot|neglected|omitted)\s+to`, rewrite: (r) => `the process did not ${r}` },
  { re: String.raw`(?:forgot|overlooked|ignored|missed|neglected|skipped)`, rewrite: (r) => `${r || 'this'} was not caught — the check that would have caught it was missing` },
  { re: String.raw`(?:didn'?t|did\s+not|never)\s+(?=(?:bother|check|notice|follow|test|review|verify|read|escalate|catch|see|look|validate|confirm|run|update|monitor|roll\s+back)\b)`, rewrite: (r) => `the process did not ${r}` },
  { re: String.raw`should\s+have(?!\s+known)`, rewrite: (r) => `the process did not ${r}` },
  { re: String.raw`(?:messed|screwed)\s+up`, rewrite: (r) => `the process did not prevent ${r || 'the error'}` },
  { re: String.raw`dropped\s+the\s+ball(?:\s+on)?`, rewrite: (r) => `the process did not cover ${r || 'this step'}` },
  { re: String.raw`(?:broke|caused)`, rewrite: (r) => `the change broke ${r || 'it'}` },
];

const BLAME_WORDS = /(?<![\p{L}])(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|sloppy|sloppiness|incompeten(?:t|ce)|lazy|laziness|reckless(?:ly|ness)?|stupid(?:ity)?|idiot(?:ic)?|dumb|inattentive|irresponsible|clumsy|rookie\s+mistake|asleep\s+at\s+the\s+wheel|(?:not|wasn'?t|weren'?t)\s+paying\s+attention)(?![\p{L}])/giu;
const HUMAN_ERROR = /\b(?:human|operator|manual|personnel|staff)\s+(?:error|mistake|failure)s?\b/gi;
const SHOULD_HAVE_KNOWN = /\bshould\s+have\s+(?:known|realized|realised|noticed|seen\s+it\s+coming)\b/gi;
const FAULT = /\b(?:(?:the\s+)?fault\s+of|(?:his|her|their|\w+'s)\s+fault|to\s+blame|blame[ds]?\s+(?:on|for)|(?:is|was|are|were)\s+blamed|responsible\s+for\s+(?:the\s+)?(?:outage|incident|failure|mistake|error))\b/gi;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Lowercases the first letter unless it starts an acronym. */
function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}
function upperFirst(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

// ---------------------------------------------------------------- the check

/** Checks Markdown or plain text for blaming language. */
export function checkBlameless(text: string, opts: BlamelessOptions = {}): BlameFlag[] {
  const names = [...new Set((opts.names ?? []).map((n) => n.trim()).filter((n) => n.length >= 2))].sort((a, b) => b.length - a.length);
  const nameAlt = names.length ? names.map((n) => escapeRe(n).replace(/\s+/g, '\\s+')).join('|') : null;
  const nameSet = new Set(names.map((n) => n.toLowerCase()));
  const isPersonWord = (w: string): boolean => {
    const lw = w.toLowerCase();
    if (nameSet.has(lw)) return true;
    const first = lw.split(/\s+/)[0]!;
    if (NOT_NAMES.has(first)) return false;
    return true;
  };

  // subject alternatives: a listed name, a handle (m.alvarez, @dana), a capitalized first name (optionally a surname or initial), a role, a pronoun
  const subject = [
    nameAlt ? `(?<listed>${nameAlt})` : null,
    String.raw`(?<handle>@[A-Za-z][\w.-]*|[a-z]\.[a-z]{2,}(?:[._-][a-z]+)?)`,
    String.raw`(?<cap>[A-Z][a-z]+(?:\s+(?:[A-Z]\.|[A-Z][a-z]+))?)`,
    String.raw`(?<role>(?:[Tt]he|[Oo]ur|[Aa]n?|[Oo]ne|[Tt]heir)\s+(?:[a-z-]+\s+)?${ROLE_NOUNS})`,
    String.raw`(?<pronoun>[Hh]e|[Ss]he)`,
  ]
    .filter(Boolean)
    .join('|');

  const flags: BlameFlag[] = [];
  const seen = new Set<string>();
  const push = (s: Sentence, rule: BlameRule, mStart: number, mEnd: number, suggestion: string) => {
    const key = `${s.start}:${rule}`;
    if (seen.has(key)) return;
    seen.add(key);
    flags.push({ sentence: s.text, start: s.start, end: s.end, rule, match: s.text.slice(mStart, mEnd), matchStart: s.start + mStart, matchEnd: s.start + mEnd, suggestion });
  };

  for (const s of splitSentences(text)) {
    const t = s.masked;

    // 1. a person as the subject of a failure verb
    for (const v of VERBS) {
      const re = new RegExp(String.raw`(?<![\p{L}\p{N}_.@])(?:${subject})(?:'s)?\s+(?:${ADVERB}\s+)?(?<verb>${v.re})\s*(?<rest>[^,;:]*)`, 'gu');
      let m: RegExpExecArray | null;
      while ((m = re.exec(t)) !== null) {
        const g = m.groups ?? {};
        const who = g.listed ?? g.handle ?? g.cap ?? g.role ?? g.pronoun ?? '';
        const isPerson = g.listed !== undefined || g.handle !== undefined || g.role !== undefined || g.pronoun !== undefined || (g.cap !== undefined && isPersonWord(g.cap));
        if (!isPerson) {
          re.lastIndex = m.index + Math.max(1, who.length);
          continue;
        }
        const rest = (g.rest ?? '').replace(/[.!?]+$/, '').trim();
        const rewritten = v.rewrite(lowerFirst(rest));
        const before = t.slice(0, m.index);
        const suggestion = `${before ? `${before}${rewritten}` : upperFirst(rewritten)}. Describe what the system allowed rather than who slipped — or name the safeguard: "the check that would have caught this was missing".`;
        push(s, 'person-failed', m.index, m.index + m[0].length - (g.rest ?? '').length, suggestion);
        break;
      }
    }

    // 2. a person named as the cause
    const causeRe = new RegExp(String.raw`\b(?:caused\s+by|because\s+of|due\s+to|thanks\s+to|blame\s+(?:on)?)\s+(?:${subject})(?![\p{L}])`, 'gu');
    let cm: RegExpExecArray | null;
    while ((cm = causeRe.exec(t)) !== null) {
      const g = cm.groups ?? {};
      const who = g.listed ?? g.handle ?? g.cap ?? g.role ?? g.pronoun ?? '';
      const isPerson = g.listed !== undefined || g.handle !== undefined || g.role !== undefined || g.pronoun !== undefined || (g.cap !== undefined && isPersonWord(g.cap));
      if (isPerson) {
        push(s, 'named-cause', cm.index, cm.index + cm[0].length, `Name the action or condition, not the person: replace "${who}" with what happened (e.g. "the manual change to …", "the unreviewed config push") and the safeguard that was missing.`);
        break;
      }
    }

    // 3. judgement words
    for (const m of t.matchAll(BLAME_WORDS)) {
      push(s, 'blame-word', m.index!, m.index! + m[0].length, `"${m[0]}" judges a person. Describe the conditions instead: what made the mistake easy to make and hard to notice (missing check, unclear UI, time pressure, no alert)?`);
      break;
    }
    for (const m of t.matchAll(HUMAN_ERROR)) {
      push(s, 'human-error', m.index!, m.index! + m[0].length, `"${m[0]}" stops the analysis at a person. Name the missing safeguard instead: "the check that would have caught … was missing", "the process allowed … without review".`);
      break;
    }
    for (const m of t.matchAll(SHOULD_HAVE_KNOWN)) {
      push(s, 'should-have-known', m.index!, m.index! + m[0].length, `Hindsight: say what information was available at the time and why it was not surfaced ("the dashboard did not show …", "no alert fired for …").`);
      break;
    }
    for (const m of t.matchAll(FAULT)) {
      push(s, 'fault-of', m.index!, m.index! + m[0].length, `Assigning fault ends the inquiry. List the contributing factors per layer (model, data, retrieval, policy, tool, product) instead.`);
      break;
    }
  }
  flags.sort((a, b) => a.start - b.start || a.rule.localeCompare(b.rule));
  return flags;
}

import { describe, expect, it } from 'vitest';
import { findSensitive, ibanValid, luhnValid, redactText, redactValue, RedactionReportBuilder, Redactor, type RedactionKind } from '../../shared/redact';

/** A seeded secret: the text to plant and the kind it must be reported as. */
interface Seed {
  kind: RedactionKind;
  value: string;
}

// Every item here must be redacted and counted. Built from parts so the test file itself holds no live-looking
// credentials; all values are documentation/test values (example.com, 555 numbers, test cards, the ISO IBAN example).
const SEEDS: Seed[] = [
  { kind: 'EMAIL', value: 'jane.doe@example.com' },
  { kind: 'EMAIL', value: 'OPS+alerts@billing.internal.acme.example' },
  { kind: 'PHONE', value: '+1 415 555 0142' },
  { kind: 'PHONE', value: '+44 20 7946 0958' },
  { kind: 'PHONE', value: '+49 151 23456789' },
  { kind: 'PHONE', value: '(415) 555-0134' },
  { kind: 'PHONE', value: '415-555-0199' },
  { kind: 'PHONE', value: '415.555.0123' },
  { kind: 'PHONE', value: '1-800-555-0175' },
  { kind: 'CARD', value: '4111 1111 1111 1111' },
  { kind: 'CARD', value: '5500-0000-0000-0004' },
  { kind: 'CARD', value: '378282246310005' },
  { kind: 'CARD', value: '6011111111111117' },
  { kind: 'IBAN', value: 'GB82 WEST 1234 5698 7654 32' },
  { kind: 'IBAN', value: 'DE89370400440532013000' },
  { kind: 'NATIONAL_ID', value: '123-45-6789' },
  { kind: 'NATIONAL_ID', value: 'AB 12 34 56 C' },
  { kind: 'NATIONAL_ID', value: '130-692-544' },
  { kind: 'API_KEY', value: `sk-proj-${'Ab3dEf9hIj'.repeat(3)}` },
  { kind: 'API_KEY', value: `AKIA${'IOSFODNN7EXAMPLE'}` },
  { kind: 'API_KEY', value: `ghp_${'x7Kq2mN9pL4vR8tY1wZ3'.repeat(2)}` },
  { kind: 'API_KEY', value: `xoxb-${'123456789012-abcdefGHIJKL'}` },
  { kind: 'API_KEY', value: `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}` },
  { kind: 'TOKEN', value: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.${'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'}` },
  { kind: 'IP', value: '10.42.3.17' },
  { kind: 'IP', value: '192.168.0.254' },
  { kind: 'IP', value: '2001:db8::8a2e:370:7334' },
  { kind: 'IP', value: 'fe80::1ff:fe23:4567:890a' },
  { kind: 'NAME', value: 'Maria Garcia' },
  { kind: 'NAME', value: 'omar haddad' },
];

/** Secrets that are redacted inside their context (the key name / scheme word stays). */
const CONTEXT_SEEDS: Array<{ kind: RedactionKind; text: string; secret: string }> = [
  { kind: 'TOKEN', text: 'Authorization: Bearer ', secret: 'dG9rZW4tdmFsdWUtZm9yLXRlc3RzLW9ubHk9PQ' },
  { kind: 'SECRET', text: 'token=', secret: '4bf92f3577b34da6a3ce929d0e0e4736ab9Z' },
  { kind: 'SECRET', text: 'client_secret: ', secret: 'Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVc' },
  { kind: 'SECRET', text: 'password=', secret: 'hunter2!' },
];

// Ordinary text that must come out untouched: amounts, dates, times, ids, versions, a 16-digit number that
// fails Luhn, an IBAN-looking string with a bad checksum, an SSN-shaped string with an invalid area.
const ORDINARY = [
  'Refund of $45.99 (4599 cents) for order ord_86531610 on 2026-10-13 at 10:50:43Z.',
  'Model 2026.10.2 replaced 2026.10.1; app version 3.14.2; policy refunds/guard@1.8.0.',
  'Ticket TCK-2026-000417 and invoice INV-55501234 were closed; 1,234,567 events processed.',
  'Card-like number 4111 1111 1111 1112 fails the Luhn check and stays.',
  'Reference 1234567890123456 is an order id, not a card.',
  'GB82 WEST 1234 5698 7654 33 has a bad checksum.',
  'Case 000-12-3456 is not a valid SSN, nor is 666-12-3456.',
  'Latency p95 was 97.5 ms at 12:30:05; ratio 3:2; epoch 1697040000000 ms.',
  'trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7',
  'Run run_01M4TE5K4N223YRX3SADXRM5WR, event evt_01M4TE5NQWVE96WFRHDGVSKX2J, sha256 cfc458ef041cfc610024eea7ffd6b1749602cd4c02aa3b40ca80dbaaecd32a41.',
  'std::vector and a::b are C++ scopes; 10:30 is a time.',
  'Call the team on extension 4021; room 415; budget 1 in 10000.',
];

const NAMES = ['Maria Garcia', 'Omar Haddad'];

describe('redaction: seeded corpus', () => {
  it('checksums: Luhn and IBAN mod-97', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
  });

  it('redacts every seeded item, once, with its kind, and counts it in the report', () => {
    // build a corpus: each seed in a sentence of its own, mixed with ordinary text
    const lines: string[] = [];
    SEEDS.forEach((s, i) => lines.push(`Line ${i}: please contact ${s.value} today. ${ORDINARY[i % ORDINARY.length]}`));
    CONTEXT_SEEDS.forEach((s) => lines.push(`${s.text}${s.secret}`));
    const corpus = lines.join('\n');
    const r = redactText(corpus, { names: NAMES });

    for (const s of SEEDS) expect(r.text, `${s.kind} ${s.value}`).not.toContain(s.value);
    for (const s of CONTEXT_SEEDS) {
      expect(r.text).not.toContain(s.secret);
      expect(r.text).toContain(`${s.text}[REDACTED:${s.kind}]`);
    }
    // each seeded value is one hit of the right kind at the right place
    for (const s of SEEDS) {
      const at = corpus.indexOf(s.value);
      const hit = r.hits.find((h) => h.start === at);
      expect(hit, `hit for ${s.value}`).toBeDefined();
      expect(hit!.kind, s.value).toBe(s.kind);
      expect(hit!.end - hit!.start, s.value).toBe(s.value.length);
    }
    // expected counts are computed from the seeds, independently of the code under test
    const expected: Partial<Record<RedactionKind, number>> = {};
    for (const s of [...SEEDS, ...CONTEXT_SEEDS]) expected[s.kind] = (expected[s.kind] ?? 0) + 1;
    // the ordinary lines mixed in contribute nothing
    const report = new RedactionReportBuilder(true, NAMES.length);
    report.add('corpus.txt', 0, r.hits);
    expect(report.build().counts).toEqual(expected);
    expect(report.build().total).toBe(SEEDS.length + CONTEXT_SEEDS.length);
    // the report never holds the values
    const json = JSON.stringify(report.build());
    for (const s of SEEDS) expect(json).not.toContain(s.value);
  });

  it('leaves ordinary text alone: amounts, dates, order ids, versions, a non-Luhn 16-digit number', () => {
    for (const line of ORDINARY) {
      const r = redactText(line, { names: NAMES });
      expect(r.hits, line).toEqual([]);
      expect(r.text).toBe(line);
    }
  });

  it('names: case-insensitive whole words only', () => {
    const r = redactText('MARIA GARCIA wrote to maria garcia; Mariano Garcias is someone else; Omar Haddad-Smith too.', { names: NAMES });
    expect(r.text).toBe('[REDACTED:NAME] wrote to [REDACTED:NAME]; Mariano Garcias is someone else; [REDACTED:NAME]-Smith too.');
  });

  it('deep JSON values: strings redacted with JSONPaths, numbers and keys kept, secret-named keys replaced', () => {
    const v = {
      customer: { email: 'jane.doe@example.com', phone: '+1 415 555 0142', id: 'cus_3pq3ah89vhasnx' },
      amount: 4599,
      notes: ['card 4111 1111 1111 1111 on file', 'nothing here'],
      auth: { api_key: 'Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0', password: 'hunter22' },
      'odd key': 'from 10.0.0.7',
    };
    const r = redactValue(v, {});
    expect(r.value.customer.email).toBe('[REDACTED:EMAIL]');
    expect(r.value.customer.id).toBe('cus_3pq3ah89vhasnx');
    expect(r.value.amount).toBe(4599);
    expect(r.value.notes).toEqual(['card [REDACTED:CARD] on file', 'nothing here']);
    expect(r.value.auth).toEqual({ api_key: '[REDACTED:SECRET]', password: '[REDACTED:SECRET]' });
    expect(r.value['odd key']).toBe('from [REDACTED:IP]');
    expect(r.hits.map((h) => `${h.kind} ${h.path}`).sort()).toEqual(
      ['EMAIL $.customer.email', 'PHONE $.customer.phone', 'CARD $.notes[0]', 'SECRET $.auth.api_key', 'SECRET $.auth.password', 'IP $["odd key"]'].sort(),
    );
    expect(v.customer.email).toBe('jane.doe@example.com'); // input untouched
  });

  it('an export-level report aggregates file, example index and JSON path', () => {
    const red = new Redactor(true, { names: ['Maria Garcia'] });
    red.value({ messages: [{ role: 'user', content: 'I am Maria Garcia, jane.doe@example.com' }] }, 'sft.jsonl', 0);
    red.value({ messages: [{ role: 'user', content: 'mail jane.doe@example.com and ops@example.com' }] }, 'sft.jsonl', 1);
    red.text('Postmortem mentions 10.42.3.17', 'report.md', null, 'postmortem');
    const rep = red.report.build();
    expect(rep.counts).toEqual({ EMAIL: 3, IP: 1, NAME: 1 });
    expect(rep.namesConfigured).toBe(1);
    expect(rep.locations).toContainEqual({ file: 'sft.jsonl', example: 1, path: '$.messages[0].content', kind: 'EMAIL', count: 2 });
    expect(rep.locations).toContainEqual({ file: 'report.md', example: null, path: 'postmortem', kind: 'IP', count: 1 });
    // disabled: passes through and reports nothing
    const off = new Redactor(false);
    expect(off.text('jane.doe@example.com', 'x')).toBe('jane.doe@example.com');
    expect(off.report.build()).toMatchObject({ redacted: false, total: 0 });
  });

  it('is idempotent: redacting redacted text changes nothing', () => {
    const once = redactText('jane.doe@example.com, +44 20 7946 0958, 4111 1111 1111 1111').text;
    expect(findSensitive(once)).toEqual([]);
  });
});

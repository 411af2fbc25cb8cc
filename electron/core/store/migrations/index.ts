import * as m001 from './001-initial';
import * as m002 from './002-runs';
import * as m003 from './003-labels';
import * as m004 from './004-lean-records';
import * as m005 from './005-large-runs';
import * as m006 from './006-audit-parts';

/** Numbered, append-only. Never edit a shipped migration: add the next number. */
export const MIGRATIONS: Array<{ version: number; name: string; up: string }> = [
  { version: 1, name: '001-initial', up: m001.up },
  { version: 2, name: '002-runs', up: m002.up },
  { version: 3, name: '003-labels', up: m003.up },
  { version: 4, name: '004-lean-records', up: m004.up },
  { version: 5, name: '005-large-runs', up: m005.up },
  { version: 6, name: '006-audit-parts', up: m006.up },
];

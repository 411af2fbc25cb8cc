import * as m001 from './001-initial';

/** Numbered, append-only. Never edit a shipped migration: add the next number. */
export const MIGRATIONS: Array<{ version: number; name: string; up: string }> = [
  { version: 1, name: '001-initial', up: m001.up },
];
export { SECONDARY_INDEXES } from './001-initial';

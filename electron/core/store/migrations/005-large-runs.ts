/**
 * 005 — large runs in the form the API returns them, built at each derivation.
 *
 * A run with more than 2,000 steps or spans (shared/run-columns.ts LARGE_RUN_ITEMS) comes from getRun in its
 * column form (RunColumns). Reconstructing a 100,000-span trace takes seconds; the derivation does it once
 * and keeps the JSON here, without the parts investigators change between derivations (labels, membership
 * of the affected set), which getRun adds when it reads the row. Rebuilt by every derivation.
 */
export const up = `
CREATE TABLE large_runs (
  run_id TEXT PRIMARY KEY,
  json TEXT NOT NULL
);
`;

// Baseline (b): DuckDB's read_json_auto load of the same JSON Lines — the tool a user would otherwise reach for.
import { DuckDBInstance } from '@duckdb/node-api';
import { rmSync } from 'node:fs';

const [dbPath, ...files] = process.argv.slice(2);
for (const s of ['', '.wal']) rmSync(dbPath + s, { force: true });
const inst = await DuckDBInstance.create(dbPath);
const con = await inst.connect();
let records = 0;
let i = 0;
for (const f of files) {
  const t = `t${i++}`;
  await con.run(`CREATE TABLE ${t} AS SELECT * FROM read_json_auto('${f.replace(/'/g, "''")}', format='newline_delimited', ignore_errors=true)`);
  const r = await con.runAndReadAll(`SELECT count(*) AS n FROM ${t}`);
  records += Number(r.getRows()[0][0]);
}
con.closeSync?.();
console.log(JSON.stringify({ records, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));

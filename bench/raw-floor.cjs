// Baseline (a): the raw-SQLite floor — every record's raw line inserted into a one-table database in one
// transaction with a prepared statement. JSON documents (non-line files) count as one record each.
const Database = require('better-sqlite3');
const { createReadStream, rmSync, readFileSync, statSync } = require('node:fs');
const readline = require('node:readline');

async function main() {
  const [dbPath, ...files] = process.argv.slice(2);
  for (const s of ['', '-wal', '-shm']) rmSync(dbPath + s, { force: true });
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE raw (id INTEGER PRIMARY KEY, line TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO raw(line) VALUES (?)');
  let records = 0;
  db.exec('BEGIN');
  for (const f of files) {
    if (/\.(jsonl|log)$/.test(f)) {
      const rl = readline.createInterface({ input: createReadStream(f, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
      for await (const line of rl) {
        if (!line) continue;
        ins.run(line);
        records++;
      }
    } else if (statSync(f).size < 512 * 1024 * 1024) {
      ins.run(readFileSync(f, 'utf8'));
      records++;
    }
  }
  db.exec('COMMIT');
  db.close();
  console.log(JSON.stringify({ records, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
}
main();

// Runs SQL statements with DuckDB (@duckdb/node-api from node_modules next to this file) and prints one
// JSON line per statement: {"ok":true,"rows":[...]} or {"ok":false,"error":"..."}.
// Usage: node duckdb_query.mjs FILE_WITH_STATEMENTS_AS_JSON_ARRAY
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const statements = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
for (const sql of statements) {
  try {
    const reader = await conn.runAndReadAll(sql);
    console.log(JSON.stringify({ ok: true, rows: reader.getRowObjectsJson() }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: String(e.message).split('\n')[0] }));
  }
}

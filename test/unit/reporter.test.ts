import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHuman, createReporter } from '../../pipeline/report/reporter.js';
import { registerSecret } from '../../pipeline/redact.js';

test('progress lines: import by bytes, migrate by rows, with rate and ETA', () => {
  assert.equal(
    formatHuman({ type: 'import-progress', stage: 'import', bytesRead: 50e6, bytesTotal: 200e6, rows: 1234, bytesPerSecond: 25e6, etaSeconds: 6 }),
    '[import] 50.0 MB of 200.0 MB (25.0%), 1,234 rows, 25.0 MB/s, ETA 6s',
  );
  const m = formatHuman({ type: 'migrate-progress', stage: 'migrate', index: 3, stepId: 's', done: 5000, total: 20000, rowsPerSecond: 10000, etaSeconds: 1.5, batch: 1, batchRows: 5000 });
  assert.match(m, /^\[migrate\] step 3 s: 5,000 of 20,000 rows \(25\.0%\), 10,000 rows\/s, ETA .+, batch 1 of 5000 rows$/);
});

test('every event is redacted before it is printed, human or NDJSON', () => {
  registerSecret('pa55-w0rd-xyz');
  for (const json of [false, true]) {
    let out = '';
    const stream = { isTTY: false, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    createReporter({ json, stream }).event({ type: 'note', message: 'connecting with pa55-w0rd-xyz and mysql://u:pw@h/db' });
    assert.equal(out.includes('pa55-w0rd-xyz'), false);
    assert.equal(out.includes(':pw@'), false);
  }
});

test('a replayed plan says so, and which drydock made it when another did', () => {
  const plan = { type: 'migrate-plan', stage: 'migrate', time: '', steps: 3, source: 'pack:patchwork', stored: true };
  assert.equal(formatHuman(plan), '[migrate] plan: 3 steps from pack:patchwork (stored by an earlier run: resuming)');
  assert.equal(formatHuman({ ...plan, madeBy: '0.0.9' }), '[migrate] plan: 3 steps from pack:patchwork (stored by an earlier run: resuming; made by drydock 0.0.9, replayed as stored)');
  assert.equal(formatHuman({ ...plan, stored: false }), '[migrate] plan: 3 steps from pack:patchwork');
});

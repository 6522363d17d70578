import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, progressSnapshot } from '../../pipeline/report/progress.js';

/** An injected clock: time only moves when the test says so. */
function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('rate and ETA from rows done and the injected clock', () => {
  const clock = fakeClock();
  const startedAt = clock.now();
  clock.advance(10_000);
  const s = progressSnapshot({ done: 2500, total: 10_000, startedAt, now: clock.now() });
  assert.equal(s.elapsedSeconds, 10);
  assert.equal(s.rate, 250);
  assert.equal(s.percent, 25);
  assert.equal(s.etaSeconds, 30);
});

test('before any time has passed: no rate, no ETA', () => {
  const s = progressSnapshot({ done: 0, total: 100, startedAt: 5, now: 5 });
  assert.equal(s.rate, 0);
  assert.equal(s.etaSeconds, undefined);
  assert.equal(s.percent, 0);
});

test('unknown total: no percent, no ETA, but a rate', () => {
  const s = progressSnapshot({ done: 50, startedAt: 0, now: 2000 });
  assert.equal(s.total, undefined);
  assert.equal(s.percent, undefined);
  assert.equal(s.etaSeconds, undefined);
  assert.equal(s.rate, 25);
});

test('an estimate that was too low is raised to what was done: never over 100%, ETA 0', () => {
  const s = progressSnapshot({ done: 120, total: 100, startedAt: 0, now: 1000 });
  assert.equal(s.total, 120);
  assert.equal(s.percent, 100);
  assert.equal(s.etaSeconds, 0);
});

test('a clock going backwards does not give negative times', () => {
  const s = progressSnapshot({ done: 10, total: 20, startedAt: 1000, now: 500 });
  assert.equal(s.elapsedSeconds, 0);
  assert.equal(s.etaSeconds, undefined);
});

test('durations for status lines', () => {
  assert.equal(formatDuration(undefined), '?');
  assert.equal(formatDuration(42.4), '42s');
  assert.equal(formatDuration(185), '3m05s');
  assert.equal(formatDuration(3720), '1h02m');
});

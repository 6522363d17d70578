/**
 * The benchmark's same-round ratios: drydock's time over a baseline's within each round, matched by
 * round number so that a round one of them failed drops out instead of pairing the wrong runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedRatios } from '../../scripts/bench/comparisons.js';

const run = (round: number, seconds: number) => ({ round, seconds, peakRssBytes: 1, serverPeakRssBytes: null });

test('pairedRatios: one ratio per round both ran, in round order', () => {
  assert.deepEqual(pairedRatios([run(1, 10), run(2, 20), run(3, 12)], [run(1, 20), run(2, 16), run(3, 12)]), [0.5, 1.25, 1]);
});

test('pairedRatios: a round missing on either side is left out, not paired with another', () => {
  assert.deepEqual(pairedRatios([run(1, 10), run(3, 9)], [run(1, 20), run(2, 5), run(3, 10)]), [0.5, 0.9]);
  assert.deepEqual(pairedRatios([], [run(1, 20)]), []);
});

// Unit tests of src/format.ts: numbers, raw values, durations, objective labels and attempt
// outcomes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attemptOutcome, finite, formatDuration, formatNumber, formatParam, objectiveLabel, rawValue, toNumber } from '../src/format';

test('toNumber reads the API non-finite strings and nothing else', () => {
  assert.equal(toNumber(1.5), 1.5);
  assert.ok(Number.isNaN(toNumber('NaN')));
  assert.equal(toNumber('Infinity'), Infinity);
  assert.equal(toNumber('-Infinity'), -Infinity);
  assert.equal(toNumber('1.5'), null);
  assert.equal(toNumber(null), null);
  assert.equal(finite('Infinity'), null);
  assert.equal(finite(-2), -2);
});

test('rawValue keeps full precision as JSON number text', () => {
  assert.equal(rawValue(0.1 + 0.2), '0.30000000000000004');
  assert.equal(rawValue(8), '8');
  assert.equal(rawValue(1e-7), '1e-7');
  assert.equal(rawValue('NaN'), 'NaN');
  assert.equal(rawValue(-Infinity), '-Infinity');
});

test('formatNumber writes 5 significant digits, exponents only when very large or small', () => {
  assert.equal(formatNumber(0.8866576248982465), '0.88666');
  assert.equal(formatNumber(42), '42');
  assert.equal(formatNumber(1234.5678), '1234.6');
  assert.equal(formatNumber(0.00012346), '1.2346e-4');
  assert.equal(formatNumber(1e-4), '1e-4');
  assert.equal(formatNumber(2.5e6 + 0.5), '2.5e+6');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber('Infinity'), '∞');
  assert.equal(formatNumber(null), '-');
});

test('formatParam writes choices as text and numbers as numbers', () => {
  assert.equal(formatParam('integer'), 'integer');
  assert.equal(formatParam(3), '3');
  assert.equal(formatParam(true), 'true');
  assert.equal(formatParam(undefined), '-');
});

test('formatDuration picks the unit by size', () => {
  assert.equal(formatDuration(850), '850 ms');
  assert.equal(formatDuration(2310), '2.31 s');
  assert.equal(formatDuration(21500), '21.5 s');
  assert.equal(formatDuration(192000), '3 min 12 s');
  assert.equal(formatDuration(7500000), '2 h 05 min');
  assert.equal(formatDuration(3 * 86400000 + 4 * 3600000), '3 d 04 h');
  assert.equal(formatDuration(null), '-');
});

test('objectiveLabel shows the direction', () => {
  assert.equal(objectiveLabel({ name: 'accuracy', direction: 'maximize' }), 'accuracy ↑');
  assert.equal(objectiveLabel({ name: 'avg_bitwidth', direction: 'minimize' }), 'avg_bitwidth ↓');
});

test('attemptOutcome adds the reason the server gave for the end of a lease', () => {
  assert.equal(attemptOutcome({ outcome: 'released', reason: 'SIGTERM (the job\'s time limit)' }),
    'released: SIGTERM (the job\'s time limit)');
  assert.equal(attemptOutcome({ outcome: 'expired' }), 'expired');
  assert.equal(attemptOutcome({ outcome: 'expired', reason: '' }), 'expired');
});

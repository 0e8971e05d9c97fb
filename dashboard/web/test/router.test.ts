// Unit tests of src/router.ts: fragments to routes and back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRoute, studyHref, trialHref } from '../src/router';

test('parseRoute reads every page of the dashboard', () => {
  assert.deepEqual(parseRoute(''), { kind: 'studies' });
  assert.deepEqual(parseRoute('#/'), { kind: 'studies' });
  assert.deepEqual(parseRoute('#/workers'), { kind: 'workers' });
  assert.deepEqual(parseRoute('#/studies/demo'), { kind: 'study', name: 'demo', tab: 'history' });
  assert.deepEqual(parseRoute('#/studies/demo/pareto'), { kind: 'study', name: 'demo', tab: 'pareto' });
  assert.deepEqual(parseRoute('#/studies/demo/trials'), { kind: 'study', name: 'demo', tab: 'trials' });
  assert.deepEqual(parseRoute('#/studies/demo/trials/12'), { kind: 'trial', name: 'demo', number: 12 });
});

test('parseRoute refuses unknown tabs and malformed names', () => {
  assert.equal(parseRoute('#/studies/demo/nosuchtab').kind, 'unknown');
  assert.equal(parseRoute('#/studies/demo/trials/x').kind, 'unknown');
  assert.equal(parseRoute('#/studies/%E0%A4%A').kind, 'unknown');
});

test('links percent-encode study names and parse back', () => {
  const name = 'bert/mp 8 bits?';
  assert.equal(studyHref(name, 'slice'), '#/studies/bert%2Fmp%208%20bits%3F/slice');
  assert.deepEqual(parseRoute(studyHref(name, 'slice')), { kind: 'study', name, tab: 'slice' });
  assert.deepEqual(parseRoute(trialHref(name, 3)), { kind: 'trial', name, number: 3 });
});

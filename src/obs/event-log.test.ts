import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instant } from '../core/types.js';
import { EVENT_LOG_ENTRIES_MAX, EventLog } from './event-log.js';

test('the event log keeps the newest entries up to its bound and feeds subscribers', () => {
  const log = new EventLog();
  const seen: number[] = [];
  const unsubscribe = log.subscribe((event) => seen.push(event.index));
  for (let i = 0; i < EVENT_LOG_ENTRIES_MAX + 10; i++) log.append({ kind: 'peer-up', at: instant(i), reason: `r${i}` }, 1_700_000_000_000 + i);
  unsubscribe();
  log.append({ kind: 'peer-dead', at: instant(0), reason: 'after unsubscribe' }, 0);
  assert.equal(seen.length, EVENT_LOG_ENTRIES_MAX + 10);
  const recent = log.recent(EVENT_LOG_ENTRIES_MAX + 100);
  assert.equal(recent.length, EVENT_LOG_ENTRIES_MAX);
  assert.equal(recent.at(-1)?.reason, 'after unsubscribe');
  assert.equal(recent[0]?.index, 11, 'the oldest fell off the front');
  assert.equal(log.recent(2).length, 2);
});

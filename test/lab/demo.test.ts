/**
 * Keeps the README's first command working: `npm run demo` builds three nodes, a web group behind a VIP and a
 * client, and the keys it offers do what they say. Run without a terminal, with a script of keys: the primary
 * crashes (k), comes back (r), web's new node is cut off from the other two (p: it loses quorum, they take web
 * over), the partition heals (r: web stays where it is) and web is moved (m); the client must have been answered
 * by more than one node, web must have moved each time, and nothing of the lab may be left.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labTest } from './lab.js';
import { BUILD_ROOT } from './cluster.js';
import { requireNginx } from './web.js';

labTest('npm run demo: a crash, a reboot, a move and a 2|1 partition of web, as the client sees them; everything removed afterwards', async (t) => {
  requireNginx();
  const result = spawnSync(process.execPath, [join(BUILD_ROOT, 'test/lab/demo.js'), '--seconds', '20', '--script', 'k@4,r@8,p@11,r@14,m@17'], { encoding: 'utf8', timeout: 60_000 });
  const output = result.stdout + result.stderr;
  assert.equal(result.status, 0, output);
  const prefix = /^lab (\S+):/m.exec(result.stdout)?.[1];
  assert.ok(prefix, `the demo names its lab\n${output}`);

  // Plain periodic lines (stdout is not a terminal), and the summary.
  assert.match(result.stdout, /client \[[0-9.x ]+\] answered by n1/, 'a plain status line a second');
  const answers = /^ {2}client: \d+ probes, answers (.*); failed/m.exec(result.stdout)?.[1] ?? '';
  const answering = [...answers.matchAll(/(n\d) (\d+)/g)].filter((match) => Number(match[2]) > 0).map((match) => match[1]);
  assert.ok(answering.length >= 2, `the client was answered by at least two nodes: ${answers}\n${output}`);

  // k: the primary (n1) crashes and another node takes web over; m: `tandem move` to the next node.
  assert.match(result.stdout, /k: n1 crashes/, output);
  assert.match(result.stdout, /r: n1 reboots/, output);
  const moved = /m: \S+\$ tandem move web (n\d) → web moves to \1/.exec(result.stdout);
  assert.ok(moved, `m moved web\n${output}`);
  const history = (/^ {2}web ran on: (.*)$/m.exec(result.stdout)?.[1] ?? '').split(' → ');
  assert.ok(history.length >= 3, `web ran on n1, then after the crash elsewhere, then where it was moved: ${history.join(' → ')}\n${output}`);
  assert.equal(history[0], 'n1');
  assert.equal(history[history.length - 1], moved[1], 'web ends where it was moved');
  const cut = /p: (n\d) is cut off from (n\d) and (n\d)/.exec(result.stdout);
  assert.ok(cut, `p cut a node off\n${output}`);
  assert.equal(history[1], cut[1], 'p cut off the node that took web over after the crash');
  assert.ok([cut[2], cut[3]].includes(history[2]), `after the partition web runs on one of the other two: ${history.join(' → ')}\n${output}`);
  assert.match(result.stdout, /r: the partition heals/, output);
  assert.equal(history.length, 4, `no flapping when the partition heals: ${history.join(' → ')}`);

  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!namespaces.includes(prefix ?? ''), `namespaces of ${prefix} were removed`);
  const dir = join(tmpdir(), (prefix ?? '').replace(/-$/, ''));
  assert.ok(!existsSync(dir), 'the lab directory was removed');
  assert.deepEqual(processesMentioning(dir), [], 'no process of the lab is left (tandemd, nginx, prober, ip monitor)');
}, { timeout: 90_000 });

/** Pids whose command line mentions `text`: for the lab dir, every node's init and launcher, tandemd and the nginx master. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * The lab harness itself, for real (root only): connectivity on every link, per-node host name, mounts and
 * PID namespaces, link down/up, partitions, loss, freezing, and that teardown leaves nothing behind — also
 * after an exception, an uncaught crash or SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Lab, type LabProcess, labTest } from './lab.js';
import { alive, blocked, procState, reaches, waitUntil } from './probes.js';

const LAB_MODULE = fileURLToPath(new URL('./lab.js', import.meta.url));

function namespacesWith(prefix: string): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  return out.split('\n').map((line) => line.trim().split(/\s+/)[0] ?? '').filter((name) => name.startsWith(prefix));
}

async function running(p: LabProcess): Promise<number> {
  await waitUntil('the program to start', () => p.programPid() !== undefined);
  const pid = p.programPid();
  assert.ok(pid !== undefined);
  return pid;
}

labTest('lab: three nodes and a client on two links — connectivity, namespaces, faults, freeze, teardown', async (t) => {
  const lab = await Lab.create({ nodes: ['n1', 'n2', 'n3'], links: 2, clients: ['client'] });
  try {
    assert.match(lab.prefix, /^tnd-[0-9a-f]{6}-$/);
    assert.ok(existsSync(lab.dir));
    assert.deepEqual(namespacesWith(lab.prefix).sort(), [`${lab.prefix}br`, `${lab.prefix}client`, `${lab.prefix}n1`, `${lab.prefix}n2`, `${lab.prefix}n3`]);
    assert.equal(lab.address('n1', 0), '192.0.2.10');
    assert.equal(lab.address('n3', 1), '198.51.100.12');
    assert.equal(lab.address('client', 0), '192.0.2.13');
    assert.equal(lab.ifname('n2', 1), 'eth1');
    assert.equal(lab.netns('n2'), `${lab.prefix}n2`);
    assert.throws(() => lab.address('nope', 0), /unknown node/);
    assert.throws(() => lab.address('n1', 2), /no link 2/);

    await t.test('ping between every pair of nodes on both links, and to the client', async () => {
      const checks: Promise<void>[] = [];
      for (const from of ['n1', 'n2', 'n3']) {
        for (const to of ['n1', 'n2', 'n3', 'client']) {
          if (from === to) continue;
          for (const link of [0, 1]) {
            checks.push(reaches(lab, from, lab.address(to, link)).then((ok) => assert.ok(ok, `${from} → ${to} on link ${link}`)));
          }
        }
      }
      await Promise.all(checks);
    });

    await t.test('each node has its interfaces, addresses and no default route', async () => {
      const addr = await lab.exec('n2', ['ip', '-br', 'address']);
      assert.match(addr.stdout, /^eth0\S*\s+UP\s+192\.0\.2\.11\/24/m);
      assert.match(addr.stdout, /^eth1\S*\s+UP\s+198\.51\.100\.11\/24/m);
      const routes = await lab.exec('n2', ['ip', 'route']);
      assert.doesNotMatch(routes.stdout, /default/);
    });

    await t.test('uname -n is the node name (exec and spawn); the host keeps its own', async () => {
      assert.equal((await lab.exec('n1', ['uname', '-n'])).stdout.trim(), 'n1');
      assert.equal((await lab.exec('client', ['hostname'])).stdout.trim(), 'client');
      const p = lab.spawn('n3', ['uname', '-n'], { name: 'uname' });
      assert.deepEqual(await p.exited, { code: 0, signal: null });
      assert.equal(p.output().trim(), 'n3');
      assert.ok(p.logFile.startsWith(lab.dir));
      assert.equal(hostname(), spawnSync('uname', ['-n'], { encoding: 'utf8' }).stdout.trim(), 'host name untouched');
      assert.notEqual(hostname(), 'n3');
    });

    await t.test('a spawned process has its own PID namespace: pid 1 is its init, it is pid 2', async () => {
      const p = lab.spawn('n2', ['sh', '-c', 'echo pid=$$; echo ppid=$PPID; tr "\\0" " " < /proc/1/cmdline; echo; ls /proc | grep -c "^[0-9]"']);
      assert.deepEqual(await p.exited, { code: 0, signal: null });
      const [pidLine, ppidLine, initLine, countLine] = p.output().trim().split('\n');
      assert.equal(pidLine, 'pid=2');
      assert.equal(ppidLine, 'ppid=1');
      assert.match(initLine ?? '', /init\.sh sh -c/);
      // Only the init, the shell, ls and grep are visible.
      assert.ok(Number(countLine) <= 5, `only the node's own processes are visible, saw ${countLine}`);
    });

    await t.test('/run is per node and never the host /run', async () => {
      assert.equal((await lab.exec('n1', ['sh', '-c', 'echo n1 > /run/lab-marker'])).code, 0);
      assert.equal((await lab.exec('n1', ['cat', '/run/lab-marker'])).stdout, 'n1\n');
      assert.notEqual((await lab.exec('n2', ['cat', '/run/lab-marker'])).code, 0);
      assert.ok(!existsSync('/run/lab-marker'));
      assert.equal(readFileSync(`${lab.nodeDir('n1')}/sysrun/lab-marker`, 'utf8'), 'n1\n');
    });

    await t.test('exec: exit codes, stdin, timeout', async () => {
      assert.equal((await lab.exec('n1', ['sh', '-c', 'exit 7'])).code, 7);
      assert.equal((await lab.exec('n1', ['cat'], { input: 'hello' })).stdout, 'hello');
      const started = Date.now();
      const slow = await lab.exec('n1', ['sleep', '30'], { timeoutMs: 300 });
      assert.equal(slow.code, 124);
      assert.equal(slow.timedOut, true);
      assert.ok(Date.now() - started < 5000);
    });

    await t.test('linkDown stops ping on that link only; linkUp restores it', async () => {
      await lab.linkDown('n1', 0);
      assert.ok(await blocked(lab, 'n2', lab.address('n1', 0)), 'link 0 to n1 is cut');
      assert.ok(await blocked(lab, 'n1', lab.address('n3', 0)), 'and from n1');
      assert.ok(await reaches(lab, 'n2', lab.address('n1', 1)), 'link 1 to n1 still works');
      assert.ok(await reaches(lab, 'n2', lab.address('n3', 0)), 'link 0 between the others still works');
      const seen = await lab.exec('n1', ['ip', '-br', 'link', 'show', 'eth0']);
      assert.match(seen.stdout, /LOWER_DOWN|NO-CARRIER|DOWN/, 'n1 sees its cable pulled');
      await lab.linkUp('n1', 0);
      assert.ok(await reaches(lab, 'n2', lab.address('n1', 0)), 'link 0 is back');
    });

    await t.test('partition([[n1],[n2,n3]]) cuts n1 from n2 and n3 on every link, keeps n2↔n3; heal restores', async () => {
      await lab.partition([['n1'], ['n2', 'n3']]);
      const results = await Promise.all([
        blocked(lab, 'n1', lab.address('n2', 0)),
        blocked(lab, 'n1', lab.address('n2', 1)),
        blocked(lab, 'n2', lab.address('n1', 0)),
        blocked(lab, 'n3', lab.address('n1', 1)),
        reaches(lab, 'n2', lab.address('n3', 0)),
        reaches(lab, 'n3', lab.address('n2', 1)),
        reaches(lab, 'n1', lab.address('client', 0)),
      ]);
      assert.deepEqual(results, [true, true, true, true, true, true, true]);
      await lab.heal();
      assert.ok(await reaches(lab, 'n1', lab.address('n2', 0)));
      assert.ok(await reaches(lab, 'n2', lab.address('n1', 1)));
    });

    await t.test('loss 100 % drops everything on that link; 0 and heal restore', async () => {
      await lab.loss('n2', 1, 100);
      assert.ok(await blocked(lab, 'n1', lab.address('n2', 1)));
      assert.ok(await blocked(lab, 'n2', lab.address('n3', 1)));
      assert.ok(await reaches(lab, 'n1', lab.address('n2', 0)), 'the other link is untouched');
      await lab.loss('n2', 1, 0);
      assert.ok(await reaches(lab, 'n1', lab.address('n2', 1)));
      await lab.loss('n3', 0, 100);
      assert.ok(await blocked(lab, 'n1', lab.address('n3', 0)));
      await lab.heal();
      assert.ok(await reaches(lab, 'n1', lab.address('n3', 0)));
      assert.equal((await lab.exec('n3', ['nft', 'list', 'ruleset'])).stdout.trim(), '', 'heal leaves no rules');
    });

    await t.test('SIGSTOP/SIGCONT freeze and resume; SIGTERM reaches the program', async () => {
      const p = lab.spawn('n1', ['sleep', '1000']);
      const pid = await running(p);
      const init = p.initPid();
      assert.ok(init !== undefined && init !== pid && init !== p.pid);
      p.kill('SIGSTOP');
      // The signal reaches each process of the namespace in turn: wait for all, not for the first.
      await waitUntil('the whole namespace is frozen', () => procState(pid) === 'T' && procState(init) === 'T');
      p.kill('SIGCONT');
      await waitUntil('the whole namespace runs again', () => procState(pid) !== 'T' && procState(init) !== 'T');
      p.kill('SIGTERM');
      assert.deepEqual(await p.exited, { code: 128 + 15, signal: null });
      assert.ok(!alive(pid));
      p.kill('SIGKILL'); // a no-op once exited
    });

    await t.test('SIGKILL kills everything in the PID namespace', async () => {
      const p = lab.spawn('n2', ['sh', '-c', 'sleep 1000 & sleep 1001 & wait']);
      const pid = await running(p);
      await waitUntil('both sleeps', () => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).length === 2);
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      p.kill('SIGKILL');
      assert.deepEqual(await p.exited, { code: null, signal: 'SIGKILL' });
      await waitUntil('all gone', () => [pid, p.initPid(), ...children].every((each) => !alive(each)));
    });

    await t.test('teardown removes every namespace with the prefix, the temp dir and every process', async () => {
      const p = lab.spawn('n3', ['sleep', '1000']);
      const pid = await running(p);
      await lab.teardown();
      assert.deepEqual(namespacesWith(lab.prefix), []);
      assert.ok(!existsSync(lab.dir));
      assert.ok(!alive(pid) && !alive(p.pid));
      await lab.teardown(); // idempotent
      await assert.rejects(lab.exec('n1', ['true']), /torn down/);
    });
  } finally {
    await lab.teardown();
  }
  assert.deepEqual(namespacesWith(lab.prefix), []);
}, { timeout: 60_000 });

labTest('lab: three links with IPv6, partition on IPv6 too', async () => {
  let prefix = '';
  {
    await using lab = await Lab.create({ nodes: ['a', 'b', 'c'], links: 3, ipv6: true });
    prefix = lab.prefix;
    assert.equal(lab.address('a', 2), '2001:db8:2::10');
    assert.equal(lab.address6('b', 0), '2001:db8::11');
    assert.equal(lab.address6('c', 1), '2001:db8:1::12');
    assert.ok(await reaches(lab, 'a', lab.address('b', 2)));
    assert.ok(await reaches(lab, 'a', lab.address6('c', 0)));
    assert.ok(await reaches(lab, 'c', lab.address('b', 1)));
    await lab.partition([['a', 'b'], ['c']]);
    assert.ok(await blocked(lab, 'a', lab.address('c', 2)));
    assert.ok(await blocked(lab, 'c', lab.address6('a', 1)));
    assert.ok(await reaches(lab, 'b', lab.address('a', 2)));
    await lab.heal();
    assert.ok(await reaches(lab, 'a', lab.address('c', 2)));
  }
  assert.deepEqual(namespacesWith(prefix), [], 'await using tore the lab down');
}, { timeout: 30_000 });

labTest('lab: teardown still runs after an exception (await using and try/finally)', async () => {
  let lab: Lab | undefined;
  let pid: number | undefined;
  await assert.rejects(async () => {
    await using created = await Lab.create({ nodes: ['x'], links: 1 });
    lab = created;
    pid = await running(created.spawn('x', ['sleep', '1000']));
    throw new Error('boom');
  }, /boom/);
  assert.ok(lab);
  assert.deepEqual(namespacesWith(lab.prefix), []);
  assert.ok(!existsSync(lab.dir));
  assert.ok(!alive(pid));

  await assert.rejects(async () => {
    const second = await Lab.create({ nodes: ['y'], links: 1 });
    lab = second;
    try {
      throw new Error('bang');
    } finally {
      await second.teardown();
    }
  }, /bang/);
  assert.deepEqual(namespacesWith(lab.prefix), []);
});

/** Runs a Node.js process that builds a lab, starts a sleep and then ends as `how` says; returns what it built. */
async function labInChild(how: 'crash' | 'SIGTERM' | 'SIGINT'): Promise<{ prefix: string; dir: string; pids: number[] }> {
  const script = `
    import { Lab } from ${JSON.stringify(LAB_MODULE)};
    const lab = await Lab.create({ nodes: ['p', 'q'], links: 2 });
    const p = lab.spawn('p', ['sleep', '1000']);
    while (p.programPid() === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    console.log(JSON.stringify({ prefix: lab.prefix, dir: lab.dir, pids: [p.pid, p.initPid(), p.programPid()] }));
    if (${JSON.stringify(how)} === 'crash') setTimeout(() => { throw new Error('crash'); }, 50);
    else setInterval(() => undefined, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve();
    });
    child.on('exit', () => reject(new Error(`child ended before building its lab: ${stderr}`)));
  });
  const built = JSON.parse(stdout.trim()) as { prefix: string; dir: string; pids: number[] };
  assert.equal(namespacesWith(built.prefix).length, 3);
  if (how !== 'crash') child.kill(how);
  const result = await exited;
  if (how === 'crash') assert.equal(result.code, 1, stderr);
  else assert.equal(result.signal, how, 'the signal still ends the process');
  return built;
}

labTest('lab: an uncaught crash, SIGTERM or SIGINT of the test process leaves nothing behind', async () => {
  for (const how of ['crash', 'SIGTERM', 'SIGINT'] as const) {
    const built = await labInChild(how);
    assert.deepEqual(namespacesWith(built.prefix), [], `${how}: namespaces removed`);
    assert.ok(!existsSync(built.dir), `${how}: dir removed`);
    await waitUntil(`${how}: processes gone`, () => built.pids.every((pid) => !alive(pid)), 3000);
  }
}, { timeout: 30_000 });

#!/usr/bin/env node
/** `hb_standby [all|foreign|local|failback]`: this node gives up groups to the other node (see standby.ts). */
import { compatSocket, finish, invokedAs, processIo } from './entry.js';
import { runHbScript } from './run.js';

finish('hb_standby', runHbScript('hb_standby', invokedAs('hb_standby'), process.argv.slice(2), compatSocket(), processIo));

#!/usr/bin/env node
/** `hb_takeover [all|foreign|local|failback]`: this node takes groups from the other node (see standby.ts). */
import { compatSocket, finish, invokedAs, processIo } from './entry.js';
import { runHbScript } from './run.js';

finish('hb_takeover', runHbScript('hb_takeover', invokedAs('hb_takeover'), process.argv.slice(2), compatSocket(), processIo));

#!/usr/bin/env node
/** `cl_status`: heartbeat's status query tool, answered by tandemd (see cl-status.ts). */
import { hostname } from 'node:os';
import { compatSocket, finish, processIo } from './entry.js';
import { runClStatus } from './run.js';

finish('cl_status', runClStatus(process.argv.slice(2), compatSocket(), processIo, () => ({ now: new Date(), host: hostname(), pid: process.pid })));

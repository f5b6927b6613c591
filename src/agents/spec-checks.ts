/**
 * Checks shared by the agent builders for names that become file names or argv words.
 *
 * Invariants:
 *   1. A name that passes `checkPathComponent` can be joined to a directory without leaving it (no `/`, no `.`
 *      or `..`) and cannot be read as an option (no leading `-`).
 *   2. Checks return issues; they never throw.
 */
import type { AgentIssue } from './codes.js';

const PATH_COMPONENT = /^[A-Za-z0-9_@+][A-Za-z0-9_.@+:-]*$/;

/** One issue when `value` cannot be used as a single file name (agent type, script, init script, provider). */
export function checkPathComponent(value: string, path: string, what: string): AgentIssue | undefined {
  if (PATH_COMPONENT.test(value) && value !== '.' && value !== '..') return undefined;
  return {
    code: 'TND_E_AGENT_SPEC',
    path,
    message: `Cannot use ${JSON.stringify(value)} as ${what} as it must be one file name: letters, digits and _ . @ + : -, not starting with . or -`,
  };
}

/** One issue when `value` is not an absolute path. */
export function checkAbsolutePath(value: string, path: string, what: string): AgentIssue | undefined {
  if (value.startsWith('/') && !value.includes('\0')) return undefined;
  return { code: 'TND_E_AGENT_SPEC', path, message: `Cannot use ${JSON.stringify(value)} as ${what} as it is not an absolute path` };
}

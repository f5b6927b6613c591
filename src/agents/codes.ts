/**
 * The catalog of agent issue and error codes: every `code` an agent spec issue, a meta-data problem or an agent
 * error class can carry, with its meaning.
 *
 * Invariants:
 *   1. Codes are stable: tools and tests match on them, so a code is never renamed or reused for another meaning.
 *   2. Every code used in `src/agents/` appears here, and every code here is used (checked by `codes.test.ts`).
 *   3. Issues are data: building an agent or checking its parameters returns them, it never throws them.
 */

export const AGENT_ISSUE_CODES = {
  TND_E_AGENT_SPEC:
    'An agent spec that cannot name a runnable agent: an OCF provider/type, LSB name, heartbeat script or systemd unit that is empty or holds a slash or another forbidden character, an empty exec command, an unknown stop signal, a relative state directory.',
  TND_E_AGENT_PARAM_NAME: 'An OCF parameter name that cannot become an environment variable `OCF_RESKEY_<name>` (letters, digits and `_`, not starting with a digit).',
  TND_E_AGENT_PARAM_MISSING: "A parameter that the agent's meta-data marks required=\"1\" is not given.",
  TND_E_AGENT_PARAM_UNKNOWN: "A parameter that the agent's meta-data does not declare, with a \"did you mean\" suggestion when one is close.",
  TND_E_AGENT_METADATA:
    "The agent's meta-data action failed, or printed XML that is not well formed or not the OCF subset tandem reads (<resource-agent>, <parameters>, <actions>).",
  TND_E_AGENT_HARESOURCE:
    'A heartbeat haresources resource that cannot be parsed: empty, an empty `::` argument, or an IP shorthand that is not IP[/prefix[/iface[/broadcast]]].',
  TND_E_AGENT_PROC_READ: 'Reading /proc failed for a reason other than "no such process" (thrown as ProcReadError).',
} as const;

export type AgentIssueCode = keyof typeof AGENT_ISSUE_CODES;

/** A problem with an agent spec or its parameters. Always an error: an agent with an issue is not built or run. */
export interface AgentIssue {
  readonly code: AgentIssueCode;
  /** Dotted path of the offending field inside the spec, e.g. `params.ip`, `command`, `unit`. */
  readonly path: string;
  readonly message: string;
  /** For unknown names: the close known name, when there is one. */
  readonly suggestion?: string;
}

/** `path: message [code]`, in the style of config issues. */
export function formatAgentIssue(issue: AgentIssue): string {
  return `${issue.path ? `${issue.path}: ` : ''}${issue.message} [${issue.code}]`;
}

/** Building an agent either succeeds or names every problem found. */
export type Built<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly AgentIssue[] };

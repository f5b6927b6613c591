/**
 * The catalog of config issue codes: every `code` a config or key-file issue can carry, with its meaning.
 *
 * Invariants:
 *   1. Codes are stable: tools and tests match on them, so a code is never renamed or reused for another meaning.
 *   2. `TND_E_*` codes are errors (nothing is applied while one remains); `TND_W_*` codes are warnings.
 *   3. Every code used in `src/config/` appears here (checked by `codes.test.ts`).
 */

export const CONFIG_ISSUE_CODES = {
  TND_E_CONFIG_READ: 'The config file could not be read (missing, a directory, no permission).',
  TND_E_CONFIG_SYNTAX: 'The file is not valid YAML (or holds more than one document); nothing else is checked until it is.',
  TND_W_CONFIG_YAML: 'A YAML warning, such as an unknown tag; the value was read as plain text.',
  TND_E_CONFIG_DUPLICATE_KEY: 'A key appears twice in the same mapping.',
  TND_E_CONFIG_UNKNOWN_KEY: 'A key tandem does not know, with a "did you mean" suggestion when one is close.',
  TND_E_CONFIG_FORBIDDEN_KEY: "A key that is not allowed with this link's transport (group/ttl outside udp-multicast, broadcast outside udp-broadcast).",
  TND_E_CONFIG_TYPE: 'A value of the wrong kind: a list where a mapping is expected, a number where text is expected, and so on.',
  TND_E_CONFIG_MISSING: 'A required field is missing or empty (cluster, key_file, links, nodes, a name, an address, a multicast group, a broadcast address).',
  TND_E_CONFIG_ENUM: 'A value outside its fixed set (transport, logging.format, logging.level).',
  TND_E_CONFIG_RANGE: 'A number outside its range (port 1..65535, ttl 1..255) or not an integer.',
  TND_E_CONFIG_NAME: 'An invalid cluster, link, node or interface name.',
  TND_E_CONFIG_PATH: 'An invalid path: empty, or not absolute where it must be (state_dir, runtime_dir).',
  TND_E_CONFIG_DURATION: 'A timing that is not a positive duration with a unit (150ms, 2s); bare numbers are refused.',
  TND_E_CONFIG_TIMING_ORDER: 'Timings out of order: keepalive < warntime < deadtime must hold.',
  TND_E_CONFIG_DEADTIME_TOO_SHORT: 'deadtime is less than twice keepalive: a single lost heartbeat would declare a node dead.',
  TND_W_CONFIG_DEADTIME_TIGHT: 'deadtime is less than three times keepalive: two lost heartbeats in a row declare a node dead.',
  TND_E_CONFIG_INITDEAD_TOO_SHORT: 'initdead is shorter than deadtime.',
  TND_W_CONFIG_INITDEAD_SHORT: "initdead is less than twice deadtime (heartbeat's own warning): a node whose network comes up slowly at boot may be declared dead.",
  TND_E_CONFIG_NO_LINKS: 'The links list is empty: at least one link is needed.',
  TND_E_CONFIG_TOO_FEW_NODES: 'Fewer than two nodes are declared.',
  TND_E_CONFIG_DUPLICATE_LINK: 'Two links have the same name.',
  TND_E_CONFIG_DUPLICATE_NODE: 'Two nodes have the same name (compared without regard to case, as host names are).',
  TND_E_CONFIG_UNKNOWN_LINK: 'A node gives an address on a link that is not declared under links.',
  TND_E_CONFIG_LINK_TOO_FEW_NODES: 'A link has fewer than two nodes on it, so nothing could ever be heard on it.',
  TND_E_CONFIG_NODE_NO_LINK: 'A node is on no link.',
  TND_E_CONFIG_ADDRESS: 'An address that is not a valid IPv4/IPv6 address, or not usable where it is (a multicast or unspecified node address, an IPv6 broadcast).',
  TND_E_CONFIG_ADDRESS_FAMILY: "An address whose family (IPv4/IPv6) differs from the link's (set by its multicast group, broadcast address, or first node address).",
  TND_E_CONFIG_DUPLICATE_ADDRESS: 'Two nodes have the same address on one link.',
  TND_E_CONFIG_MULTICAST_GROUP: 'A multicast group that is not a multicast address (224.0.0.0/4 or ff00::/8).',
  TND_E_KEYS_READ: 'The key file could not be read (reported at the key_file value in the config).',
  TND_E_KEYS_MODE: 'The key file can be read or written by group or others; it must be mode 0600 (as heartbeat requires of authkeys).',
  TND_E_KEYS_SYNTAX: 'A key file line that is neither a comment, `send ID`, nor `ID SECRET`.',
  TND_E_KEYS_BAD_ID: 'A key id that is not an integer from 1 to 255.',
  TND_E_KEYS_SHORT_SECRET: 'A secret shorter than 16 characters.',
  TND_E_KEYS_DUPLICATE_ID: 'Two keys have the same id.',
  TND_E_KEYS_NO_SEND: 'The key file has no `send ID` line.',
  TND_E_KEYS_DUPLICATE_SEND: 'The key file has more than one `send` line.',
  TND_E_KEYS_SEND_UNKNOWN: '`send` names a key id the file does not define.',
} as const;

export type ConfigIssueCode = keyof typeof CONFIG_ISSUE_CODES;

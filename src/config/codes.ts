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
  TND_E_CONFIG_FORBIDDEN_KEY:
    "A key that is not allowed with this link's transport (group/ttl outside udp-multicast, broadcast outside udp-broadcast, baud outside serial, port on serial; a node's device outside serial, its address or interface on serial).",
  TND_E_CONFIG_TYPE: 'A value of the wrong kind: a list where a mapping is expected, a number where text is expected, and so on.',
  TND_E_CONFIG_MISSING: "A required field is missing or empty (cluster, key_file, links, nodes, a name, an address, a multicast group, a broadcast address, a group's nodes or resources, a resource's id, agent or required parameter).",
  TND_E_CONFIG_ENUM: 'A value outside its fixed set (transport, a serial baud rate, logging.format, logging.level, failback, reconcile.stray_addresses, quorum.no_quorum, fencing.action).',
  TND_E_CONFIG_RANGE:
    'A number outside its range (port 1..65535, ttl 1..255, migration_threshold, an ipaddr prefix or announce_count or announce_interval, quorum.votes 0..255, fencing.retries 0..10, watchdog.timeout whole seconds from 1s to 255s) or not an integer.',
  TND_E_CONFIG_NAME: 'An invalid cluster, link, node, group, resource id, interface, ping group or fence device name.',
  TND_E_CONFIG_PATH: 'An invalid path: empty, or not absolute where it must be (state_dir, runtime_dir, watchdog.device, a filesystem directory, which must not be / either).',
  TND_E_CONFIG_DURATION: 'A timing that is not a positive duration with a unit (150ms, 2s), or not a duration at all where 0s turns something off; bare numbers are refused.',
  TND_E_CONFIG_TIMING_ORDER: 'Timings out of order: keepalive < warntime < deadtime must hold, and ping.interval < ping.dead.',
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
  TND_E_CONFIG_SERIAL_NODES: "A serial link with more than two nodes on it: a serial line joins exactly two (heartbeat's serial rings, which forwarded messages around more nodes, are not supported).",
  TND_W_CONFIG_SERIAL_BANDWIDTH:
    "The periodic heartbeats (their encoded size × 1000 / keepalive) take more than half of a serial link's line at its baud: a saturated line delays heartbeats into false deaths. Given only when the config has no error.",
  TND_E_CONFIG_NODE_NO_LINK: 'A node is on no link.',
  TND_E_CONFIG_ADDRESS: 'An address that is not a valid IPv4/IPv6 address, or not usable where it is (a multicast or unspecified node address, VIP or ping target, an IPv6 broadcast, a VIP written with its prefix).',
  TND_E_CONFIG_ADDRESS_FAMILY: "An address whose family (IPv4/IPv6) differs from the link's (set by its multicast group, broadcast address, or first node address).",
  TND_E_CONFIG_DUPLICATE_ADDRESS: 'Two nodes have the same address on one link.',
  TND_E_CONFIG_MULTICAST_GROUP: 'A multicast group that is not a multicast address (224.0.0.0/4 or ff00::/8).',
  TND_E_CONFIG_TOO_MANY_GROUPS: 'More groups than one heartbeat can carry the state of (with room for the gossiped attributes): fewer groups, or shorter group and node names.',
  TND_E_CONFIG_DUPLICATE_GROUP: 'Two groups have the same name.',
  TND_E_CONFIG_GROUP_NO_NODES: "A group's nodes list is empty: no node could run it.",
  TND_E_CONFIG_GROUP_UNKNOWN_NODE: 'A group lists a node that is not declared under nodes, with a "did you mean" suggestion when one is close.',
  TND_E_CONFIG_GROUP_DUPLICATE_NODE: "A group lists the same node twice (the list is an order of preference; compared without regard to case).",
  TND_W_CONFIG_GROUP_ONE_NODE: 'A group lists a single node, so it can never fail over.',
  TND_E_CONFIG_GROUP_NO_RESOURCES: "A group's resources list is empty.",
  TND_E_CONFIG_DUPLICATE_RESOURCE: 'Two resources have the same id: ids are unique across all the groups of the cluster.',
  TND_E_CONFIG_RESOURCE_AGENT:
    "A resource's agent is not one of ipaddr, filesystem, exec, ocf:PROVIDER:TYPE, lsb:NAME, systemd:UNIT, heartbeat:NAME (with a suggestion when one is close), or its provider, type, name, unit or script is not a usable name.",
  TND_E_CONFIG_RESOURCE_FIELD: "A resource field that does not go with its agent: params outside ipaddr, filesystem and ocf; args outside heartbeat; command, health and stop_signal outside exec.",
  TND_E_CONFIG_RESOURCE_PARAM:
    "A parameter or argument the resource's agent refuses: a filesystem device, fstype or options value, an OCF parameter name that cannot become OCF_RESKEY_<name>, a heartbeat argument with white space, a word with a NUL byte.",
  TND_E_CONFIG_SIGNAL: 'An exec stop_signal that is not a signal name such as SIGTERM (with a suggestion when one is close).',
  TND_W_CONFIG_MONITOR_FREQUENT: 'A monitor interval under 1s: the agent would run more than once a second, which loads the node for little gain.',
  TND_E_CONFIG_DUPLICATE_VIP: 'Two ipaddr resources have the same address (IPv6 compared in canonical form): a VIP may belong to one resource only.',
  TND_E_CONFIG_DUPLICATE_MOUNT: 'Two filesystem resources mount on the same directory.',
  TND_E_CONFIG_AGENT_MISSING:
    "A resource's agent is not installed or not executable: the OCF agent, the LSB init script, the heartbeat script, or the exec command (absolute, or found in the agents' PATH). Checked by `tandem config check` and at daemon start.",
  TND_E_CONFIG_AGENT_METADATA: "An OCF agent's meta-data could not be read: it failed, timed out, or printed XML tandem cannot read.",
  TND_E_CONFIG_AGENT_PARAM_MISSING: "An OCF resource does not give a parameter that its agent's meta-data marks required.",
  TND_E_CONFIG_AGENT_PARAM_UNKNOWN: "An OCF resource gives a parameter that its agent's meta-data does not declare, with a \"did you mean\" suggestion when one is close.",
  TND_E_CONFIG_UNKNOWN_NODE:
    'quorum.votes, the arbitrator, a fence device\'s nodes or host_map, or fencing.levels names a node that is not declared under nodes, with a "did you mean" suggestion when one is close.',
  TND_E_CONFIG_NO_VOTES: 'Every node has 0 votes under quorum.votes: no partition could ever have a majority.',
  TND_W_CONFIG_NO_QUORUM_IGNORE: "quorum.no_quorum is ignore: every partition runs its groups whatever the votes, so a split can run a group on two nodes at once (heartbeat's behaviour).",
  TND_W_CONFIG_NO_TIEBREAKER:
    "Two voting nodes with equal votes and no tie-breaker (fencing, an arbitrator or ping targets): in a two-node cluster each side of a partition takes the groups over (split brain), as heartbeat does; with other nodes that do not vote, both sides stop. Given only when the config has no error.",
  TND_W_CONFIG_PING_ONLY_TIEBREAKER:
    'Two nodes whose only tie-breaker is ping targets: a split that leaves both sides reaching the same targets still gives each side the groups (split brain). Given only when the config has no error.',
  TND_E_CONFIG_ARBITRATOR_IN_GROUP: 'A group lists the arbitrator, which only backs one side of a split and runs no group.',
  TND_E_CONFIG_ARBITRATOR_FENCED: 'A fence device lists the arbitrator among its nodes, or fencing.levels gives levels for it: the arbitrator runs no group and is never fenced.',
  TND_E_CONFIG_ARBITRATOR_TOO_FEW_NODES: 'An arbitrator is configured but fewer than two other nodes are declared.',
  TND_E_CONFIG_DUPLICATE_PING: 'A ping target listed twice under ping.targets or twice in one ping group (IPv6 compared in canonical form), or a ping group named like a target.',
  TND_E_CONFIG_NO_FENCE_DEVICES: "'fencing' is present but empty, or its devices list is empty.",
  TND_E_CONFIG_DUPLICATE_FENCE_DEVICE: 'Two fence devices have the same name.',
  TND_E_CONFIG_FENCE_AGENT: "A fence device's agent is neither a fence agent's name (fence_*, looked up in /usr/sbin, /sbin, /usr/local/sbin, /usr/bin) nor an absolute path.",
  TND_E_CONFIG_FENCE_PARAM:
    "A fence device parameter tandem writes itself (action, nodename, plug, port), a parameter name a fence agent cannot read, or a parameter or host_map value that does not fit on one line.",
  TND_W_CONFIG_FENCE_PARAM_UNKNOWN: "A fence device parameter that its agent's meta-data does not declare, or declares deprecated (fence agents ignore or rename it; checked with the agents, at `tandem config check` and daemon start).",
  TND_E_CONFIG_UNKNOWN_FENCE_DEVICE: 'A fencing level names a device that is not declared under fencing.devices, with a "did you mean" suggestion when one is close.',
  TND_E_CONFIG_FENCE_LEVEL: "A fencing level is empty, a node's list of levels is empty, or a level names a device that cannot fence that node (not among the device's nodes).",
  TND_E_CONFIG_NODE_NOT_FENCED: 'fencing is configured but a node (other than the arbitrator) is covered by no device, so nothing could ever make sure it is down.',
  TND_E_CONFIG_HACF_UNKNOWN_DIRECTIVE: 'An ha.cf line whose first word is no heartbeat 3.0.6 directive, with a "did you mean" suggestion when one is close.',
  TND_E_CONFIG_HACF_ARGS: 'An ha.cf directive with the wrong number of words (mcast takes IFACE GROUP PORT TTL LOOP, ucast IFACE PEER, ping_group NAME IP…, stonith_host HOST TYPE PARAMS…, respawn USER PATH…).',
  TND_E_CONFIG_HACF_VALUE:
    "An ha.cf value heartbeat refuses or tandem cannot use: a time (2, 1500ms, 0.5), port, boolean, baud rate, TTL, node name, interface, a serial device that is not an absolute path, or an address that is not an IP address (tandem resolves no host names).",
  TND_W_CONFIG_HACF_IGNORED: 'An ha.cf directive that has no effect in tandem (logging, API, wire-format, scheduling, Pacemaker-only settings, respawn clients other than ipfail, …); the message says why and what to use instead.',
  TND_W_CONFIG_HACF_OVERRIDDEN: 'An ha.cf setting given again (or with several values on one line): heartbeat applies each in turn, so the last one wins.',
  TND_W_CONFIG_HACF_ORDER: 'udpport comes after a bcast or ucast line: heartbeat read those media with the port in effect at their line (694 unless set earlier).',
  TND_W_CONFIG_HACF_OBSOLETE: "An obsolete ha.cf spelling read the way heartbeat reads it: 'udp' is 'bcast', 'nice_failback' ignores its value, 'auto_failback legacy' (the default) fails back when the home node starts.",
  TND_E_CONFIG_HACF_CRM: "ha.cf turns on Pacemaker ('crm yes', 'crm respawn', 'pacemaker on', …): resources then live in the CIB, not in haresources, and the import cannot carry them over; the message explains the migration path.",
  TND_E_CONFIG_HACF_STONITH: 'A heartbeat STONITH device with no equivalent fence agent, parameters that do not fit its plugin, or a `stonith TYPE FILE` line (its parameters are in a file the import does not read).',
  TND_E_CONFIG_HACF_UNSUPPORTED: "An ha.cf setting tandem cannot reproduce and must not drop: 'autojoin other|any' (heartbeat itself refuses it with haresources).",
  TND_E_CONFIG_HARESOURCES_SYNTAX: 'A haresources line that cannot be read: a node without resources, an empty `::` argument, or a bad IP[/prefix[/iface[/broadcast]]] address.',
  TND_E_CONFIG_HADIR_HOST_NOT_A_NODE: "The host's name (as `uname -n` prints it) matches no 'node' line of ha.cf, so heartbeat would not start there.",
  TND_E_CONFIG_HADIR_NO_ADDRESS:
    "A node's address on a heartbeat link cannot be derived from ha.cf (bcast and mcast name only interfaces; ucast names only peers), nor a bcast link's broadcast address: give it to the import explicitly.",
  TND_E_CONFIG_HADIR_DUPLICATE_RESOURCE: 'The same haresources resource (the same script and arguments, or the same IP address) appears in two groups, so two nodes could run it at once.',
  TND_W_CONFIG_HADIR_IP_SCRIPT: "An IP address in haresources kept as heartbeat's IPaddr/IPaddr2 script rather than tandem's built-in ipaddr agent, because its interface or prefix is not known or it sets a non-default broadcast address.",
  TND_W_CONFIG_HADIR_PING: 'ping nodes and ipfail do not add up: ping nodes without ipfail (heartbeat only reports them), ipfail without ping nodes, or ipfail with auto_failback legacy (ipfail refuses to run); no ping section is imported then.',
  TND_W_CONFIG_HADIR_WARNTIME: "warntime is not between keepalive and deadtime: heartbeat accepted it (it only timed its 'Late heartbeat' log lines); tandem uses deadtime/2, heartbeat's default, so a peer can still show as late.",
  TND_W_CONFIG_HADIR_MORE_NODES: "More than two nodes with haresources: heartbeat's v1 resource management is two-node only; the other nodes are listed after the home node in ha.cf order.",
  TND_E_KEYS_READ: 'The key file could not be read (reported at the key_file value in the config).',
  TND_E_KEYS_MODE: 'The key file can be read or written by group or others; it must be mode 0600 (as heartbeat requires of authkeys).',
  TND_E_KEYS_SYNTAX: 'A key file line that is neither a comment, `send ID`, nor `ID SECRET`.',
  TND_E_KEYS_BAD_ID: 'A key id that is not an integer from 1 to 255.',
  TND_E_KEYS_SHORT_SECRET: 'A secret shorter than 16 characters.',
  TND_E_KEYS_DUPLICATE_ID: 'Two keys have the same id.',
  TND_E_KEYS_NO_SEND: 'The key file has no `send ID` line.',
  TND_E_KEYS_DUPLICATE_SEND: 'The key file has more than one `send` line.',
  TND_E_KEYS_SEND_UNKNOWN: '`send` names a key id the file does not define.',
  TND_E_KEYS_AUTHKEYS_MODE: 'The authkeys file may be read or written by group or others; heartbeat refuses it unless it is mode 600 (0400 passes too).',
  TND_E_KEYS_AUTHKEYS_AUTH: "authkeys has no 'auth N' line, more than one, or it names an index the file does not define.",
  TND_E_KEYS_AUTHKEYS_INDEX: 'An authkeys index that is not an integer from 0 to 15.',
  TND_E_KEYS_AUTHKEYS_METHOD: 'An authkeys method other than crc, md5 or sha1, an md5/sha1 entry without a key, or a crc entry with one.',
  TND_W_KEYS_AUTHKEYS_CRC: 'The active authkeys method is crc, which has no secret: anyone on the network can forge heartbeats; the derived tandem key is the same for every crc cluster.',
  TND_W_KEYS_AUTHKEYS_IGNORED: "Something in authkeys heartbeat ignores: text after the key (the key is one word), or an entry other than the active one (heartbeat 3.0.6 checks every packet against the active key only), which is not imported.",
} as const;

export type ConfigIssueCode = keyof typeof CONFIG_ISSUE_CODES;

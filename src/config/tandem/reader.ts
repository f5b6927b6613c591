/**
 * Typed readers over a parsed YAML document that turn every problem into a positioned `ConfigIssue`.
 *
 * Invariants:
 *   1. Readers never throw on bad input: they record an issue and return undefined, so reading goes on and every
 *      problem in the file is reported in one pass.
 *   2. Every issue carries the 1-based line and column of the key or value it is about, and the dotted path.
 *   3. An empty value (`key:` with nothing after it) counts as absent; its position is the key's.
 */
import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseDuration } from '../../lib/duration.js';
import type { ConfigIssueCode } from '../codes.js';
import type { ConfigIssue } from '../model.js';
import { suggest } from '../suggest.js';

/** A 1-based position in the source file. */
export interface Site {
  readonly line: number;
  readonly column: number;
}

/** A value read from the file, with where it was written. */
export interface Located<T> {
  readonly value: T;
  readonly at: Site;
  readonly path: string;
}

/** One `key: value` of a mapping, after unknown and duplicate keys were set aside. */
export interface Entry {
  readonly key: string;
  readonly keyAt: Site;
  /** Undefined when the value is empty (`key:`), which counts as absent. */
  readonly value: Node | undefined;
  readonly path: string;
}

/** Collects issues for one file and converts source offsets to positions. */
export class IssueSink {
  readonly issues: ConfigIssue[] = [];

  constructor(
    readonly file: string,
    private readonly lineCounter: LineCounter,
  ) {}

  get hasErrors(): boolean {
    return this.issues.some((issue) => issue.severity === 'error');
  }

  siteOfOffset(offset: number): Site {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  siteOf(node: Node | null | undefined, fallback: Site = { line: 1, column: 1 }): Site {
    const range = node?.range;
    return range ? this.siteOfOffset(range[0]) : fallback;
  }

  error(code: ConfigIssueCode, at: Site, path: string, message: string): void {
    this.issues.push({ severity: 'error', code, file: this.file, line: at.line, column: at.column, path, message });
  }

  warning(code: ConfigIssueCode, at: Site, path: string, message: string): void {
    this.issues.push({ severity: 'warning', code, file: this.file, line: at.line, column: at.column, path, message });
  }
}

export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** Follows an alias (`*name`) to the node it refers to; empty scalars become undefined. */
export function resolveNode(node: unknown): Node | undefined {
  if (node === null || node === undefined) return undefined;
  if (isScalar(node) && node.value === null) return undefined;
  if (isMap(node) || isSeq(node) || isScalar(node) || isAlias(node)) return node;
  return undefined;
}

/** A short description of what a node is, for type errors: `a list`, `a mapping`, `the number 694`, `"text"`. */
export function describeNode(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return `the alias *${node.source}`;
  if (isScalar(node)) {
    const value: unknown = node.value;
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'number') return `the number ${node.source ?? String(value)}`;
    if (typeof value === 'boolean') return `the boolean ${String(value)}`;
    return String(value);
  }
  return 'an unknown value';
}

/** Everything a reader needs: where issues go and how aliases are followed. */
export class Reader {
  /** Paths that an unknown key was told it probably meant. */
  private readonly suggested = new Set<string>();

  constructor(
    readonly sink: IssueSink,
    private readonly resolveAlias: (node: Node) => Node | undefined,
  ) {}

  /** The node itself, with aliases followed and empty scalars treated as absent. */
  deref(node: unknown): Node | undefined {
    let current = resolveNode(node);
    for (let hops = 0; current !== undefined && isAlias(current) && hops < 16; hops++) {
      current = resolveNode(this.resolveAlias(current));
    }
    return current !== undefined && isAlias(current) ? undefined : current;
  }

  /**
   * Reads a mapping: reports unknown keys (with a suggestion taken from `known`), duplicate keys and non-text
   * keys, and returns the remaining entries by key. `known: 'any'` accepts every key (for maps keyed by name).
   */
  mapping(node: Node, path: string, known: readonly string[] | 'any', what: string): Map<string, Entry> | undefined {
    if (!isMap(node)) {
      this.sink.error('TND_E_CONFIG_TYPE', this.sink.siteOf(node), path, `${what} must be a mapping (key: value): current value is ${describeNode(node)}`);
      return undefined;
    }
    const entries = new Map<string, Entry>();
    for (const pair of (node as YAMLMap<unknown, unknown>).items as Pair<unknown, unknown>[]) {
      const keyNode = this.deref(pair.key);
      const keyAt = this.sink.siteOf(keyNode ?? (pair.key as Node | null), this.sink.siteOf(node));
      if (keyNode === undefined || !isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
        this.sink.error('TND_E_CONFIG_TYPE', keyAt, path, `keys of ${what} must be text: found ${keyNode ? describeNode(keyNode) : 'an empty key'}`);
        continue;
      }
      const key = typeof keyNode.value === 'string' ? keyNode.value : (keyNode.source ?? String(keyNode.value));
      const entryPath = childPath(path, key);
      if (known !== 'any' && !known.includes(key)) {
        const hint = suggest(key, known);
        if (hint !== undefined) this.suggested.add(childPath(path, hint));
        const expected = `${what} accepts ${known.map((k) => `'${k}'`).join(', ')}`;
        this.sink.error('TND_E_CONFIG_UNKNOWN_KEY', keyAt, entryPath, hint !== undefined ? `unknown key '${key}': did you mean '${hint}'?` : `unknown key '${key}': ${expected}`);
        continue;
      }
      const first = entries.get(key);
      if (first !== undefined) {
        this.sink.error('TND_E_CONFIG_DUPLICATE_KEY', keyAt, entryPath, `'${key}' is given twice in ${what}: first at line ${first.keyAt.line}`);
        continue;
      }
      entries.set(key, { key, keyAt, value: this.deref(pair.value), path: entryPath });
    }
    return entries;
  }

  /**
   * Reports a missing required key at `at` (the enclosing mapping or its key) — unless an unknown key there was
   * already reported with this key as its suggestion: `key-file: …` gives one issue ("did you mean 'key_file'?"),
   * not two.
   */
  missing(at: Site, path: string, message: string): void {
    if (this.suggested.has(path)) return;
    this.sink.error('TND_E_CONFIG_MISSING', at, path, message);
  }

  /** Where an entry's value is, or its key when the value is empty. */
  valueAt(entry: Entry): Site {
    return this.sink.siteOf(entry.value, entry.keyAt);
  }

  /**
   * A text value. With `numbersAsText`, a plain number such as `01` or `2024` is taken as written, because names
   * and host names may be all digits and YAML would otherwise read them as numbers.
   */
  text(entry: Entry, what: string, options: { readonly numbersAsText?: boolean } = {}): Located<string> | undefined {
    const node = entry.value;
    if (node === undefined) {
      this.missing(entry.keyAt, entry.path, `${what} is empty: write a value after '${entry.key}:'`);
      return undefined;
    }
    const at = this.sink.siteOf(node);
    if (isScalar(node)) {
      if (typeof node.value === 'string') return { value: node.value, at, path: entry.path };
      if (options.numbersAsText === true && typeof node.value === 'number' && node.type === 'PLAIN' && node.source !== undefined) {
        return { value: node.source, at, path: entry.path };
      }
    }
    this.sink.error('TND_E_CONFIG_TYPE', at, entry.path, `${what} must be text: current value is ${describeNode(node)}`);
    return undefined;
  }

  /** An integer within [min, max]; a quoted number is a type error (the file says text, so we do not guess). */
  integer(entry: Entry, what: string, min: number, max: number): Located<number> | undefined {
    const node = entry.value;
    if (node === undefined) {
      this.missing(entry.keyAt, entry.path, `${what} is empty: write a value after '${entry.key}:' or remove the key`);
      return undefined;
    }
    const at = this.sink.siteOf(node);
    if (!isScalar(node) || typeof node.value !== 'number') {
      this.sink.error('TND_E_CONFIG_TYPE', at, entry.path, `${what} must be an integer from ${min} to ${max}: current value is ${describeNode(node)}`);
      return undefined;
    }
    if (!Number.isInteger(node.value) || node.value < min || node.value > max) {
      this.sink.error('TND_E_CONFIG_RANGE', at, entry.path, `${what} must be an integer from ${min} to ${max}: current value is ${node.source ?? String(node.value)}`);
      return undefined;
    }
    return { value: node.value, at, path: entry.path };
  }

  /**
   * A duration with a unit, converted to milliseconds: positive, or with `allowZero` also `0s` (for settings where
   * zero means "off"). Even zero needs its unit, so that a bare number is never read as a guess.
   */
  duration(entry: Entry, what: string, options: { readonly allowZero?: boolean } = {}): Located<number> | undefined {
    const node = entry.value;
    const kind = options.allowZero === true ? 'a duration with a unit (0s turns it off)' : 'a positive duration with a unit';
    if (node === undefined) {
      this.missing(entry.keyAt, entry.path, `'${what}' is empty: write a duration such as 700ms or 2s, or remove the key for the default`);
      return undefined;
    }
    const at = this.sink.siteOf(node);
    if (isScalar(node) && typeof node.value === 'number') {
      const written = node.source ?? String(node.value);
      this.sink.error('TND_E_CONFIG_DURATION', at, entry.path, `'${what}' must be ${kind}: current value is ${written}, a bare number (write ${written}ms or ${written}s)`);
      return undefined;
    }
    if (!isScalar(node) || typeof node.value !== 'string') {
      this.sink.error('TND_E_CONFIG_DURATION', at, entry.path, `'${what}' must be ${kind} (150ms, 2s): current value is ${describeNode(node)}`);
      return undefined;
    }
    const parsed = parseDuration(node.value);
    if (!parsed.ok || parsed.ms < 0 || (parsed.ms === 0 && options.allowZero !== true)) {
      this.sink.error('TND_E_CONFIG_DURATION', at, entry.path, `'${what}' must be ${kind} (150ms, 2s): current value is ${JSON.stringify(node.value)}`);
      return undefined;
    }
    return { value: parsed.ms, at, path: entry.path };
  }

  /**
   * A list of words, such as an argv: each item text, or a plain number taken as written (`[sleep, 1000]`).
   * Returns each word with its own position, so a problem with one word is reported on it.
   */
  words(entry: Entry, what: string, example = '[/usr/bin/env, arg]'): { readonly value: Located<string>[]; readonly at: Site; readonly path: string } | undefined {
    const at = this.valueAt(entry);
    if (entry.value !== undefined && !isSeq(entry.value)) {
      this.sink.error('TND_E_CONFIG_TYPE', at, entry.path, `${what} must be a list such as ${example}: current value is ${describeNode(entry.value)}`);
      return undefined;
    }
    const items = this.list(entry, what) ?? [];
    const value: Located<string>[] = [];
    let ok = true;
    items.forEach((item, index) => {
      if (item.node === undefined) {
        this.missing(item.at, item.path, `word ${index + 1} of ${what} is empty`);
        ok = false;
        return;
      }
      const word = this.text({ key: `${entry.key}[${index}]`, keyAt: item.at, value: item.node, path: item.path }, `each word of ${what}`, { numbersAsText: true });
      if (word === undefined) ok = false;
      else value.push(word);
    });
    return ok ? { value, at, path: entry.path } : undefined;
  }

  /** One of a fixed set of words, with a suggestion when the value is a near miss. */
  oneOf<T extends string>(entry: Entry, what: string, allowed: readonly T[]): Located<T> | undefined {
    const text = this.text(entry, what);
    if (text === undefined) return undefined;
    if ((allowed as readonly string[]).includes(text.value)) return text as Located<T>;
    const hint = suggest(text.value, allowed);
    const choices = allowed.map((a) => `'${a}'`).join(', ');
    this.sink.error('TND_E_CONFIG_ENUM', text.at, entry.path, `${what} must be one of ${choices}: current value is ${JSON.stringify(text.value)}${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}`);
    return undefined;
  }

  /** The items of a list, each with its path; reports a non-list. */
  list(entry: Entry, what: string): { readonly node: Node | undefined; readonly at: Site; readonly path: string }[] | undefined {
    const node = entry.value;
    if (node === undefined) return [];
    if (!isSeq(node)) {
      this.sink.error('TND_E_CONFIG_TYPE', this.sink.siteOf(node), entry.path, `${what} must be a list (lines starting with '- '): current value is ${describeNode(node)}`);
      return undefined;
    }
    return node.items.map((item, index) => {
      const itemNode = this.deref(item);
      return { node: itemNode, at: this.sink.siteOf(itemNode ?? (item as Node | null), this.sink.siteOf(node)), path: itemPath(entry.path, index) };
    });
  }
}

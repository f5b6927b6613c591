/**
 * Reads an OCF agent's `meta-data` XML into a typed description, and checks a resource's parameters against it.
 *
 * The parser is hand-written for exactly the subset OCF meta-data uses: an optional XML declaration, an optional
 * DOCTYPE without an internal subset, comments, elements with quoted attributes, text with the five predefined
 * entities and character references, and CDATA. Anything else (processing instructions after the declaration,
 * custom entities, an internal DTD subset, mismatched tags) is refused.
 *
 * Invariants:
 *   1. Pure: no I/O, no clock. Parsing never throws; it returns a typed result with a TND_E_AGENT_METADATA issue.
 *   2. Strict about what tandem reads (`name`, `required`, `unique`, `type`, `default`, `timeout`, `interval`):
 *      a malformed value is an issue, never silently defaulted. Elements and attributes outside that set
 *      (`longdesc`, `shortdesc`, `version`, `depth`, `reloadable`, …) are well-formedness-checked and ignored.
 *   3. Durations are converted once, here, to milliseconds. A bare number is seconds (as Pacemaker reads it).
 */
import { suggest } from '../config/suggest.js';
import type { AgentIssue } from './codes.js';

export interface OcfParameterSpec {
  readonly name: string;
  readonly required: boolean;
  readonly unique: boolean;
  /** `<content type=…>`; `string` when the parameter has no `<content>`. */
  readonly type: string;
  readonly default?: string;
}

export interface OcfActionSpec {
  readonly name: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** `role=` (e.g. `Promoted`), which tells apart two monitor entries. */
  readonly role?: string;
}

export interface OcfMetadata {
  readonly name: string;
  readonly parameters: readonly OcfParameterSpec[];
  readonly actions: readonly OcfActionSpec[];
}

export type OcfMetadataParse = { readonly ok: true; readonly metadata: OcfMetadata } | { readonly ok: false; readonly issue: AgentIssue };

/** Parses meta-data XML as printed by `AGENT meta-data`. */
export function parseOcfMetadata(xml: string): OcfMetadataParse {
  try {
    return { ok: true, metadata: describeAgent(parseXml(xml)) };
  } catch (error) {
    if (!(error instanceof MetadataSyntaxError)) throw error;
    return { ok: false, issue: { code: 'TND_E_AGENT_METADATA', path: 'meta-data', message: error.message } };
  }
}

export type OcfMetadataAttributesParse =
  | { readonly ok: true; readonly metadata: OcfMetadata; readonly parameterAttributes: ReadonlyMap<string, ReadonlyMap<string, string>> }
  | { readonly ok: false; readonly issue: AgentIssue };

/**
 * The same parse as `parseOcfMetadata`, plus every attribute of each `<parameter>` element by parameter name, for
 * readers that need attributes OCF does not define: fence-agents mark renamed parameters with `obsoletes="old"` on
 * the new name and `deprecated="1"` on the old one, and both carry `required="1"`.
 */
export function parseOcfMetadataWithAttributes(xml: string): OcfMetadataAttributesParse {
  try {
    const root = parseXml(xml);
    const metadata = describeAgent(root);
    const parameterAttributes = new Map<string, ReadonlyMap<string, string>>();
    const parameters = (root.children.find((child) => child.name === 'parameters')?.children ?? []).filter((child) => child.name === 'parameter');
    // describeAgent has checked that every <parameter> has a unique name=, so the map loses nothing.
    for (const element of parameters) parameterAttributes.set(element.attributes.get('name') as string, element.attributes);
    return { ok: true, metadata, parameterAttributes };
  } catch (error) {
    if (!(error instanceof MetadataSyntaxError)) throw error;
    return { ok: false, issue: { code: 'TND_E_AGENT_METADATA', path: 'meta-data', message: error.message } };
  }
}

/**
 * Checks a resource's parameters against the agent's meta-data: every `required="1"` parameter must be given
 * (with a non-empty value), and every given parameter must be declared (with a suggestion for a typo).
 */
export function validateOcfParameters(metadata: OcfMetadata, params: Readonly<Record<string, string>>): AgentIssue[] {
  const issues: AgentIssue[] = [];
  const declared = metadata.parameters.map((parameter) => parameter.name);
  for (const parameter of metadata.parameters) {
    const value = params[parameter.name];
    if (!parameter.required || (value !== undefined && value !== '')) continue;
    issues.push({
      code: 'TND_E_AGENT_PARAM_MISSING',
      path: `params.${parameter.name}`,
      message: `Cannot use agent ${metadata.name} as its required parameter '${parameter.name}' is ${value === undefined ? 'not given' : 'empty'}`,
    });
  }
  for (const name of Object.keys(params)) {
    if (declared.includes(name)) continue;
    const suggestion = suggest(name, declared);
    const hint = suggestion === undefined ? `; it knows ${declared.join(', ') || 'no parameters'}` : `; did you mean '${suggestion}'?`;
    issues.push({
      code: 'TND_E_AGENT_PARAM_UNKNOWN',
      path: `params.${name}`,
      message: `Cannot pass parameter '${name}' to agent ${metadata.name} as its meta-data does not declare it${hint}`,
      ...(suggestion === undefined ? {} : { suggestion }),
    });
  }
  return issues;
}

/** Converts a meta-data duration (`20s`, `5min`, `500ms`, `1h`, or bare seconds `20`) to milliseconds. */
export function parseMetadataDurationMs(text: string): number | undefined {
  const match = /^(\d+)(ms|msec|s|sec|m|min|h|hr)?$/.exec(text.trim());
  if (match === null) return undefined;
  const unitMs: Readonly<Record<string, number>> = { ms: 1, msec: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000 };
  const ms = Number(match[1]) * (unitMs[match[2] ?? 's'] as number);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

// ---- From the element tree to OcfMetadata ----------------------------------------------------------------------

function describeAgent(root: XmlElement): OcfMetadata {
  if (root.name !== 'resource-agent') fail(root.line, `the root element is <${root.name}>, not <resource-agent>`);
  const name = requiredAttribute(root, 'name');
  const parametersElement = singleChild(root, 'parameters');
  const actionsElement = singleChild(root, 'actions');
  const parameterElements = (parametersElement?.children ?? []).filter((child) => child.name === 'parameter');
  const parameters = parameterElements.map(describeParameter);
  const seen = new Set<string>();
  for (const [index, parameter] of parameters.entries()) {
    if (seen.has(parameter.name)) fail(parameterElements[index]?.line ?? root.line, `parameter '${parameter.name}' is declared twice`);
    seen.add(parameter.name);
  }
  const actions = (actionsElement?.children ?? []).filter((child) => child.name === 'action').map(describeAction);
  return { name, parameters, actions };
}

function describeParameter(element: XmlElement): OcfParameterSpec {
  const name = requiredAttribute(element, 'name');
  const content = singleChild(element, 'content');
  const type = content === undefined ? 'string' : requiredAttribute(content, 'type');
  const defaultValue = content?.attributes.get('default');
  return {
    name,
    required: booleanAttribute(element, 'required'),
    unique: booleanAttribute(element, 'unique'),
    type,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  };
}

function describeAction(element: XmlElement): OcfActionSpec {
  const name = requiredAttribute(element, 'name');
  const timeoutMs = durationAttribute(element, 'timeout');
  const intervalMs = durationAttribute(element, 'interval');
  const role = element.attributes.get('role');
  return {
    name,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(intervalMs === undefined ? {} : { intervalMs }),
    ...(role === undefined ? {} : { role }),
  };
}

function singleChild(parent: XmlElement, name: string): XmlElement | undefined {
  const found = parent.children.filter((child) => child.name === name);
  if (found.length > 1) fail(found[1]?.line ?? parent.line, `<${parent.name}> has more than one <${name}>`);
  return found[0];
}

function requiredAttribute(element: XmlElement, name: string): string {
  const value = element.attributes.get(name);
  if (value === undefined || value.trim() === '') fail(element.line, `<${element.name}> has no ${name}= attribute`);
  return value;
}

/** OCF writes booleans as 0/1; `true`/`false` are accepted too, anything else is refused. */
function booleanAttribute(element: XmlElement, name: string): boolean {
  const value = element.attributes.get(name);
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  return fail(element.line, `<${element.name} name="${element.attributes.get('name') ?? ''}"> has ${name}="${value}", which is not 0 or 1`);
}

function durationAttribute(element: XmlElement, name: string): number | undefined {
  const value = element.attributes.get(name);
  if (value === undefined) return undefined;
  const ms = parseMetadataDurationMs(value);
  if (ms === undefined) fail(element.line, `<${element.name} name="${element.attributes.get('name') ?? ''}"> has ${name}="${value}", which is not a duration such as 20s`);
  return ms;
}

// ---- A strict parser for the XML subset ------------------------------------------------------------------------

interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  readonly line: number;
}

class MetadataSyntaxError extends Error {
  override readonly name = 'MetadataSyntaxError';
}

function fail(line: number, problem: string): never {
  throw new MetadataSyntaxError(`Cannot read agent meta-data as line ${line}: ${problem}`);
}

const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Builds the element tree (text is checked, then dropped: nothing tandem reads lives in text). */
function parseXml(xml: string): XmlElement {
  const reader = new XmlReader(xml);
  reader.skipProlog();
  const root = reader.element();
  reader.skipMisc();
  if (!reader.atEnd()) reader.fail('content after the root element');
  return root;
}

class XmlReader {
  private position = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  fail(problem: string): never {
    return fail(this.line(), problem);
  }

  skipProlog(): void {
    if (this.text.charCodeAt(0) === 0xfeff) this.position = 1;
    this.skipSpace();
    if (this.startsWith('<?xml')) this.skipPast('?>', 'XML declaration');
    this.skipMisc();
    if (this.startsWith('<!DOCTYPE')) {
      const end = this.text.indexOf('>', this.position);
      if (end < 0) this.fail('unterminated DOCTYPE');
      if (this.text.slice(this.position, end).includes('[')) this.fail('a DOCTYPE with an internal subset is not supported');
      this.position = end + 1;
      this.skipMisc();
    }
  }

  /** Whitespace and comments. */
  skipMisc(): void {
    for (;;) {
      this.skipSpace();
      if (!this.startsWith('<!--')) return;
      this.skipComment();
    }
  }

  element(): XmlElement {
    const line = this.line();
    this.expect('<');
    const name = this.name();
    const attributes = this.attributes(name);
    const element: XmlElement = { name, attributes, children: [], line };
    if (this.startsWith('/>')) {
      this.position += 2;
      return element;
    }
    this.expect('>');
    this.content(element);
    return element;
  }

  private content(parent: XmlElement): void {
    for (;;) {
      const next = this.text.indexOf('<', this.position);
      if (next < 0) this.fail(`<${parent.name}> is not closed`);
      this.checkText(this.text.slice(this.position, next));
      this.position = next;
      if (this.startsWith('</')) {
        this.position += 2;
        const closing = this.name();
        if (closing !== parent.name) this.fail(`</${closing}> closes <${parent.name}> (opened on line ${parent.line})`);
        this.skipSpace();
        this.expect('>');
        return;
      }
      if (this.startsWith('<!--')) this.skipComment();
      else if (this.startsWith('<![CDATA[')) this.skipPast(']]>', 'CDATA section');
      else if (this.startsWith('<?') || this.startsWith('<!')) this.fail('a processing instruction or declaration inside an element');
      else parent.children.push(this.element());
    }
  }

  private attributes(elementName: string): Map<string, string> {
    const attributes = new Map<string, string>();
    for (;;) {
      const hadSpace = this.skipSpace();
      if (this.startsWith('>') || this.startsWith('/>')) return attributes;
      if (!hadSpace) this.fail(`<${elementName}>: attributes must be separated by white space`);
      const name = this.name();
      this.skipSpace();
      this.expect('=');
      this.skipSpace();
      const quote = this.text[this.position];
      if (quote !== '"' && quote !== "'") this.fail(`<${elementName}>: the value of ${name}= is not quoted`);
      const end = this.text.indexOf(quote, this.position + 1);
      if (end < 0) this.fail(`<${elementName}>: the value of ${name}= is not terminated`);
      const raw = this.text.slice(this.position + 1, end);
      if (raw.includes('<')) this.fail(`<${elementName}>: the value of ${name}= contains '<'`);
      if (attributes.has(name)) this.fail(`<${elementName}> has ${name}= twice`);
      attributes.set(name, this.decode(raw));
      this.position = end + 1;
    }
  }

  private checkText(text: string): void {
    if (text.includes(']]>')) this.fail("text contains ']]>'");
    this.decode(text);
  }

  private decode(text: string): string {
    return text.replace(/&([^;&\s]*);?/g, (whole: string, entity: string) => {
      if (!whole.endsWith(';')) this.fail(`an '&' that does not start an entity: ${JSON.stringify(whole)}`);
      const predefined = PREDEFINED_ENTITIES[entity];
      if (predefined !== undefined) return predefined;
      const numeric = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(entity);
      const codePoint = numeric === null ? Number.NaN : numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]);
      if (!Number.isInteger(codePoint) || codePoint < 1 || codePoint > 0x10ffff) this.fail(`unknown entity &${entity};`);
      return String.fromCodePoint(codePoint);
    });
  }

  private name(): string {
    NAME.lastIndex = this.position;
    const match = NAME.exec(this.text);
    if (match === null) this.fail('a tag or attribute name was expected');
    this.position += match[0].length;
    return match[0];
  }

  private skipComment(): void {
    const end = this.text.indexOf('-->', this.position + 4);
    if (end < 0) this.fail('unterminated comment');
    this.position = end + 3;
  }

  private skipPast(terminator: string, what: string): void {
    const end = this.text.indexOf(terminator, this.position);
    if (end < 0) this.fail(`unterminated ${what}`);
    this.position = end + terminator.length;
  }

  private skipSpace(): boolean {
    const start = this.position;
    while (this.position < this.text.length && ' \t\r\n'.includes(this.text[this.position] as string)) this.position++;
    return this.position > start;
  }

  private startsWith(prefix: string): boolean {
    return this.text.startsWith(prefix, this.position);
  }

  private expect(char: string): void {
    if (this.text[this.position] !== char) this.fail(`'${char}' was expected, found ${JSON.stringify(this.text.slice(this.position, this.position + 10))}`);
    this.position += 1;
  }

  private line(): number {
    let line = 1;
    for (let i = 0; i < this.position && i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) line++;
    return line;
  }
}

/**
 * A small XML reader for configuration files (the fair scheduler's allocation file): elements,
 * attributes, text, comments, CDATA, the XML declaration and processing instructions, and the
 * five predefined entities and character references. No DTD, no namespaces' meaning (a prefix
 * stays part of the name). Malformed input throws SmallXmlError with the line it is on.
 */

/** An element: its name, attributes and children (elements and text, in document order). */
export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly (XmlElement | string)[];
  /** The line its start tag is on (1-based). */
  readonly line: number;
}

export class SmallXmlError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
  ) {
    super(`${reason} (line ${line})`);
  }
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const SPACE = /\s*/y;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The document's root element. */
export function parseXml(text: string): XmlElement {
  let pos = 0;
  const lineAt = (at: number): number => {
    let n = 1;
    for (let i = 0; i < at && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
    return n;
  };
  const fail = (reason: string, at = pos): never => {
    throw new SmallXmlError(reason, lineAt(at));
  };
  const skipSpace = (): void => {
    SPACE.lastIndex = pos;
    SPACE.exec(text);
    pos = SPACE.lastIndex;
  };
  const name = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(text);
    if (!m) return fail(`expected a name at '${text.slice(pos, pos + 10)}'`);
    pos = NAME.lastIndex;
    return m[0];
  };
  const decode = (raw: string, at: number): string =>
    raw.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);|&/g, (all, ref: string | undefined) => {
      if (ref === undefined) return fail("a bare '&' (write &amp;)", at);
      if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
      if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
      return ENTITIES[ref] ?? fail(`unknown entity ${all}`, at);
    });
  /** Skips comments, processing instructions and a doctype; true when one was skipped. */
  const skipMarkup = (): boolean => {
    for (const [open, close] of [['<!--', '-->'], ['<?', '?>'], ['<!DOCTYPE', '>']] as const) {
      if (!text.startsWith(open, pos)) continue;
      const end = text.indexOf(close, pos + open.length);
      if (end < 0) fail(`'${open}' never closed`);
      pos = end + close.length;
      return true;
    }
    return false;
  };
  const element = (): XmlElement => {
    const start = pos;
    pos++; // '<'
    const tag = name();
    const attributes = new Map<string, string>();
    for (;;) {
      skipSpace();
      if (text.startsWith('/>', pos)) {
        pos += 2;
        return { name: tag, attributes, children: [], line: lineAt(start) };
      }
      if (text[pos] === '>') {
        pos++;
        break;
      }
      if (pos >= text.length) fail(`<${tag}> never closed`, start);
      const attr = name();
      skipSpace();
      if (text[pos] !== '=') fail(`attribute ${attr} of <${tag}> has no '='`);
      pos++;
      skipSpace();
      const q = text[pos];
      if (q !== '"' && q !== "'") fail(`attribute ${attr} of <${tag}>: its value must be quoted`);
      const end = text.indexOf(q, pos + 1);
      if (end < 0) fail(`attribute ${attr} of <${tag}>: its quote never closed`);
      if (attributes.has(attr)) fail(`attribute ${attr} given twice in <${tag}>`);
      attributes.set(attr, decode(text.slice(pos + 1, end), pos));
      pos = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    for (;;) {
      if (pos >= text.length) fail(`<${tag}> is never closed by </${tag}>`, start);
      if (text.startsWith('</', pos)) {
        pos += 2;
        const closing = name();
        if (closing !== tag) fail(`</${closing}> closes <${tag}>`);
        skipSpace();
        if (text[pos] !== '>') fail(`</${closing}> is not closed by '>'`);
        pos++;
        return { name: tag, attributes, children, line: lineAt(start) };
      }
      if (text.startsWith('<![CDATA[', pos)) {
        const end = text.indexOf(']]>', pos);
        if (end < 0) fail('a CDATA section never closed');
        children.push(text.slice(pos + 9, end));
        pos = end + 3;
      } else if (skipMarkup()) {
        // a comment or processing instruction: nothing to keep
      } else if (text[pos] === '<') {
        children.push(element());
      } else {
        const end = text.indexOf('<', pos);
        const stop = end < 0 ? text.length : end;
        children.push(decode(text.slice(pos, stop), pos));
        pos = stop;
      }
    }
  };
  if (text.charCodeAt(0) === 0xfeff) pos = 1;
  for (;;) {
    skipSpace();
    if (!skipMarkup()) break;
  }
  if (text[pos] !== '<') fail(pos >= text.length ? 'no root element' : `text before the root element: '${text.slice(pos, pos + 20)}'`);
  const root = element();
  for (;;) {
    skipSpace();
    if (!skipMarkup()) break;
  }
  if (pos < text.length) fail(`something after the root element </${root.name}>: '${text.slice(pos, pos + 20)}'`);
  return root;
}

/** An element's text: its text children joined (elements' text left out). */
export function xmlText(e: XmlElement): string {
  return e.children.filter((c): c is string => typeof c === 'string').join('');
}

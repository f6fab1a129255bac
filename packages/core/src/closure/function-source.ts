/**
 * The source text of a shipped function: a tolerant tokenizer, the identifier names the
 * function references (to pick its captures), and an expression that evaluates to the
 * function again (method shorthand, getters and setters are re-wrapped).
 */
export type TokenType = 'name' | 'private' | 'punct' | 'string' | 'template' | 'number' | 'regexp';
export interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const ESC = String.raw`\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]+\}`;
const NAME = new RegExp(`(?:[\\p{ID_Start}$_]|${ESC})(?:[\\p{ID_Continue}$\\u200C\\u200D]|${ESC})*`, 'uy');
const NUMBER = /(?:0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?)n?/y;
const SPACE = /(?:\s|\/\/[^\n\r\u2028\u2029]*|\/\*[\s\S]*?(?:\*\/|$))+/y;
const PUNCT = /\.\.\.|\?\.(?!\d)|=>|[^]/uy;
const FLAGS = /[\p{ID_Continue}$]*/uy;
const BEFORE_EXPRESSION = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

function sticky(re: RegExp, src: string, at: number): number {
  re.lastIndex = at;
  return re.test(src) ? re.lastIndex : -1;
}

/** A tolerant tokenizer: enough to tell code from strings, comments, templates and regexps. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const braces: boolean[] = []; // true: the `}` closing it resumes a template
  let i = 0;
  const push = (type: TokenType, end: number): void => {
    out.push({ type, text: src.slice(i, end), start: i, end });
    i = end;
  };
  const template = (from: number): void => {
    let j = from;
    while (j < src.length && src[j] !== '`' && !(src[j] === '$' && src[j + 1] === '{')) j += src[j] === '\\' ? 2 : 1;
    if (src[j] === '$') braces.push(true);
    push('template', Math.min(src.length, j + (src[j] === '$' ? 2 : 1)));
  };
  while (i < src.length) {
    const space = sticky(SPACE, src, i);
    if (space >= 0) {
      i = space;
      continue;
    }
    const c = src[i]!;
    const prev = out[out.length - 1];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      push('string', Math.min(src.length, j + 1));
    } else if (c === '`') {
      template(i + 1);
    } else if (c === '}' && braces.length > 0 && braces[braces.length - 1]) {
      braces.pop();
      template(i + 1);
    } else if (c === '/' && regexpMayFollow(prev)) {
      const end = regexpEnd(src, i);
      if (end < 0) push('punct', i + 1);
      else push('regexp', end);
    } else if (/\d/.test(c) || (c === '.' && /\d/.test(src[i + 1] ?? ''))) {
      push('number', sticky(NUMBER, src, i));
    } else if (c === '#' && sticky(NAME, src, i + 1) > 0) {
      push('private', sticky(NAME, src, i + 1));
    } else {
      const name = sticky(NAME, src, i);
      if (name > 0) {
        push('name', name);
        continue;
      }
      if (c === '{') braces.push(false);
      else if (c === '}') braces.pop();
      push('punct', sticky(PUNCT, src, i));
    }
  }
  return out;
}

function regexpMayFollow(prev: Token | undefined): boolean {
  if (prev === undefined) return true;
  switch (prev.type) {
    case 'punct':
      return prev.text !== ')' && prev.text !== ']';
    case 'name':
      return BEFORE_EXPRESSION.has(prev.text);
    case 'template':
      return prev.text.endsWith('${');
    default:
      return false;
  }
}

/** End of a regexp literal starting at `start`, or -1 if the line ends first (then it was a division). */
function regexpEnd(src: string, start: number): number {
  let inClass = false;
  for (let j = start + 1; j < src.length; j++) {
    const c = src[j];
    if (c === '\n' || c === '\r') return -1;
    if (c === '\\') j++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) return sticky(FLAGS, src, j + 1);
  }
  return -1;
}

function decodeName(text: string): string {
  return text.includes('\\')
    ? text.replace(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})/g, (_, a?: string, b?: string) => String.fromCodePoint(parseInt(a ?? b ?? '0', 16)))
    : text;
}

/** Every name that occurs as an identifier and not as a `.property` (object keys included: over-inclusion is harmless). */
export function referencedNames(tokens: readonly Token[]): Set<string> {
  const names = new Set<string>();
  tokens.forEach((t, k) => {
    const prev = tokens[k - 1];
    if (t.type === 'name' && !(prev?.type === 'punct' && (prev.text === '.' || prev.text === '?.'))) names.add(decodeName(t.text));
  });
  return names;
}

/** Index of the bracket closing the one at `open`, or -1. */
function matching(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type !== 'punct') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    if (depth === 0) return k;
  }
  return -1;
}

/**
 * An expression evaluating to the function whose `toString()` is `src`. Function and
 * class expressions and arrows are parenthesized; method shorthand (`foo(x) {}`,
 * `async *foo() {}`, `get foo() {}`, `[key]() {}`) is put in an object literal and
 * picked out again (a computed key is replaced by the function's name).
 */
export function functionExpression(src: string, tokens: readonly Token[], name: string, fail: (why: string) => never): string {
  const is = (k: number, type: TokenType, text?: string): boolean =>
    tokens[k]?.type === type && (text === undefined || tokens[k]!.text === text);
  const arrowAfter = (open: number): boolean => {
    const close = matching(tokens, open);
    return close >= 0 && is(close + 1, 'punct', '=>');
  };
  const asExpression = `(${src}\n)`;
  if ((is(0, 'name', 'class') && !is(1, 'punct', '(')) || is(0, 'name', 'function')) return asExpression;
  if (is(0, 'punct', '(') || (is(0, 'name') && is(1, 'punct', '=>'))) return asExpression;
  let k = 0;
  if (is(0, 'name', 'async') && !is(1, 'punct', '(')) {
    if (is(1, 'name', 'function') || (is(1, 'name') && is(2, 'punct', '=>'))) return asExpression;
    k = 1; // async method
  } else if (is(0, 'name', 'async') && arrowAfter(1)) {
    return asExpression;
  }
  if (is(k, 'punct', '*')) k++;
  let accessor: 'Getter' | 'Setter' | undefined;
  if (k === 0 && (is(0, 'name', 'get') || is(0, 'name', 'set')) && !is(1, 'punct', '(')) {
    accessor = tokens[0]!.text === 'get' ? 'Getter' : 'Setter';
    k = 1;
  }
  const key = tokens[k];
  let body = src;
  let keyExpr: string;
  let after = k + 1;
  if (key === undefined) return fail('its source is empty.');
  if (key.type === 'name') keyExpr = JSON.stringify(decodeName(key.text));
  else if (key.type === 'string' || key.type === 'number') keyExpr = key.text;
  else if (key.type === 'punct' && key.text === '[') {
    const close = matching(tokens, k);
    if (close < 0) return fail('its computed method name could not be read.');
    keyExpr = JSON.stringify(name.replace(/^[gs]et /, '') || 'method');
    body = src.slice(0, key.start) + keyExpr + src.slice(tokens[close]!.end);
    after = close + 1;
  } else if (key.type === 'private') {
    return fail('it is a private method (#name); ship an arrow function or a module-level function instead.');
  } else {
    return fail(`its source is not a function, class or method: ${src.slice(0, 60)}`);
  }
  if (!is(after, 'punct', '(')) return fail(`its source is not a function, class or method: ${src.slice(0, 60)}`);
  return accessor === undefined ? `({ ${body}\n})[${keyExpr}]` : `({ ${body}\n}).__lookup${accessor}__(${keyExpr})`;
}

// ---------------------------------------------------------------------------------------
// `this` and writes to captured variables: mistakes a shipped function's source shows.

/** Names that, before `(...) {`, start a statement or expression rather than a method. */
const NOT_METHOD = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'function', 'return', 'typeof', 'await', 'yield', 'new', 'in', 'of', 'do', 'else', 'super', 'import', 'void', 'delete', 'throw', 'case']);

function isPunct(t: Token | undefined, text: string): boolean {
  return t?.type === 'punct' && t.text === text;
}

function afterDot(tokens: readonly Token[], k: number): boolean {
  const prev = tokens[k - 1];
  return prev?.type === 'punct' && (prev.text === '.' || prev.text === '?.');
}

/** Index of the token closing the body that opens at the first `{` at bracket depth 0 from `k`, or the last index. */
function endOfBodyFrom(tokens: readonly Token[], k: number): number {
  let depth = 0;
  for (let j = k; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.type !== 'punct') continue;
    if (depth === 0 && t.text === '{') {
      const close = matching(tokens, j);
      return close < 0 ? tokens.length - 1 : close;
    }
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
  }
  return tokens.length - 1;
}

/** At `k`, a method (`name(...) {`, `'key'(...) {`, `[key](...) {`): the index of its closing `}`, else -1. */
function methodEnd(tokens: readonly Token[], k: number): number {
  const t = tokens[k]!;
  const keyLike = (t.type === 'name' && !NOT_METHOD.has(t.text) && !afterDot(tokens, k)) || t.type === 'string' || t.type === 'number' || isPunct(t, ']');
  if (!keyLike || !isPunct(tokens[k + 1], '(')) return -1;
  const close = matching(tokens, k + 1);
  if (close < 0 || !isPunct(tokens[close + 1], '{')) return -1;
  const end = matching(tokens, close + 1);
  return end < 0 ? tokens.length - 1 : end;
}

/** Whether `tokens` are those of an arrow function (`x => ...`, `(x) => ...`, `async (x) => ...`). */
function isArrow(tokens: readonly Token[]): boolean {
  let k = 0;
  if (tokens[0]?.type === 'name' && tokens[0].text === 'async' && (isPunct(tokens[1], '(') || (tokens[1]?.type === 'name' && isPunct(tokens[2], '=>')))) k = 1;
  if (tokens[k]?.type === 'name' && isPunct(tokens[k + 1], '=>')) return true;
  if (!isPunct(tokens[k], '(')) return false;
  const close = matching(tokens, k);
  return close >= 0 && isPunct(tokens[close + 1], '=>');
}

/**
 * The `this` tokens of a function's source that mean the function's own receiver (or, in
 * an arrow, the receiver where it was written): not those inside a nested `function`, a
 * method or a class, which have a receiver of their own. A class's source has none.
 */
export function ownThisTokens(tokens: readonly Token[]): number[] {
  if (tokens[0]?.type === 'name' && tokens[0].text === 'class') return [];
  // A function, method or accessor: its own head (`function f`, `get x`, the key) is not
  // scanned as a nested method; scanning starts at its parameter list.
  let start = 0;
  if (!isArrow(tokens)) {
    start = tokens.findIndex((t) => isPunct(t, '('));
    if (start < 0) return [];
  }
  const out: number[] = [];
  for (let k = start; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type === 'name' && !afterDot(tokens, k)) {
      if (t.text === 'this') {
        // `{ this: 1 }`: a property name.
        const key = (isPunct(tokens[k - 1], '{') || isPunct(tokens[k - 1], ',')) && isPunct(tokens[k + 1], ':');
        if (!key) out.push(k);
        continue;
      }
      if (t.text === 'function' || t.text === 'class') {
        k = endOfBodyFrom(tokens, k + 1);
        continue;
      }
    }
    const end = methodEnd(tokens, k);
    if (end >= 0) k = end;
  }
  return out;
}

/** The property `this` is read for at `tokens[k]` (`this.factor` -> 'factor'), if it is a plain name. */
export function thisProperty(tokens: readonly Token[], k: number): string | undefined {
  const dot = tokens[k + 1];
  const name = tokens[k + 2];
  return dot?.type === 'punct' && (dot.text === '.' || dot.text === '?.') && name?.type === 'name' ? decodeName(name.text) : undefined;
}

const ASSIGNMENT_OPERATORS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '**=', '<<=', '>>=', '>>>=', '&=', '|=', '^=', '&&=', '||=', '??=', '++', '--']);
const OPERATOR_CHARS = /^[=+\-*/%&|^<>!?]$/;
/** Methods that change an Array, Map or Set in place. */
const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin', 'set', 'add', 'delete', 'clear']);

/** The operator spelled by the adjacent one-character punctuators from `k` (`+`, `=` -> `+=`). */
function operatorAt(tokens: readonly Token[], k: number): string {
  let op = '';
  for (let j = k; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.type !== 'punct' || !OPERATOR_CHARS.test(t.text) || (j > k && tokens[j - 1]!.end !== t.start)) break;
    op += t.text;
  }
  return op;
}

/** A write to a captured variable in a function's source: the variable and what the source does. */
export interface CapturedWrite {
  readonly name: string;
  /** The expression as written, shortened: `total += x`, `seen.add(x)`, `counts[k] = 1`. */
  readonly text: string;
}

/**
 * Writes a function's source makes to the variables in `names`: assignments (`=`, `+=`,
 * `++`, ...) to the variable or to a property or element of it, and calls of in-place
 * methods (`push`, `set`, `add`, ...) on it. A declaration of the same name (`let x =`)
 * is not one. Found from the text alone, so a local of the same name in a nested scope is
 * taken for the captured one: what it reports is a warning, never an error.
 */
export function capturedWrites(src: string, tokens: readonly Token[], names: ReadonlySet<string>): CapturedWrite[] {
  const out: CapturedWrite[] = [];
  const seen = new Set<string>();
  tokens.forEach((t, k) => {
    if (t.type !== 'name' || afterDot(tokens, k) || !names.has(decodeName(t.text))) return;
    const prev = tokens[k - 1];
    if (prev?.type === 'name' && (prev.text === 'let' || prev.text === 'const' || prev.text === 'var')) return;
    if (isPunct(prev, '{') || isPunct(prev, ',')) {
      // `{ x: 1 }` or `{ x }` in an object literal: a read, not a write.
      if (isPunct(tokens[k + 1], ':')) return;
    }
    const name = decodeName(t.text);
    // Prefix ++x / --x.
    const p1 = tokens[k - 1];
    const p2 = tokens[k - 2];
    const prefixed = p1?.type === 'punct' && p2?.type === 'punct' && p1.text === p2.text && (p1.text === '+' || p1.text === '-') && p2.end === p1.start;
    // Property chain: x.a.b, x[k], x?.a
    let j = k + 1;
    let lastProperty: string | undefined;
    for (;;) {
      const n = tokens[j];
      if ((isPunct(n, '.') || isPunct(n, '?.')) && tokens[j + 1]?.type === 'name') {
        lastProperty = tokens[j + 1]!.text;
        j += 2;
      } else if (isPunct(n, '[')) {
        const close = matching(tokens, j);
        if (close < 0) break;
        lastProperty = undefined;
        j = close + 1;
      } else break;
    }
    let end = j - 1;
    let write = prefixed;
    if (!write) {
      const op = operatorAt(tokens, j);
      if (ASSIGNMENT_OPERATORS.has(op)) {
        write = true;
        end = j + op.length - 1;
        // `x = ...`: show the first token of what is assigned.
        if (op !== '++' && op !== '--') end = Math.min(tokens.length - 1, end + 1);
      } else if (lastProperty !== undefined && MUTATORS.has(lastProperty) && isPunct(tokens[j], '(')) {
        write = true;
        const close = matching(tokens, j);
        end = close < 0 ? j : close;
      }
    }
    if (!write) return;
    let text = src.slice(prefixed ? p2!.start : t.start, tokens[end]!.end).replace(/\s+/g, ' ');
    if (text.length > 60) text = `${text.slice(0, 57)}...`;
    const key = `${name}\u0000${text}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ name, text });
  });
  return out;
}

/**
 * A parser for the subset of the packetdrill script language that TCP conformance scripts use (see
 * ../shared/testdata/tcp/packetdrill/NOTES.md and google/syntax.md): command-line options, timed events, TCP
 * packets (inbound `<`, expected outbound `>`), system calls with their expected results, shell commands and
 * Python blocks (kept, so the runner can say what it skipped). Unsupported constructs become `unsupported` events
 * instead of errors, so one script's oddity never hides the rest of the report.
 */

export type Token =
  | { t: 'num'; v: number; raw: string }
  | { t: 'word'; v: string }
  | { t: 'str'; v: string }
  | { t: 'cmd'; v: string }
  | { t: 'code'; v: string }
  | { t: 'punct'; v: string }
  | { t: 'nl' };

export interface EventTime {
  /** '+' relative to the previous event, absolute otherwise; '*' any time. */
  kind: 'abs' | 'rel' | 'any';
  t: number;
  /** Upper end of a `t1~t2` range (same kind as `t`), else null. */
  upper: number | null;
  upperRel: boolean;
  /** `t...end` on a blocking system call: when it must return. */
  end: number | null;
}

export interface TcpOptionSpec {
  kind: 'nop' | 'eol' | 'mss' | 'wscale' | 'sackOK' | 'sack' | 'ts' | 'other';
  value?: number;
  blocks?: Array<[number, number]>;
  val?: number;
  ecr?: number;
  name?: string;
}

export interface PacketEvent {
  type: 'packet';
  dir: '<' | '>';
  flags: string;
  start: number;
  end: number;
  len: number;
  ack: number | null;
  win: number | null;
  urg: number | null;
  /** null = `<...>` (do not check); undefined = none given. */
  options: TcpOptionSpec[] | null | undefined;
  ipInfo: string | null;
}

export type Arg =
  | { a: 'int'; v: number }
  | { a: 'word'; v: string }
  | { a: 'ellipsis' }
  | { a: 'str'; v: string }
  | { a: 'array'; v: Arg[] }
  | { a: 'struct'; v: Arg[] }
  | { a: 'or'; v: Arg[] };

export interface SyscallEvent {
  type: 'syscall';
  name: string;
  args: Arg[];
  ret: number;
  errno: string | null;
}

export interface OtherEvent {
  type: 'command' | 'code' | 'unsupported';
  text: string;
}

export type ScriptEvent = (PacketEvent | SyscallEvent | OtherEvent) & { time: EventTime; line: number };

export interface Script {
  options: Map<string, string>;
  events: ScriptEvent[];
}

export class ParseError extends Error {}

// --- tokenizer -------------------------------------------------------------------------------------------------

interface Lexed {
  tokens: Token[];
  lines: number[];
  options: Map<string, string>;
}

function lex(src: string): Lexed {
  const tokens: Token[] = [];
  const lines: number[] = [];
  const options = new Map<string, string>();
  let i = 0;
  let line = 1;
  let lineStart = true;
  const push = (tok: Token) => {
    tokens.push(tok);
    lines.push(line);
    lineStart = tok.t === 'nl';
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      push({ t: 'nl' });
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      const end = e < 0 ? src.length : e + 2;
      for (let k = i; k < end; k++) if (src[k] === '\n') line++;
      i = end;
      continue;
    }
    if (c === '#' && lineStart) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '-' && src[i + 1] === '-' && lineStart) {
      // --option[=value] lines.
      let e = i;
      while (e < src.length && src[e] !== '\n') e++;
      const text = src.slice(i + 2, e).trim();
      const eq = text.indexOf('=');
      if (eq < 0) options.set(text, '');
      else options.set(text.slice(0, eq).trim(), text.slice(eq + 1).trim());
      i = e;
      continue;
    }
    if (c === '`') {
      const e = src.indexOf('`', i + 1);
      const end = e < 0 ? src.length : e;
      const text = src.slice(i + 1, end);
      for (const ch of text) if (ch === '\n') line++;
      push({ t: 'cmd', v: text });
      i = end + 1;
      continue;
    }
    if (c === '%' && src[i + 1] === '{') {
      const e = src.indexOf('}%', i + 2);
      const end = e < 0 ? src.length : e;
      const text = src.slice(i + 2, end);
      push({ t: 'code', v: text });
      for (const ch of text) if (ch === '\n') line++;
      i = end + 2;
      continue;
    }
    if (c === '"') {
      let e = i + 1;
      while (e < src.length && src[e] !== '"') e += src[e] === '\\' ? 2 : 1;
      push({ t: 'str', v: src.slice(i + 1, e) });
      i = e + 1;
      continue;
    }
    if (c === '.' && src[i + 1] === '.' && src[i + 2] === '.') {
      push({ t: 'punct', v: '...' });
      i += 3;
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+|\d+\.\d+|\d+\.(?!\.)|\.\d+|\d+)/.exec(src.slice(i, i + 40));
    if (num !== null && (c !== '.' || /\d/.test(src[i + 1] ?? ''))) {
      const raw = num[0];
      // A number glued to letters is a word (e.g. 'O_RDWR' never starts with a digit, but '3ms' might).
      const after = src[i + raw.length] ?? '';
      if (/[A-Za-z_]/.test(after) && !raw.startsWith('0x')) {
        const w = /^[A-Za-z0-9_]+/.exec(src.slice(i))![0];
        push({ t: 'word', v: w });
        i += w.length;
        continue;
      }
      push({ t: 'num', v: raw.startsWith('0x') ? Number.parseInt(raw, 16) : Number.parseFloat(raw), raw });
      i += raw.length;
      continue;
    }
    const w = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 80));
    if (w !== null) {
      push({ t: 'word', v: w[0] });
      i += w[0].length;
      continue;
    }
    push({ t: 'punct', v: c });
    i++;
  }
  push({ t: 'nl' });
  return { tokens, lines, options };
}

// --- parser ----------------------------------------------------------------------------------------------------

class P {
  i = 0;
  constructor(
    readonly toks: Token[],
    readonly lines: number[],
  ) {}

  peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }

  next(): Token {
    const t = this.toks[this.i++];
    if (t === undefined) throw new ParseError('unexpected end of script');
    return t;
  }

  line(): number {
    return this.lines[Math.min(this.i, this.lines.length - 1)] ?? 0;
  }

  isP(v: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.t === 'punct' && t.v === v;
  }

  isW(v?: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.t === 'word' && (v === undefined || t.v === v);
  }

  expectP(v: string): void {
    const t = this.next();
    if (t.t !== 'punct' || t.v !== v) throw new ParseError(`line ${this.line()}: expected '${v}', got ${show(t)}`);
  }

  num(): number {
    let neg = false;
    if (this.isP('-')) {
      this.i++;
      neg = true;
    }
    const t = this.next();
    if (t.t !== 'num') throw new ParseError(`line ${this.line()}: expected a number, got ${show(t)}`);
    return neg ? -t.v : t.v;
  }

  skipNl(): void {
    while (this.peek()?.t === 'nl') this.i++;
  }

  /** Skip to the end of the line (after an unsupported construct). */
  restOfLine(): string {
    const parts: string[] = [];
    while (this.peek() !== undefined && this.peek()!.t !== 'nl') parts.push(show(this.next()));
    return parts.join(' ');
  }
}

function show(t: Token): string {
  switch (t.t) {
    case 'num':
      return t.raw;
    case 'word':
    case 'punct':
      return t.v;
    case 'str':
      return `"${t.v}"`;
    case 'cmd':
      return `\`${t.v}\``;
    case 'code':
      return '%{…}%';
    case 'nl':
      return 'end of line';
  }
}

function parseTime(p: P): EventTime {
  if (p.isP('*')) {
    p.i++;
    return { kind: 'any', t: 0, upper: null, upperRel: false, end: null };
  }
  let rel = false;
  if (p.isP('+')) {
    p.i++;
    rel = true;
  }
  const t = p.num();
  let upper: number | null = null;
  let upperRel = false;
  if (p.isP('~')) {
    p.i++;
    if (p.isP('+')) {
      p.i++;
      upperRel = true;
    }
    upper = p.num();
  }
  let end: number | null = null;
  if (p.isP('...')) {
    p.i++;
    end = p.num();
  }
  return { kind: rel ? 'rel' : 'abs', t, upper, upperRel, end };
}

function parseOptions(p: P): TcpOptionSpec[] | null {
  p.expectP('<');
  if (p.isP('...')) {
    p.i++;
    p.expectP('>');
    return null;
  }
  const out: TcpOptionSpec[] = [];
  for (;;) {
    const t = p.next();
    if (t.t !== 'word') throw new ParseError(`line ${p.line()}: bad TCP option ${show(t)}`);
    switch (t.v) {
      case 'nop':
        out.push({ kind: 'nop' });
        break;
      case 'eol':
        out.push({ kind: 'eol' });
        break;
      case 'mss':
        out.push({ kind: 'mss', value: p.num() });
        break;
      case 'wscale':
        out.push({ kind: 'wscale', value: p.num() });
        break;
      case 'sackOK':
        out.push({ kind: 'sackOK' });
        break;
      case 'sack': {
        const blocks: Array<[number, number]> = [];
        while (p.peek()?.t === 'num') {
          const a = p.num();
          p.expectP(':');
          blocks.push([a, p.num()]);
        }
        out.push({ kind: 'sack', blocks });
        break;
      }
      case 'TS': {
        if (!p.isW('val')) throw new ParseError(`line ${p.line()}: expected 'val'`);
        p.i++;
        const val = p.num();
        if (!p.isW('ecr')) throw new ParseError(`line ${p.line()}: expected 'ecr'`);
        p.i++;
        out.push({ kind: 'ts', val, ecr: p.num() });
        break;
      }
      default: {
        // FO (fast open), md5, exp... : kept as 'other'; the runner reports the script as unsupported.
        const parts = [t.v];
        while (!p.isP(',') && !p.isP('>') && p.peek()?.t !== 'nl') parts.push(show(p.next()));
        out.push({ kind: 'other', name: parts.join(' ') });
      }
    }
    if (p.isP(',')) {
      p.i++;
      continue;
    }
    p.expectP('>');
    return out;
  }
}

function parsePacket(p: P): PacketEvent | OtherEvent {
  const dir = (p.next() as { v: string }).v as '<' | '>';
  let ipInfo: string | null = null;
  if (p.isP('[') || p.isP('(')) {
    const close = p.isP('[') ? ']' : ')';
    p.i++;
    const parts: string[] = [];
    while (!p.isP(close)) parts.push(show(p.next()));
    p.i++;
    ipInfo = parts.join(' ');
  }
  if (p.isW('udp') || p.isW('icmp') || p.isW('ipv4') || p.isW('ipv6') || p.isW('gre') || p.isW('mpls')) {
    return { type: 'unsupported', text: `${dir} ${p.restOfLine()}` };
  }
  // Optional port info "A > B".
  if (p.peek()?.t === 'num' && p.isP('>', 1)) {
    return { type: 'unsupported', text: `${dir} explicit ports ${p.restOfLine()}` };
  }
  let flags = '';
  while (p.isW() || p.isP('.') || p.isP('-')) {
    const t = p.next() as { v: string };
    flags += t.v === '-' ? '' : t.v;
  }
  if (!/^[SFRP.EWU]*$/.test(flags)) throw new ParseError(`line ${p.line()}: bad TCP flags '${flags}'`);
  const start = p.num();
  p.expectP(':');
  const end = p.num();
  p.expectP('(');
  const len = p.num();
  p.expectP(')');
  let ack: number | null = null;
  let win: number | null = null;
  let urg: number | null = null;
  let options: TcpOptionSpec[] | null | undefined;
  for (;;) {
    if (p.isW('ack')) {
      p.i++;
      ack = p.num();
    } else if (p.isW('win')) {
      p.i++;
      win = p.num();
    } else if (p.isW('urg')) {
      p.i++;
      urg = p.num();
    } else if (p.isP('<')) {
      options = parseOptions(p);
    } else {
      break;
    }
  }
  return { type: 'packet', dir, flags, start, end, len, ack, win, urg, options, ipInfo };
}

function parseArg(p: P): Arg {
  let a = parseArg1(p);
  while (p.isP('|')) {
    p.i++;
    const b = parseArg1(p);
    a = a.a === 'or' ? { a: 'or', v: [...a.v, b] } : { a: 'or', v: [a, b] };
  }
  if (p.isP('=')) {
    // name = expression (in structs): keep the value.
    p.i++;
    return parseArg(p);
  }
  return a;
}

function parseArg1(p: P): Arg {
  if (p.isP('...')) {
    p.i++;
    return { a: 'ellipsis' };
  }
  if (p.isP('[') || p.isP('{')) {
    const close = p.isP('[') ? ']' : '}';
    const kind = close === ']' ? 'array' : 'struct';
    p.i++;
    const items: Arg[] = [];
    p.skipNl();
    while (!p.isP(close)) {
      items.push(parseArg(p));
      p.skipNl();
      if (p.isP(',')) p.i++;
      p.skipNl();
    }
    p.i++;
    return { a: kind, v: items };
  }
  const t = p.peek();
  if (t?.t === 'num' || p.isP('-')) return { a: 'int', v: p.num() };
  if (t?.t === 'str') {
    p.i++;
    if (p.isP('...')) p.i++;
    return { a: 'str', v: t.v };
  }
  if (t?.t === 'word') {
    p.i++;
    if (p.isP('(')) {
      // htons(8080), inet_addr("..."): a call, kept as its inner value.
      p.i++;
      const inner = p.isP(')') ? ({ a: 'ellipsis' } as Arg) : parseArg(p);
      p.expectP(')');
      return inner;
    }
    return { a: 'word', v: t.v };
  }
  throw new ParseError(`line ${p.line()}: bad argument ${t ? show(t) : 'end'}`);
}

function parseSyscall(p: P): SyscallEvent {
  const name = (p.next() as { v: string }).v;
  p.expectP('(');
  const args: Arg[] = [];
  p.skipNl();
  while (!p.isP(')')) {
    args.push(parseArg(p));
    p.skipNl();
    if (p.isP(',')) p.i++;
    p.skipNl();
  }
  p.i++;
  p.expectP('=');
  const ret = p.num();
  let errno: string | null = null;
  if (p.isW()) errno = (p.next() as { v: string }).v;
  if (p.isP('(')) {
    // A note: "(Operation now in progress)" or "(flags O_RDWR)".
    let depth = 0;
    do {
      const t = p.next();
      if (t.t === 'punct' && t.v === '(') depth++;
      if (t.t === 'punct' && t.v === ')') depth--;
    } while (depth > 0);
  }
  return { type: 'syscall', name, args, ret, errno };
}

/**
 * The C preprocessor's #ifdef/#else/#endif as the FreeBSD suite uses them: `defines` are taken (default STANDARD,
 * the branch with the RFC behaviour; the FreeBSD branch checks FreeBSD internals). Skipped lines become blank so
 * line numbers stay right.
 */
function preprocess(src: string, defines: ReadonlySet<string>): string {
  const out: string[] = [];
  const stack: boolean[] = [];
  for (const line of src.split('\n')) {
    const m = /^\s*#\s*(ifdef|ifndef|else|endif)\b\s*(\w*)/.exec(line);
    if (m !== null) {
      if (m[1] === 'ifdef') stack.push(defines.has(m[2]!));
      else if (m[1] === 'ifndef') stack.push(!defines.has(m[2]!));
      else if (m[1] === 'else' && stack.length > 0) stack.push(!stack.pop()!);
      else if (m[1] === 'endif') stack.pop();
      out.push('');
      continue;
    }
    out.push(stack.every((x) => x) ? line : '');
  }
  return out.join('\n');
}

/** Parse a script. Throws ParseError (with a line number) on syntax it does not know. */
export function parseScript(src: string, defines: ReadonlySet<string> = new Set(['STANDARD'])): Script {
  const { tokens, lines, options } = lex(preprocess(src, defines));
  const p = new P(tokens, lines);
  const events: ScriptEvent[] = [];
  for (;;) {
    p.skipNl();
    const t = p.peek();
    if (t === undefined) break;
    const line = p.line();
    if (t.t === 'cmd' || t.t === 'code') {
      // A leading init/cleanup command without a time.
      p.i++;
      events.push({ type: t.t === 'cmd' ? 'command' : 'code', text: t.v, time: relZero(), line });
      continue;
    }
    const time = parseTime(p);
    const a = p.peek();
    if (a === undefined) throw new ParseError(`line ${line}: event without an action`);
    let ev: PacketEvent | SyscallEvent | OtherEvent;
    if (a.t === 'punct' && (a.v === '<' || a.v === '>')) ev = parsePacket(p);
    else if (a.t === 'cmd') {
      p.i++;
      ev = { type: 'command', text: a.v };
    } else if (a.t === 'code') {
      p.i++;
      ev = { type: 'code', text: a.v };
    } else if (a.t === 'word' && p.isP('(', 1)) ev = parseSyscall(p);
    else throw new ParseError(`line ${line}: unknown event starting with ${show(a)}`);
    events.push({ ...ev, time, line });
    if (p.peek() !== undefined && p.peek()!.t !== 'nl') {
      throw new ParseError(`line ${p.line()}: unexpected ${show(p.peek()!)} after the event`);
    }
  }
  return { options, events };
}

function relZero(): EventTime {
  return { kind: 'rel', t: 0, upper: null, upperRel: false, end: null };
}

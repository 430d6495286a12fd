/**
 * Wireshark's verbose text (`tshark -V`) as a tree: one node per line, children by indentation (4 spaces a level).
 * Lines are classified as bit fields (`.... ..10 = Label: value`), labelled values (`Label: value`) or headings.
 */

export interface TNode {
  text: string;
  /** 1-based line number in the text, for messages. */
  line: number;
  depth: number;
  children: TNode[];
  parent: TNode | null;
}

export function parseTree(text: string): TNode[] {
  const roots: TNode[] = [];
  const stack: TNode[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const indent = raw.length - raw.trimStart().length;
    const depth = Math.floor(indent / 4);
    while (stack.length && stack[stack.length - 1].depth >= depth) stack.pop();
    const parent = stack.length ? stack[stack.length - 1] : null;
    const node: TNode = { text: raw.trim(), line: i + 1, depth, children: [], parent };
    (parent ? parent.children : roots).push(node);
    stack.push(node);
  });
  return roots;
}

/** Top-level nodes per frame ("Frame N: ..." starts a frame). */
export function splitFrames(roots: TNode[]): TNode[][] {
  const frames: TNode[][] = [];
  for (const n of roots) {
    if (/^Frame \d+:/.test(n.text)) frames.push([]);
    frames[frames.length - 1]?.push(n);
  }
  return frames;
}

export interface BitLine {
  kind: 'bits';
  label: string;
  valueText: string;
  /** Value of the field (the pattern's digits as a binary number). */
  value: number;
  /** Position of the field's least significant bit in the displayed integer, and its width. */
  lsb: number;
  width: number;
  /** Width of the displayed integer (pattern length). */
  span: number;
}

export interface ValueLine {
  kind: 'value';
  label: string;
  valueText: string;
}

export interface Heading {
  kind: 'heading';
  label: string;
}

export type Line = BitLine | ValueLine | Heading;

export function classify(text: string): Line {
  const bits = /^([01.][01. ]*?) = ([^:]+?): ?(.*)$/.exec(text);
  if (bits && /^[01. ]+$/.test(bits[1])) {
    const pattern = bits[1].replace(/ /g, '');
    let value = 0;
    let width = 0;
    let lsb = -1;
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '.') continue;
      value = value * 2 + (c === '1' ? 1 : 0);
      width++;
      lsb = pattern.length - 1 - i;
    }
    return { kind: 'bits', label: bits[2].trim(), valueText: bits[3], value, lsb, width, span: pattern.length };
  }
  const kv = /^([^:]+?): (.*)$/.exec(text);
  if (kv) return { kind: 'value', label: kv[1].trim(), valueText: kv[2] };
  return { kind: 'heading', label: text.replace(/:$/, '') };
}

/** The number a value text shows: "(0x8c)" or "(4)" at the end, or a leading 0x / decimal number. */
export function numberOf(valueText: string): number | null {
  const paren = /\((0x[0-9a-fA-F]+|\d+)\)\s*$/.exec(valueText);
  if (paren) return Number(paren[1]);
  const lead = /^(0x[0-9a-fA-F]+|-?\d+)\b/.exec(valueText.trim());
  return lead ? Number(lead[1]) : null;
}

export function findChild(nodes: TNode[], re: RegExp): TNode | undefined {
  return nodes.find((n) => re.test(n.text));
}

/**
 * Compare what airstack decodes from an element (or fixed fields) with Wireshark's verbose dissection of it.
 *
 * Our side is a "view": named fields at absolute bit positions (from the codecs' bit layouts and decoded values),
 * plus checks for labelled values. Wireshark's side is its text tree. Every bit-field line is placed at an absolute
 * bit (its pattern's position plus the base of the group it belongs to) and must hit one of our fields there: the
 * same value, and the same name (compared loosely, with aliases where Wireshark's wording differs); "Reserved" lines
 * may cover fields we name (802.11 assigned them after Wireshark 4.0). Every other line must be explained by a
 * value check, a group check or an explicit ignore, so nothing tshark shows for a decoded element goes unchecked.
 */
import { classify, numberOf, type TNode } from './tshark-tree.ts';

export interface VField {
  name: string;
  bit: number;
  width: number;
  value: number;
}

export interface View {
  fields: VField[];
  /** Lines whose label matches are groups: their descendants' bit patterns start at the returned bit. */
  groups: [RegExp, (m: RegExpExecArray, node: TNode) => number][];
  /** A line whose own label matches takes this base (overrides the group of its ancestors). */
  labelBase?: [RegExp, number][];
  /** Checks of labelled values: return null when right, else what is wrong. */
  values: [RegExp, (text: string, node: TNode) => string | null][];
  /** Lines (with their subtrees) that carry nothing we decode, or that repeat what children show. */
  ignore: RegExp[];
  /** Headings that only group other lines. */
  headings?: RegExp[];
  /** normalized Wireshark label → our field name. */
  aliases?: Record<string, string>;
  /** Labels of bit fields that are parts of one of our fields (or parts of several): checked by value only. */
  subfields?: RegExp[];
}

/** Loose name comparison: case and punctuation ignored, but "<=", ">" and "<" kept apart. */
export function norm(s: string): string {
  return s
    .replace(/<=/g, 'le')
    .replace(/>/g, 'gt')
    .replace(/</g, 'lt')
    .toLowerCase()
    .replace(/minimum/g, 'min')
    .replace(/maximum/g, 'max')
    .replace(/[^a-z0-9]/g, '');
}

/** Fields of a bit layout with decoded values, at `base`. */
export function layoutFields(
  layout: readonly (readonly [string, number, number])[],
  values: object,
  base = 0,
  prefix = '',
): VField[] {
  const v = values as Record<string, number>;
  return layout.map(([name, bit, width]) => ({ name: prefix + name, bit: base + bit, width, value: v[name] }));
}

const GLOBAL_IGNORE = [/^(Ext )?Tag (Number|length)$/, /^\[/];

function isReserved(label: string): boolean {
  return /^Reserved\b/.test(label);
}

export function checkView(root: TNode, view: View): string[] {
  const problems: string[] = [];
  const say = (n: TNode, msg: string) => problems.push(`line ${n.line} "${n.text}": ${msg}`);

  const groupBase = (n: TNode): number | null => {
    const c = classify(n.text);
    for (const [re, base] of view.labelBase ?? []) if (re.test(c.label)) return base;
    for (let a = n.parent; a && a !== root; a = a.parent) {
      const ac = classify(a.text);
      if (ac.kind === 'bits') return groupBase(a);
      for (const [re, f] of view.groups) {
        const m = re.exec(ac.label) ?? re.exec(a.text);
        if (m) return f(m, a);
      }
    }
    return null;
  };

  /** Our value for bits [abs, abs + width): the field there, or the bits of whichever fields cover them. */
  const valueAt = (abs: number, width: number): { value: number; exact: VField | null } | null => {
    const exact = view.fields.find((f) => f.bit === abs && f.width === width);
    if (exact) return { value: exact.value, exact };
    let value = 0;
    for (let b = 0; b < width; b++) {
      const f = view.fields.find((x) => x.bit <= abs + b && abs + b < x.bit + x.width);
      if (!f) return null;
      value += (Math.floor(f.value / 2 ** (abs + b - f.bit)) % 2) * 2 ** b;
    }
    return { value, exact: null };
  };

  const visit = (n: TNode) => {
    const c = classify(n.text);
    if ([...GLOBAL_IGNORE, ...view.ignore].some((re) => re.test(c.label))) return;
    if (c.kind === 'bits') {
      const base = groupBase(n);
      if (base === null) say(n, 'no group gives this bit field a position');
      else {
        const abs = base + c.lsb;
        const got = valueAt(abs, c.width);
        if (got === null) say(n, `no field of ours covers bits ${abs}..${abs + c.width - 1}`);
        else {
          if (got.value !== c.value)
            say(n, `value ${c.value} but we decode ${got.value} (${got.exact?.name ?? `bits ${abs}..`})`);
          if (got.exact && !isReserved(c.label)) {
            const alias = view.aliases?.[norm(c.label)];
            if (norm(c.label) !== norm(got.exact.name) && alias !== got.exact.name)
              say(n, `named "${c.label}" by Wireshark but "${got.exact.name}" by us`);
          } else if (!got.exact && !isReserved(c.label) && !(view.subfields ?? []).some((re) => re.test(c.label)))
            say(n, `bits ${abs}..${abs + c.width - 1} are not one field of ours`);
        }
      }
    } else {
      const check = view.values.find(([re]) => re.test(c.label));
      const group = view.groups.find(([re]) => re.test(c.label) || re.test(n.text));
      if (check) {
        const err = check[1](c.kind === 'value' ? c.valueText : '', n);
        if (err) say(n, err);
      } else if (group && c.kind === 'value') {
        const shown = numberOf(c.valueText);
        const hexDigits = /^0x([0-9a-fA-F]+)/.exec(c.valueText.trim())?.[1].length;
        if (shown !== null && hexDigits) {
          const base = group[1]((group[0].exec(c.label) ?? group[0].exec(n.text)) as RegExpExecArray, n);
          const got = valueAt(base, hexDigits * 4);
          if (got === null) say(n, `no fields of ours cover bits ${base}..${base + hexDigits * 4 - 1}`);
          else if (got.value !== shown) say(n, `group value ${shown} but our fields make ${got.value}`);
        }
      } else if (!group && !(view.headings ?? []).some((re) => re.test(c.label))) say(n, 'not checked by us');
    }
    for (const ch of n.children) visit(ch);
  };
  for (const ch of root.children) visit(ch);
  return problems;
}

/** A value check that compares the number Wireshark shows with ours. */
export function num(expected: () => number | null | undefined): (text: string) => string | null {
  return (text) => {
    const e = expected();
    const n = numberOf(text);
    return n === e ? null : `shows ${n}, we decode ${e}`;
  };
}

/** A value check on sequential lines with the same label: the i-th line against the i-th expected value. */
export function sequence<T>(
  items: () => readonly T[],
  check: (item: T | undefined, text: string, i: number) => string | null,
): (text: string) => string | null {
  let i = 0;
  return (text) => {
    const k = i++;
    return check(items()[k], text, k);
  };
}

/**
 * The comparison of our decoded management frames with Wireshark's verbose text, frame by frame.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapturedFrame } from '../../mac80211/capture.ts';
import { Elements } from '../../mac80211/elements/elements.ts';
import type { Frame } from '../../mac80211/frame/frame.ts';
import { readCapture } from '../../netstack/pcap/reader.ts';
import { elementView, fixedView } from './element-views.ts';
import { checkView } from './tshark-check.ts';
import { findChild, parseTree, splitFrames, type TNode } from './tshark-tree.ts';

/** Our decoded frames of a capture, in order (null where we reject one). */
export function ourFrames(file: string): (Frame | null)[] {
  const cap = readCapture(readFileSync(file));
  return cap.records.map((r) => {
    const d = decodeCapturedFrame(r.linkType, r.data, { fcsLength: cap.interfaces[r.interfaceId]?.fcsLength });
    return d.ok ? d.value.frame : null;
  });
}

export interface Stats {
  elements: number;
  checkedElements: number;
  lines: number;
}

/** Compare one frame's "IEEE 802.11 Wireless Management" tree with our decode; returns the problems. */
export function compareFrame(treeFrame: TNode[], ours: Frame | null, where: string, stats: Stats): string[] {
  const mgmt = treeFrame.find((n) => n.text === 'IEEE 802.11 Wireless Management');
  if (!mgmt) return [];
  if (ours?.type !== 'mgmt')
    return [`${where}: Wireshark dissects management fields, we did not decode a management frame`];
  const problems: string[] = [];
  const body = ours.body;
  const fixed = findChild(mgmt.children, /^Fixed parameters/);
  if (fixed) problems.push(...checkView(fixed, fixedView(body)).map((p) => `${where} fixed: ${p}`));
  const tagged = findChild(mgmt.children, /^Tagged parameters/);
  const els = 'elements' in body && body.elements instanceof Elements ? body.elements : null;
  if (!tagged) return problems;
  if (!els) return [...problems, `${where}: Wireshark shows tagged parameters, we have no elements`];
  const refs = [...els];
  const tags = tagged.children.filter((n) => /^(Ext )?Tag: /.test(n.text));
  if (tags.length !== refs.length)
    problems.push(`${where}: Wireshark shows ${tags.length} tags, we walk ${refs.length} elements`);
  tags.forEach((tag, i) => {
    const ref = refs[i];
    if (!ref) return;
    stats.elements++;
    const num = tag.children.find((c) => /^Tag Number: /.test(c.text))?.text;
    const extNum = tag.children.find((c) => /^Ext Tag Number: /.test(c.text))?.text;
    if (!num?.endsWith(`(${ref.id})`)) problems.push(`${where} tag ${i}: "${num}" but our element ID is ${ref.id}`);
    if (ref.id === 255 && !extNum?.endsWith(`(${ref.ext})`))
      problems.push(`${where} tag ${i}: "${extNum}" but our extension ID is ${ref.ext}`);
    const view = elementView(ref.id, ref.ext, els.buf.subarray(ref.offset, ref.offset + ref.length));
    if (!view) return;
    stats.checkedElements++;
    stats.lines += countLines(tag);
    problems.push(...checkView(tag, view).map((p) => `${where} ${tag.text}: ${p}`));
  });
  return problems;
}

function countLines(n: TNode): number {
  return n.children.reduce((s, c) => s + 1 + countLines(c), 0);
}

export function mergedVerbose(files: string[]): TNode[][] {
  const dir = mkdtempSync(join(tmpdir(), 'airstack-verbose-'));
  try {
    const merged = join(dir, 'all.pcapng');
    const m = spawnSync('mergecap', ['-a', '-w', merged, ...files], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`mergecap failed: ${m.stderr}`);
    const t = spawnSync('tshark', ['-n', '-r', merged, '-V'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (t.status !== 0) throw new Error(`tshark failed: ${t.stderr}`);
    return splitFrames(parseTree(t.stdout));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

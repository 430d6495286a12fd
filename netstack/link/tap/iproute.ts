/**
 * The few iproute2 operations the TAP link and the interop harness need (`ip link`, `ip netns`), run
 * synchronously: they are setup and teardown, never the data path. `ip -j` output is parsed as JSON.
 */
import { spawnSync } from 'node:child_process';
import { TapError } from './errors.ts';

export interface LinkState {
  name: string;
  ifindex: number;
  mtu: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** The kernel side's MAC address. */
  address: string;
}

export interface IpResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run `ip [-n netns] args...` and return what happened (never throws for a non-zero exit). */
export function ipTry(args: readonly string[], netns?: string): IpResult {
  const full = netns ? ['-n', netns, ...args] : [...args];
  const r = spawnSync('ip', full, { encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new TapError(
      code === 'ENOENT' ? "the 'ip' command is missing: install iproute2" : `cannot run ip: ${r.error.message}`,
      code === 'ENOENT' ? 'no-ip' : code,
    );
  }
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr.trim() };
}

/** Run `ip [-n netns] args...`; a failure throws a TapError quoting ip's own message. */
export function ip(args: readonly string[], netns?: string): string {
  const r = ipTry(args, netns);
  if (r.status !== 0) {
    const where = netns ? `ip -n ${netns}` : 'ip';
    throw new TapError(`${where} ${args.join(' ')} failed: ${r.stderr || `exit ${r.status}`}`, 'ip');
  }
  return r.stdout;
}

/** The state of link `name` (in `netns`), or null when it does not exist. */
export function linkState(name: string, netns?: string): LinkState | null {
  const r = ipTry(['-j', 'link', 'show', 'dev', name], netns);
  if (r.status !== 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    return null;
  }
  const l = Array.isArray(parsed) ? (parsed[0] as Record<string, unknown> | undefined) : undefined;
  if (!l) return null;
  const flags = Array.isArray(l.flags) ? (l.flags as string[]) : [];
  return {
    name: String(l.ifname ?? name),
    ifindex: Number(l.ifindex ?? 0),
    mtu: Number(l.mtu ?? 1500),
    up: flags.includes('UP'),
    address: String(l.address ?? ''),
  };
}

/** `ip -d link show` says `tun type tap` for TAP devices. */
export function isTapLink(name: string, netns?: string): boolean {
  const r = ipTry(['-d', '-j', 'link', 'show', 'dev', name], netns);
  if (r.status !== 0) return false;
  try {
    const l = (JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0];
    const info = l?.linkinfo as { info_kind?: string; info_data?: { type?: string } } | undefined;
    return info?.info_kind === 'tun' && info.info_data?.type === 'tap';
  } catch {
    return false;
  }
}

export function setLinkUp(name: string, up: boolean, netns?: string): void {
  ip(['link', 'set', 'dev', name, up ? 'up' : 'down'], netns);
}

export function setLinkMtu(name: string, mtu: number, netns?: string): void {
  ip(['link', 'set', 'dev', name, 'mtu', String(mtu)], netns);
}

export function moveLinkToNetns(name: string, netns: string): void {
  ip(['link', 'set', 'dev', name, 'netns', netns]);
}

export function netnsExists(netns: string): boolean {
  const r = ipTry(['netns', 'list']);
  if (r.status !== 0) return false;
  return r.stdout.split('\n').some((line) => line.split(' ')[0] === netns);
}

export function addNetns(netns: string): void {
  ip(['netns', 'add', netns]);
}

/** Delete a network namespace; returns false (and does not throw) when it was already gone. */
export function delNetns(netns: string): boolean {
  return ipTry(['netns', 'del', netns]).status === 0;
}

/** Linux interface names: 1..15 bytes, no '/', ':' or whitespace (dev_valid_name). */
export function validIfName(name: string): boolean {
  return (
    name.length > 0 &&
    Buffer.byteLength(name) <= 15 &&
    name !== '.' &&
    name !== '..' &&
    !/[/:%\s]/.test(name) &&
    !/[\x00-\x1f\x7f]/.test(name)
  );
}

/** `ip netns` names become files under /run/netns: no '/', not '.' or '..', no whitespace. */
export function validNetnsName(name: string): boolean {
  return name.length > 0 && name.length <= 64 && name !== '.' && name !== '..' && !/[/\s]/.test(name);
}

/**
 * Kernel-side DHCP peers for the interop tests: a dhclient-script of our own and polling waits.
 */
import { existsSync, readFileSync } from 'node:fs';

/**
 * A dhclient-script that configures the address only (Debian's would rewrite /etc/resolv.conf, which a network
 * namespace shares with the host) and appends what it was told to `log` (dhclient runs its script with a clean
 * environment, so the path is written into it). Lines: reason, address, mask, routers, DNS servers, domain, lease.
 */
export function dhclientScript(log: string): string {
  return `#!/bin/sh
echo "$reason $new_ip_address $new_subnet_mask $new_routers $new_domain_name_servers $new_domain_name $new_dhcp_lease_time" >> ${log}
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT) ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
  RELEASE|EXPIRE|STOP) [ -n "$old_ip_address" ] && ip -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface" ;;
esac
exit 0
`;
}

/** Poll `cond` on the real clock. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * dhclient runs its script before it writes the lease to its lease file, and `dhclient -r` releases only what that
 * file holds: wait for it.
 */
export async function waitForLeaseFile(path: string): Promise<void> {
  await waitFor(
    () => existsSync(path) && readFileSync(path, 'utf8').includes('lease {'),
    10_000,
    "dhclient's lease file",
  );
}

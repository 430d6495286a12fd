/**
 * Error numbers returned by the stack's low-level APIs (socket calls, IPv4 output), with Linux's values and Node's
 * code names, so that a Node-compatible wrapper can turn them into the errors Node programs expect. Functions
 * return 0 or a negative errno (-EMSGSIZE), as the kernel does internally.
 */
export const EPERM = 1;
export const EAGAIN = 11;
export const EACCES = 13;
export const EINVAL = 22;
export const EPROTO = 71;
export const EMSGSIZE = 90;
export const ENOPROTOOPT = 92;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETUNREACH = 101;
export const ENOBUFS = 105;
export const EISCONN = 106;
export const ENOTCONN = 107;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
export const EHOSTUNREACH = 113;
export const EBADF = 9;
export const EDESTADDRREQ = 89;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM',
  [EBADF]: 'EBADF',
  [EAGAIN]: 'EAGAIN',
  [EACCES]: 'EACCES',
  [EINVAL]: 'EINVAL',
  [EPROTO]: 'EPROTO',
  [EDESTADDRREQ]: 'EDESTADDRREQ',
  [EMSGSIZE]: 'EMSGSIZE',
  [ENOPROTOOPT]: 'ENOPROTOOPT',
  [EADDRINUSE]: 'EADDRINUSE',
  [EADDRNOTAVAIL]: 'EADDRNOTAVAIL',
  [ENETUNREACH]: 'ENETUNREACH',
  [ENOBUFS]: 'ENOBUFS',
  [EISCONN]: 'EISCONN',
  [ENOTCONN]: 'ENOTCONN',
  [ETIMEDOUT]: 'ETIMEDOUT',
  [ECONNREFUSED]: 'ECONNREFUSED',
  [EHOSTUNREACH]: 'EHOSTUNREACH',
};

/** 'EMSGSIZE' for 90 or -90. */
export function errnoName(err: number): string {
  return NAMES[Math.abs(err)] ?? `E${Math.abs(err)}`;
}

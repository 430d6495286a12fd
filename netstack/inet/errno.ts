/**
 * Error numbers returned by the stack's low-level APIs (socket calls, IPv4 output), with Linux's values and Node's
 * code names, so that a Node-compatible wrapper can turn them into the errors Node programs expect. Functions
 * return 0 or a negative errno (-EMSGSIZE), as the kernel does internally. The one table of errno values: TCP's
 * error codes (tcp/types.ts TCP_ERRNO) are built from it.
 */
export const EPERM = 1;
export const ENOENT = 2;
export const EBADF = 9;
export const EAGAIN = 11;
export const EACCES = 13;
export const EEXIST = 17;
export const EINVAL = 22;
export const EMFILE = 24;
export const EPIPE = 32;
export const ENONET = 64;
export const EPROTO = 71;
export const ENOTSOCK = 88;
export const EDESTADDRREQ = 89;
export const EMSGSIZE = 90;
export const EPROTOTYPE = 91;
export const ENOPROTOOPT = 92;
export const EOPNOTSUPP = 95;
export const EAFNOSUPPORT = 97;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETDOWN = 100;
export const ENETUNREACH = 101;
export const ECONNABORTED = 103;
export const ECONNRESET = 104;
export const ENOBUFS = 105;
export const EISCONN = 106;
export const ENOTCONN = 107;
export const ESHUTDOWN = 108;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
export const EHOSTDOWN = 112;
export const EHOSTUNREACH = 113;
export const EALREADY = 114;
export const EINPROGRESS = 115;

/** Every errno above by its code name ('EMSGSIZE' → 90). */
export const ERRNO_BY_NAME: Readonly<Record<string, number>> = {
  EPERM,
  ENOENT,
  EBADF,
  EAGAIN,
  EACCES,
  EEXIST,
  EINVAL,
  EMFILE,
  EPIPE,
  ENONET,
  EPROTO,
  ENOTSOCK,
  EDESTADDRREQ,
  EMSGSIZE,
  EPROTOTYPE,
  ENOPROTOOPT,
  EOPNOTSUPP,
  EAFNOSUPPORT,
  EADDRINUSE,
  EADDRNOTAVAIL,
  ENETDOWN,
  ENETUNREACH,
  ECONNABORTED,
  ECONNRESET,
  ENOBUFS,
  EISCONN,
  ENOTCONN,
  ESHUTDOWN,
  ETIMEDOUT,
  ECONNREFUSED,
  EHOSTDOWN,
  EHOSTUNREACH,
  EALREADY,
  EINPROGRESS,
};

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(ERRNO_BY_NAME).map(([k, v]) => [v, k]));

/** 'EMSGSIZE' for 90 or -90. */
export function errnoName(err: number): string {
  return NAMES[Math.abs(err)] ?? `E${Math.abs(err)}`;
}

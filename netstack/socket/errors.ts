/**
 * Errors as Node reports them from its socket layer: an Error with `errno` (negative, libuv style), `code`,
 * `syscall` and, for connect/bind/send, `address` and `port` — so code written for node:net and node:dgram that
 * looks at `err.code === 'ECONNREFUSED'` works unchanged. Errno values are Linux's.
 */
import { ERRNO_BY_NAME } from '../inet/errno.ts';
import { TCP_ERRNO } from '../tcp/types.ts';

/** Linux errno values of every code the socket layers report. */
export const ERRNO: Readonly<Record<string, number>> = { ...TCP_ERRNO, ...ERRNO_BY_NAME };

/** libuv's UV_EAI_NONAME, what Node reports as ENOTFOUND. */
const UV_EAI_NONAME = -3008;

export interface SystemError extends Error {
  errno: number;
  code: string;
  syscall: string;
  address?: string;
  port?: number;
  hostname?: string;
}

function make(message: string, code: string, syscall: string): SystemError {
  const e = new Error(message) as SystemError;
  e.errno = -(ERRNO[code] ?? 0);
  e.code = code;
  e.syscall = syscall;
  return e;
}

/** Node's ErrnoException: "read ECONNRESET". */
export function errnoError(code: string, syscall: string): SystemError {
  return make(`${syscall} ${code}`, code, syscall);
}

/** Node's ExceptionWithHostPort: "connect ECONNREFUSED 10.0.0.2:80" (+ " - Local (10.0.0.1:4000)"). */
export function hostPortError(
  code: string,
  syscall: string,
  address: string,
  port: number | undefined,
  local?: string,
): SystemError {
  const where = port !== undefined && port > 0 ? `${address}:${port}` : address;
  const e = make(`${syscall} ${code} ${where}${local ? ` - Local (${local})` : ''}`, code, syscall);
  e.address = address;
  if (port !== undefined && port > 0) e.port = port;
  return e;
}

/** What a failed name lookup looks like in Node (dns.lookup → getaddrinfo ENOTFOUND). */
export function notFoundError(hostname: string, why?: string): SystemError {
  const e = make(`getaddrinfo ENOTFOUND ${hostname}${why ? ` (${why})` : ''}`, 'ENOTFOUND', 'getaddrinfo');
  e.errno = UV_EAI_NONAME;
  e.hostname = hostname;
  return e;
}

/** Node's internal ERR_* errors (thrown for misuse): a TypeError/RangeError/Error with `code`. */
export function nodeError<T extends Error>(Ctor: new (m: string) => T, code: string, message: string): T {
  const e = new Ctor(message) as T & { code: string };
  e.code = code;
  return e;
}

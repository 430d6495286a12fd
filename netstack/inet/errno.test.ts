import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { EHOSTDOWN, EMSGSIZE, ERRNO_BY_NAME, errnoName } from './errno.ts';

describe('errno', () => {
  it.runIf(process.platform === 'linux')("has Linux's value for every code (Node's os.constants.errno)", () => {
    const linux = constants.errno as Record<string, number | undefined>;
    const unlisted: string[] = [];
    for (const [name, value] of Object.entries(ERRNO_BY_NAME)) {
      if (linux[name] === undefined) unlisted.push(name);
      else expect([name, value]).toEqual([name, linux[name]]);
    }
    // Node (libuv) does not list these; Linux's asm-generic/errno.h gives 64, 108 and 112.
    expect(unlisted.sort()).toEqual(['EHOSTDOWN', 'ENONET', 'ESHUTDOWN']);
  });

  it('names an errno of either sign, and an unknown one by its number', () => {
    expect(errnoName(-EMSGSIZE)).toBe('EMSGSIZE');
    expect(errnoName(EHOSTDOWN)).toBe('EHOSTDOWN');
    expect(errnoName(-4095)).toBe('E4095');
  });
});

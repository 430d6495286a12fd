import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.ts';

describe('Fifo', () => {
  it('behaves like an array used as a queue', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant<'shift'>('shift')), { maxLength: 300 }), (ops) => {
        const f = new Fifo<number>(2);
        const model: number[] = [];
        for (const op of ops) {
          if (op === 'shift') expect(f.shift()).toBe(model.shift());
          else {
            f.push(op);
            model.push(op);
          }
          expect(f.length).toBe(model.length);
          expect(f.peek()).toBe(model[0]);
          expect(f.at(model.length - 1)).toBe(model[model.length - 1]);
        }
        const rest: number[] = [];
        f.drain((x) => rest.push(x));
        expect(rest).toEqual(model);
        expect(f.length).toBe(0);
      }),
    );
  });
});

/** MT7961 firmware images: formats, validation, download plans, finding them on disk, synthetic images. */
export * from './chips.ts';
export * from './dlmode.ts';
export * from './errors.ts';
export { displayText } from './fields.ts';
export * from './image.ts';
export * from './locate.ts';
export * from './patch.ts';
export * from './ram.ts';
export * from './synthetic.ts';
export * from './summary.ts';

/** 802.11 frames: Frame Control helpers, header, bodies, whole-frame decode/encode and builders. */
export * from './action.ts';
export * from './build.ts';
export * from './ctrl.ts';
export * from './data.ts';
export * from './fc.ts';
export * from './frame.ts';
export * from './header.ts';
export * from './mgmt.ts';
export * from './security.ts';

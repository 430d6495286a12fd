import { describe, expect, it } from 'vitest';
import { Ac } from '../driver-ops.ts';
import { Elements, concatBytes } from '../elements/elements.ts';
import { heCapabilitiesCodec, heOperationCodec } from '../elements/he.ts';
import { htCapabilitiesCodec, htOperationCodec, htRxMcs } from '../elements/ht.ts';
import { vhtCapabilitiesCodec, vhtOperationCodec } from '../elements/vht.ts';
import {
  heCapsElement,
  heOperationElement,
  htCapsElement,
  htOperationElement,
  parseWmmParams,
  ratesElements,
  ratesOf,
  STA_EDCA,
  vhtCapsElement,
  vhtOperationElement,
  wmmInfoElement,
  wmmParamElement,
} from './caps.ts';

const body = (el: Uint8Array, ext = false) => el.subarray(ext ? 3 : 2);

describe('capability elements', () => {
  it('rates: eight in Supported Rates, the rest extended, basic flagged', () => {
    const els = ratesElements(ratesOf([10, 20, 55, 110, 60, 90, 120, 180, 240, 360, 480, 540], [10, 20, 55, 110]));
    expect(els).toHaveLength(2);
    expect(Array.from(els[0]!)).toEqual([1, 8, 0x82, 0x84, 0x8b, 0x96, 12, 18, 24, 36]);
    expect(Array.from(els[1]!)).toEqual([50, 4, 48, 72, 96, 108]);
  });

  it('HT, VHT and HE decode with their codecs to what was asked', () => {
    const ht = htCapabilitiesCodec.decode(body(htCapsElement(2, true)));
    expect(ht.ok && htRxMcs(ht.value)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(ht.ok && ht.value.supportedChannelWidthSet).toBe(1);
    const op = htOperationCodec.decode(body(htOperationElement(11)));
    expect(op.ok && op.value.primaryChannel).toBe(11);
    const vht = vhtCapabilitiesCodec.decode(body(vhtCapsElement(2)));
    expect(vht.ok && vht.value.rxMcsMap).toBe(0xfffa);
    expect(vhtOperationCodec.decode(body(vhtOperationElement(2))).ok).toBe(true);
    const he = heCapabilitiesCodec.decode(body(heCapsElement('5g', 2), true));
    expect(he.ok && he.value.mcs80).toEqual({ rx: 0xfffa, tx: 0xfffa });
    expect(he.ok && he.value.phy.channelWidthSet).toBe(2);
    const heop = heOperationCodec.decode(body(heOperationElement(5), true));
    expect(heop.ok && heop.value.bssColor).toBe(5);
  });

  it('WMM: the parameters an AP sends are the ones a station reads back', () => {
    const e = Elements.of(concatBytes([wmmInfoElement(), wmmParamElement()]));
    const p = parseWmmParams(e);
    expect(p).not.toBeNull();
    for (const ac of [Ac.VO, Ac.VI, Ac.BE, Ac.BK]) expect(p!.get(ac)).toEqual(STA_EDCA[ac]);
    expect(parseWmmParams(Elements.of(wmmInfoElement()))).toBeNull();
  });
});

/**
 * The Wi-Fi 7 association requests of wlanpi-profiler: EHT Capabilities decoded with the context of the frame
 * (HE channel widths, band from radiotap) and the Multi-Link element's Basic common info and per-STA profiles.
 * Wireshark 4.0 does not dissect these elements, so the expectations here are the octets read by hand against
 * 802.11be-2024 (9.4.2.312, 9.4.2.323); the checks are in test/captures/verbose.test.ts for the raw octets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { macToString } from '../../mac80211/addr.ts';
import { decodeCapturedFrame } from '../../mac80211/capture.ts';
import {
  decodeEhtCapabilities,
  EID_EXT,
  Elements,
  ehtCapabilitiesCodec,
  heCapabilitiesCodec,
  multiLinkCodec,
} from '../../mac80211/elements/index.ts';
import { frequencyToChannel } from '../../mac80211/channel.ts';
import { readCapture } from '../../netstack/pcap/reader.ts';
import { missingShared, sharedPath } from '../support/shared.ts';

const dir = sharedPath('testdata/80211/wlanpi-profiler');
const files = dir
  ? readdirSync(dir)
      .filter((f) => f.startsWith('wifi7_'))
      .sort()
  : [];

function assocElements(file: string): { els: Elements; freq: number } {
  const cap = readCapture(readFileSync(join(dir as string, file)));
  const r = decodeCapturedFrame(cap.records[0].linkType, cap.records[0].data);
  if (!r.ok || r.value.frame.type !== 'mgmt' || r.value.frame.body.kind !== 'assoc-req')
    throw new Error(`${file}: no association request`);
  return { els: r.value.frame.body.elements, freq: r.value.radiotap?.fields.channel?.freq ?? 0 };
}

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : null);

describe('Wi-Fi 7 association requests', () => {
  it.skipIf(files.length === 0)(
    files.length
      ? `${files.length} captures: EHT Capabilities the same with the frame's context and without`
      : missingShared('wlanpi-profiler'),
    () => {
      expect(files.length).toBe(5);
      for (const f of files) {
        const { els, freq } = assocElements(f);
        const he = heCapabilitiesCodec.decode(els.findExt(EID_EXT.HE_CAPABILITY) as Uint8Array);
        if (!he.ok) throw new Error(`${f}: ${he.detail}`);
        const body = els.findExt(EID_EXT.EHT_CAPABILITY) as Uint8Array;
        const band = freq > 5925 ? '6g' : freq > 3000 ? '5g' : '2g';
        const withCtx = decodeEhtCapabilities(body, {
          heChannelWidthSet: he.value.phy.channelWidthSet,
          fromAp: false,
          band,
        });
        const guessed = ehtCapabilitiesCodec.decode(body);
        if (!withCtx.ok || !guessed.ok) throw new Error(`${f}: EHT rejected`);
        expect(withCtx.value, f).toEqual(guessed.value);
        expect(withCtx.value.extra.length, f).toBe(0);
        expect(frequencyToChannel(freq), f).toBeGreaterThan(0);
      }
    },
  );

  it.skipIf(files.length === 0)(
    files.length ? 'OnePlus 11: EHT capabilities and the Basic Multi-Link element' : missingShared('wlanpi-profiler'),
    () => {
      const { els } = assocElements('wifi7_OnePlus11_Android15.pcapng');
      const eht = ehtCapabilitiesCodec.decode(els.findExt(EID_EXT.EHT_CAPABILITY) as Uint8Array);
      if (!eht.ok) throw new Error(eht.detail);
      // MAC 0x0007: EPCS priority access, EHT OM control, triggered TXOP sharing mode 1.
      expect([
        eht.value.mac.epcsPriorityAccessSupport,
        eht.value.mac.ehtOmControlSupport,
        eht.value.mac.triggeredTxopSharingMode1Support,
      ]).toEqual([1, 1, 1]);
      // PHY e0 6f 09 00 10 36 88 0e 03: SU beamformee, beamformee SS <= 80 = 7, 160 = 3...
      expect(eht.value.phy).toMatchObject({
        suBeamformer: 1,
        suBeamformee: 1,
        beamformeeSsLessOrEqual80MHz: 7,
        beamformeeSs160MHz: 3,
        support320MHzIn6GHz: 0,
      });
      expect([hex(eht.value.mcsNss.le80MHz), hex(eht.value.mcsNss.bw160MHz)]).toEqual(['222222', '222222']);

      const ml = multiLinkCodec.decode(els.findExt(EID_EXT.EHT_MULTI_LINK) as Uint8Array);
      if (!ml.ok) throw new Error(ml.detail);
      expect(ml.value.type).toBe(0);
      expect(ml.value.basic && macToString(ml.value.basic.mldMacAddress)).toBe('26:aa:64:6a:cc:7f');
      expect(ml.value.basic).toMatchObject({ linkId: null, mldCapabilities: 0x0021, emlCapabilities: null });
      expect(ml.value.perStaProfiles).toHaveLength(1);
      const p = ml.value.perStaProfiles[0];
      expect(p).toMatchObject({ linkId: 0, completeProfile: true });
      expect(p.staMacAddress && macToString(p.staMacAddress)).toBe('30:bb:7d:4d:c1:2b');
      // The STA profile of an association request: Capability Information, then well-formed elements.
      expect(Elements.of(p.profile.subarray(2)).check()).toBeNull();
      expect(Elements.of(p.profile.subarray(2)).count()).toBeGreaterThan(3);
    },
  );
});

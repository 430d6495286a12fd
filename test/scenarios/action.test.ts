/**
 * Block Ack setup and unhandled action frames between an AP and a station associated for real (WPA2, hwsim, virtual
 * time): what each answers, read back from the air by a monitor. A BSS that only connects and pings carries no
 * action frame at all.
 */
import { describe, expect } from 'vitest';
import { macToString } from '../../mac80211/addr.ts';
import { baParams, delbaParams } from '../../mac80211/frame/action.ts';
import { buildAction, buildAddbaReq, buildDelba, frameToSkb } from '../../mac80211/frame/build.ts';
import { STYPE } from '../../mac80211/frame/fc.ts';
import type { Frame } from '../../mac80211/frame/frame.ts';
import { decodeFrame, type MgmtFrame } from '../../mac80211/frame/frame.ts';
import { Status } from '../../mac80211/mlme/codes.ts';
import type { ApNode, StationNode, World } from '../../mac80211/world/world.ts';
import { story } from './story.ts';

const SSID = 'airstack';
const PASS = 'correct horse battery';

interface Heard {
  from: string;
  to: string;
  frame: MgmtFrame;
}

/** Every action frame on the air (decoded), from now on. */
function actionsOnAir(w: World): Heard[] {
  const heard: Heard[] = [];
  w.medium.addMonitor((ev) => {
    if (ev.kind !== 'frame' || ev.frame[0] !== STYPE.ACTION) return;
    const d = decodeFrame(ev.frame);
    // Recorded as undecodable (the test then fails on the frame's fields, not inside the medium).
    if (!d.ok || d.value.type !== 'mgmt') {
      heard.push({ from: '?', to: '?', frame: null as unknown as MgmtFrame });
      return;
    }
    const h = d.value.header;
    heard.push({ from: macToString(h.addr2!), to: macToString(h.addr1), frame: d.value });
  });
  return heard;
}

async function bss(w: World): Promise<{ ap: ApNode; sta: StationNode; heard: Heard[] }> {
  const heard = actionsOnAir(w);
  const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6 });
  const sta = await w.addStation();
  await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
  return { ap, sta, heard };
}

/** Send `f` through a node's mac80211, as its MLME would (to its associated peer). */
function send(node: ApNode | StationNode, peer: Uint8Array, f: Frame): void {
  const sta = node.sdata.staGet(peer);
  expect(sta?.associated).toBe(true);
  node.local.txMgmt(node.sdata, frameToSkb(f, { headroom: 64 }), { sta });
}

const PARAMS = baParams({ amsdu: true, immediate: true, tid: 6, bufferSize: 64 });

describe('scenario: action frames in an associated BSS', () => {
  story('the station refuses the AP’s ADDBA Request; the AP refuses the station’s', async (w) => {
    const { ap, sta, heard } = await bss(w);
    const r = await w.settle(sta.stack.ping(ap.ip, { count: 3, interval: 100 }));
    expect(r.received).toBe(3);
    // Connecting and pinging send no action frame (the demo's air and counters stay as they were).
    expect(heard).toEqual([]);
    const bssid = ap.sdata.addr;
    const staAddr = sta.sdata.addr;

    send(
      ap,
      staAddr,
      buildAddbaReq({ da: staAddr, sa: bssid, bssid, dialogToken: 42, params: PARAMS, timeout: 0, startSeq: 17 }),
    );
    await w.sleep(50);
    expect(heard.map((h) => [h.from, h.to])).toEqual([
      [macToString(bssid), macToString(staAddr)],
      [macToString(staAddr), macToString(bssid)],
    ]);
    const resp = heard[1]!.frame;
    expect(macToString(resp.header.addr3!)).toBe(macToString(bssid));
    expect(resp.body).toMatchObject({
      kind: 'action',
      action: {
        kind: 'addba-resp',
        dialogToken: 42,
        status: Status.REQUEST_DECLINED,
        params: baParams({ amsdu: false, immediate: true, tid: 6, bufferSize: 64 }),
        timeout: 0,
      },
    });
    expect(sta.local.actionStats).toMatchObject({ addbaReq: 1, addbaRespSent: 1, addbaDeclined: 1 });
    // The AP's side of the story: the refusal answers nothing it asked for.
    expect(ap.local.actionStats).toMatchObject({ addbaResp: 1, addbaRespUnsolicited: 1 });

    heard.length = 0;
    send(
      sta,
      bssid,
      buildAddbaReq({ da: bssid, sa: staAddr, bssid, dialogToken: 7, params: PARAMS, timeout: 300, startSeq: 0 }),
    );
    await w.sleep(50);
    expect(heard.map((h) => h.from)).toEqual([macToString(staAddr), macToString(bssid)]);
    expect(heard[1]!.frame.body).toMatchObject({
      action: { kind: 'addba-resp', dialogToken: 7, status: Status.REQUEST_DECLINED, timeout: 300 },
    });
    expect(macToString(heard[1]!.frame.header.addr3!)).toBe(macToString(bssid));
    expect(sta.mlme.wpaState).toBe('COMPLETED');
  });

  story(
    'a DELBA with no session is ignored; an unknown category comes back with bit 7, a broadcast one does not',
    async (w) => {
      const { ap, sta, heard } = await bss(w);
      const bssid = ap.sdata.addr;
      const staAddr = sta.sdata.addr;
      send(
        ap,
        staAddr,
        buildDelba({ da: staAddr, sa: bssid, bssid, params: delbaParams({ initiator: true, tid: 0 }), reason: 39 }),
      );
      await w.sleep(50);
      expect(heard).toHaveLength(1);
      expect(sta.local.actionStats).toMatchObject({ delba: 1, delbaNoSession: 1 });

      heard.length = 0;
      const data = Uint8Array.of(1, 2, 3, 4);
      send(ap, staAddr, buildAction({ da: staAddr, sa: bssid, bssid, action: { kind: 'raw', category: 0x55, data } }));
      const bcast = new Uint8Array(6).fill(0xff);
      ap.local.txMgmt(
        ap.sdata,
        frameToSkb(buildAction({ da: bcast, sa: bssid, bssid, action: { kind: 'raw', category: 0x56, data } })),
      );
      await w.sleep(50);
      // The return may go on air before or after the broadcast (two senders, one channel).
      expect(heard.map((h) => `${h.from}>${h.to}`).sort()).toEqual(
        [
          `${macToString(bssid)}>${macToString(staAddr)}`,
          `${macToString(bssid)}>ff:ff:ff:ff:ff:ff`,
          `${macToString(staAddr)}>${macToString(bssid)}`,
        ].sort(),
      );
      const back = heard.find((h) => h.from === macToString(staAddr))!;
      expect(back.frame.body).toMatchObject({ action: { kind: 'raw', category: 0xd5 } });
      const body = back.frame.body;
      expect(body.kind === 'action' && body.action.kind === 'raw' ? [...body.action.data] : null).toEqual([...data]);
      expect(sta.local.actionStats.returned).toBe(1);
      expect(sta.local.rxStats.drop['action-unknown-mcast']).toBe(1);
      // The AP does not return the returned frame.
      expect(ap.local.rxStats.drop['action-rejected-response']).toBe(1);
      expect(ap.local.actionStats.returned).toBe(0);
    },
  );
});

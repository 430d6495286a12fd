import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedPath, missingShared } from '../../test/support/shared.ts';
import { haveTshark, tshark } from '../../test/support/tshark.ts';
import { formatIpv4 } from '../inet/addr.ts';
import { captureFrames } from '../testing/capture.ts';
import { decodeFrame } from '../testing/host.ts';
import {
  BOOTREPLY,
  BOOTREQUEST,
  DHCP_OPTIONS_OFFSET,
  type DhcpMessage,
  DhcpType,
  Opt,
  decodeDhcp,
  domainSearchBytes,
  encodeDhcp,
  messageType,
  newDhcpMessage,
  optAddr,
  optAddrs,
  optDomainSearch,
  optString,
  stringBytes,
  u32Bytes,
} from './message.ts';

function decodeOk(b: Uint8Array): DhcpMessage {
  const m = decodeDhcp(b);
  if (typeof m === 'string') throw new Error(`decode failed: ${m}`);
  return m;
}

const mac = Uint8Array.from([2, 0, 0, 0, 0, 1]);

describe('DHCP codec', () => {
  it('encodes the fixed header, the cookie and options, and decodes them back', () => {
    const m = newDhcpMessage(BOOTREQUEST, 0x12345678, mac);
    m.flags = 0x8000;
    m.secs = 3;
    m.options.set(Opt.MESSAGE_TYPE, Uint8Array.of(DhcpType.DISCOVER));
    m.options.set(Opt.REQUESTED_IP, u32Bytes(0x0a000005));
    m.options.set(Opt.HOSTNAME, stringBytes('box'));
    m.options.set(224, Uint8Array.of(1, 2, 3)); // private use: kept as bytes
    const b = encodeDhcp(m);
    expect(b.length).toBe(300); // padded to the BOOTP minimum
    expect(b.readUInt32BE(236)).toBe(0x63825363);
    expect([...b.subarray(240, 243)]).toEqual([53, 1, 1]);
    const d = decodeOk(b);
    expect(d.xid).toBe(0x12345678);
    expect(d.flags).toBe(0x8000);
    expect(messageType(d)).toBe(DhcpType.DISCOVER);
    expect(optAddr(d, Opt.REQUESTED_IP)).toBe(0x0a000005);
    expect(optString(d, Opt.HOSTNAME)).toBe('box');
    expect([...d.options.get(224)!]).toEqual([1, 2, 3]);
    expect([...d.chaddr.subarray(0, 6)]).toEqual([...mac]);
  });

  it('splits long options into 255-byte instances and concatenates them again (RFC 3396)', () => {
    const m = newDhcpMessage(BOOTREPLY, 1, mac);
    const long = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
    m.options.set(Opt.DNS, long.subarray(0, 400));
    m.options.set(120, long);
    const b = encodeDhcp(m, { maxSize: 1500 });
    // First instance of option 6: 255 bytes, then another of 145.
    expect(b[240]).toBe(6);
    expect(b[241]).toBe(255);
    expect(b[240 + 257]).toBe(6);
    expect(b[240 + 258]).toBe(145);
    const d = decodeOk(b);
    expect([...d.options.get(Opt.DNS)!]).toEqual([...long.subarray(0, 400)]);
    expect([...d.options.get(120)!]).toEqual([...long]);
  });

  it('overflows options into file and sname with option 52 when they do not fit', () => {
    const m = newDhcpMessage(BOOTREPLY, 2, mac);
    m.options.set(Opt.MESSAGE_TYPE, Uint8Array.of(DhcpType.ACK));
    for (let c = 200; c < 207; c++) m.options.set(c, new Uint8Array(60).fill(c));
    const b = encodeDhcp(m, { maxSize: 548 });
    expect(b.length).toBeLessThanOrEqual(548);
    expect([...b.subarray(240, 243)]).toEqual([52, 1, 3]); // both file and sname used
    const d = decodeOk(b);
    expect(d.options.size).toBe(8);
    for (let c = 200; c < 207; c++) expect(d.options.get(c)!.every((x) => x === c)).toBe(true);
    expect(d.file.length).toBe(0);
    expect(d.sname.length).toBe(0);
  });

  it('reads options from the file field before sname when overloaded, concatenating in that order', () => {
    const b = Buffer.alloc(300);
    b[0] = BOOTREPLY;
    b.writeUInt32BE(0x63825363, 236);
    Buffer.from([52, 1, 3, 77, 2, 0x61, 0x62, 255]).copy(b, 240);
    Buffer.from([77, 1, 0x63, 255]).copy(b, 108); // file
    Buffer.from([77, 1, 0x64, 255]).copy(b, 44); // sname
    const d = decodeOk(b);
    expect(Buffer.from(d.options.get(77)!).toString()).toBe('abcd');
    expect(d.options.has(52)).toBe(false);
  });

  it('decodes a BOOTP message without a cookie, and refuses malformed ones with a reason', () => {
    const b = Buffer.alloc(300);
    b[0] = BOOTREQUEST;
    const d = decodeOk(b);
    expect(d.dhcp).toBe(false);
    expect(d.options.size).toBe(0);
    expect(decodeDhcp(b.subarray(0, 200))).toBe('short');
    b[0] = 9;
    expect(decodeDhcp(b)).toBe('bad-op');
    b[0] = 1;
    b[2] = 17;
    expect(decodeDhcp(b)).toBe('bad-hlen');
    b[2] = 6;
    b.writeUInt32BE(0x63825363, 236);
    b[240] = 53;
    b[241] = 200;
    expect(decodeDhcp(b)).toBe('truncated-option');
    Buffer.from([52, 1, 4, 255]).copy(b, 240);
    expect(decodeDhcp(b)).toBe('bad-overload');
  });

  it('tolerates pad bytes and a missing end option', () => {
    const b = Buffer.alloc(247);
    b[0] = BOOTREQUEST;
    b.writeUInt32BE(0x63825363, 236);
    Buffer.from([0, 0, 53, 1, 3, 0, 0]).copy(b, 240);
    expect(messageType(decodeOk(b))).toBe(DhcpType.REQUEST);
  });

  it('reads option 119 with compression pointers (the RFC 3397 example) and writes it back', () => {
    const m = newDhcpMessage(BOOTREPLY, 1, mac);
    const rfc = [3, ...Buffer.from('eng'), 5, ...Buffer.from('apple'), 3, ...Buffer.from('com'), 0];
    rfc.push(9, ...Buffer.from('marketing'), 0xc0, 4);
    m.options.set(Opt.DOMAIN_SEARCH, Uint8Array.from(rfc));
    expect(optDomainSearch(m)).toEqual(['eng.apple.com', 'marketing.apple.com']);
    m.options.set(Opt.DOMAIN_SEARCH, domainSearchBytes(['a.example', 'b.example.']));
    expect(optDomainSearch(m)).toEqual(['a.example', 'b.example']);
    // Forward and self pointers, truncation, over-long labels: undefined, never a throw or a loop.
    for (const bad of [[0xc0, 0], [0xc0, 5, 0], [3, 97, 98], [64, ...new Array(64).fill(97), 0], [0xc0]]) {
      m.options.set(Opt.DOMAIN_SEARCH, Uint8Array.from(bad));
      expect(optDomainSearch(m)).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        m.options.set(Opt.DOMAIN_SEARCH, b);
        optDomainSearch(m);
      }),
      { numRuns: 2000 },
    );
    const label = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
    fc.assert(
      fc.property(
        fc.array(
          fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
          { minLength: 1, maxLength: 5 },
        ),
        (names) => {
          m.options.set(Opt.DOMAIN_SEARCH, domainSearchBytes(names));
          expect(optDomainSearch(m)).toEqual(names);
        },
      ),
    );
  });

  const optionsArb = fc.uniqueArray(
    fc.tuple(
      fc.integer({ min: 1, max: 254 }).filter((c) => c !== Opt.OVERLOAD),
      fc.uint8Array({ maxLength: 300 }),
    ),
    { selector: (e) => e[0], maxLength: 12 },
  );

  const messageArb = fc.record({
    op: fc.constantFrom(BOOTREQUEST, BOOTREPLY),
    xid: fc.nat(),
    secs: fc.integer({ min: 0, max: 0xffff }),
    flags: fc.integer({ min: 0, max: 0xffff }),
    ciaddr: fc.nat(),
    yiaddr: fc.nat(),
    siaddr: fc.nat(),
    giaddr: fc.nat(),
    chaddr: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    options: optionsArb,
  });

  it('round-trips random messages (property)', () => {
    fc.assert(
      fc.property(messageArb, (r) => {
        const m = newDhcpMessage(r.op, r.xid, r.chaddr);
        Object.assign(m, { secs: r.secs, flags: r.flags, ciaddr: r.ciaddr, yiaddr: r.yiaddr });
        Object.assign(m, { siaddr: r.siaddr, giaddr: r.giaddr });
        for (const [c, v] of r.options) m.options.set(c, v);
        let b: Buffer;
        try {
          b = encodeDhcp(m, { maxSize: 1500 });
        } catch {
          return; // too many options for 1500 bytes: the encoder says so
        }
        expect(b.length).toBeLessThanOrEqual(1500);
        const d = decodeOk(b);
        expect({ ...d, options: [...d.options] }).toEqual({ ...m, options: [...m.options] });
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random or truncated input (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        decodeDhcp(bytes);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(messageArb, fc.nat(), fc.uint8Array({ maxLength: 64 }), (r, cut, noise) => {
        const m = newDhcpMessage(r.op, r.xid, r.chaddr);
        for (const [c, v] of r.options.slice(0, 3)) m.options.set(c, v);
        const b = encodeDhcp(m, { maxSize: 1500 });
        b.set(noise.subarray(0, Math.max(0, b.length - DHCP_OPTIONS_OFFSET)), DHCP_OPTIONS_OFFSET);
        decodeDhcp(b.subarray(0, cut % (b.length + 1)));
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// External captures, checked field by field against Wireshark's dissector

function dhcpCaptures(): string[] {
  const out: string[] = [];
  const charrua = sharedPath('testdata', 'net', 'dhcp');
  if (charrua) for (const f of readdirSync(charrua)) if (f.endsWith('.pcap')) out.push(join(charrua, f));
  const tcpdump = sharedPath('testdata', 'net', 'tcpdump-tests');
  if (tcpdump) for (const f of readdirSync(tcpdump)) if (/^dhcp-.*\.pcap(ng)?$/.test(f)) out.push(join(tcpdump, f));
  return out;
}

const files = dhcpCaptures();

describe.skipIf(files.length === 0)(
  `DHCP captures ${files.length === 0 ? missingShared('testdata/net/dhcp') : ''}`,
  () => {
    it.each(files.map((f) => [f.split('/').slice(-1)[0]!, f]))('decodes every DHCP packet of %s', (_name, file) => {
      const { frames } = captureFrames(file);
      let n = 0;
      const decoded: Array<{ frame: number; m: DhcpMessage }> = [];
      frames.forEach((raw, i) => {
        const f = decodeFrame(raw);
        if (!f.udp || !f.ipPayload) return;
        const ports = [f.udp.srcPort, f.udp.dstPort];
        if (!ports.includes(67) && !ports.includes(68)) return;
        const m = decodeOk(f.ipPayload.subarray(8, f.udp.length));
        n++;
        decoded.push({ frame: i + 1, m });
        // Re-encoding gives the same options and header fields.
        const again = decodeOk(encodeDhcp(m, { maxSize: 1500 }));
        expect([...again.options]).toEqual([...m.options]);
        expect(again.xid).toBe(m.xid);
      });
      expect(n).toBeGreaterThan(0);
      if (!haveTshark()) return;
      const fields = ['frame.number', 'dhcp.id', 'dhcp.ip.client', 'dhcp.ip.your', 'dhcp.hw.mac_addr'];
      fields.push('dhcp.option.dhcp', 'dhcp.option.type', 'dhcp.option.requested_ip_address');
      fields.push('dhcp.option.dhcp_server_id', 'dhcp.option.ip_address_lease_time', 'dhcp.option.router');
      const out = tshark([
        '-n',
        '-r',
        file,
        '-Y',
        'dhcp',
        '-T',
        'fields',
        '-E',
        'separator=|',
        ...fields.flatMap((x) => ['-e', x]),
      ]);
      const rows = out
        .trim()
        .split('\n')
        .map((l) => l.split('|'));
      expect(rows.length).toBe(n);
      for (const row of rows) {
        const [frame, id, ci, yi, hw, type, codes, req, sid, lease, router] = row;
        const got = decoded.find((d) => d.frame === Number(frame));
        expect(got, `frame ${frame}`).toBeDefined();
        const m = got!.m;
        expect(m.xid).toBe(Number(id));
        expect(formatIpv4(m.ciaddr)).toBe(ci);
        expect(formatIpv4(m.yiaddr)).toBe(yi);
        expect(Buffer.from(m.chaddr.subarray(0, 6)).toString('hex')).toBe(hw!.split(',')[0]!.replaceAll(':', ''));
        expect(String(messageType(m) ?? '')).toBe(type);
        // tshark lists every option instance incl. pad/end; ours are the distinct codes.
        const theirs = [...new Set(codes!.split(',').map(Number))].filter((c) => c !== 0 && c !== 255 && c !== 52);
        expect([...m.options.keys()].sort((a, b) => a - b)).toEqual(theirs.sort((a, b) => a - b));
        if (req) expect(formatIpv4(optAddr(m, Opt.REQUESTED_IP)!)).toBe(req);
        if (sid) expect(formatIpv4(optAddr(m, Opt.SERVER_ID)!)).toBe(sid);
        if (lease) expect(optAddr(m, Opt.LEASE_TIME)).toBe(Number(lease));
        if (router) expect(optAddrs(m, Opt.ROUTER)!.map(formatIpv4).join(',')).toBe(router);
      }
    });
  },
);

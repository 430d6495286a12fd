/**
 * For each element airstack decodes: the view (fields, groups, value checks) that tshark-check.ts compares with
 * Wireshark's dissection. Everything here reads our decoders' output; Wireshark's labels appear only to say which
 * of our fields a line is about.
 */
import { macToString } from '../../mac80211/addr.ts';
import type { ActionBody } from '../../mac80211/frame/action.ts';
import { CAPABILITY_LAYOUT, type MgmtBody } from '../../mac80211/frame/mgmt.ts';
import {
  bssLoadCodec,
  countryCodec,
  decodeHePpeThresholds,
  dsParamsCodec,
  EID,
  EID_EXT,
  EXT_CAP,
  extCapabilitiesCodec,
  HE_6GHZ_CAPABILITIES_LAYOUT,
  HE_MAC_CAPABILITIES_LAYOUT,
  HE_PHY_CAPABILITIES_LAYOUT,
  HT_CAPABILITIES_LAYOUT,
  HT_OPERATION_LAYOUT,
  he6ghzCapabilitiesCodec,
  heCapabilitiesCodec,
  htCapabilitiesCodec,
  htOperationCodec,
  mobilityDomainCodec,
  OUI_MICROSOFT,
  type Rsn,
  powerCapabilityCodec,
  powerConstraintCodec,
  RM_CAPABILITIES_LAYOUT,
  RSN_CAPABILITIES_LAYOUT,
  RSNX_LAYOUT,
  rateToString,
  rmCapabilitiesCodec,
  rsnCapabilities,
  rsnCodec,
  rsnxCodec,
  ssidCodec,
  ssidToDisplay,
  supportedChannelsCodec,
  supportedOperatingClassesCodec,
  supportedRatesCodec,
  extSupportedRatesCodec,
  timAids,
  timCodec,
  VHT_CAPABILITIES_LAYOUT,
  vhtCapabilitiesCodec,
  vhtOperationCodec,
  wmmInformationCodec,
  wmmParameterCodec,
  wpaCodec,
  wpsCodec,
} from '../../mac80211/elements/index.ts';
import type { ParseResult } from '../../mac80211/parse.ts';
import { layoutFields, num, sequence, type VField, type View } from './tshark-check.ts';
import { numberOf, type TNode } from './tshark-tree.ts';

/** A view of an element whose lines are all labelled values. */
function valuesView(values: View['values']): View {
  return { fields: [], groups: [], values, ignore: [] };
}

function must<T>(r: ParseResult<T>, what: string): T {
  if (!r.ok) throw new Error(`${what}: our decoder rejected it (${r.reason}: ${r.detail})`);
  return r.value;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
type Group = [RegExp, (m: RegExpExecArray, node: TNode) => number];
const octet = (re: RegExp): Group => [re, (m) => (Number(m[1]) - 1) * 8];
const at = (re: RegExp, base: number): Group => [re, () => base];

/** Bit fields of a plain number at `bit` (for groups like "Bitmap control: 0x00" whose children split it). */
function numberField(name: string, bit: number, width: number, value: number): VField {
  return { name, bit, width, value };
}

function suiteChecks(prefix: string, suites: () => readonly number[]) {
  const oui = (s: number | undefined) =>
    s === undefined
      ? '?'
      : [s >>> 24, (s >>> 16) & 0xff, (s >>> 8) & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return [
    [
      new RegExp(`^${prefix} OUI$`),
      sequence(suites, (s, text) => (text.startsWith(oui(s)) ? null : `OUI ${text}, we decode ${oui(s)}`)),
    ],
    [
      new RegExp(`^${prefix} type$`),
      sequence(suites, (s, text) =>
        numberOf(text) === (s === undefined ? undefined : s & 0xff)
          ? null
          : `type ${text}, we decode ${s === undefined ? '?' : s & 0xff}`,
      ),
    ],
  ] as [RegExp, (t: string) => string | null][];
}

/** The group cipher, pairwise cipher and AKM lines shared by the RSN and WPA elements. */
function cipherAkmLines(v: Rsn, group: string, pairwise: string): View['values'] {
  return [
    [new RegExp(`^${group} Cipher Suite$`), () => null],
    ...suiteChecks(`${group} Cipher Suite`, () => (v.groupCipher === null ? [] : [v.groupCipher])),
    [new RegExp(`^${pairwise} Cipher Suite Count$`), num(() => v.pairwiseCiphers?.length)],
    [new RegExp(`^${pairwise} Cipher Suite( List .*)?$`), () => null],
    ...suiteChecks(`${pairwise} Cipher Suite`, () => v.pairwiseCiphers ?? []),
    [/^Auth Key Management \(AKM\) Suite Count$/, num(() => v.akms?.length)],
    [/^Auth Key Management \(AKM\) (Suite|List .*)$/, () => null],
    ...suiteChecks('Auth Key Management \\(AKM\\)', () => v.akms ?? []),
  ];
}

function ratesView(codec: typeof supportedRatesCodec, body: Uint8Array, label: string): View {
  const v = must(codec.decode(body), label);
  return valuesView([
    [
      new RegExp(`^${label}$`),
      sequence(
        () => v.rates,
        (r, text) => {
          if (!r) return 'more rates than we decode';
          const octetShown = numberOf(text);
          const ours = r.value | (r.basic ? 0x80 : 0);
          if (octetShown !== ours) return `octet ${octetShown}, ours ${ours}`;
          const name = text.replace(/ \(0x[0-9a-f]+\)$/, '');
          return /^\d/.test(name) && name !== rateToString(r) ? `shown as ${name}, ours ${rateToString(r)}` : null;
        },
      ),
    ],
  ]);
}

const EXT_CAP_WIDTH: Record<string, number> = { SERVICE_INTERVAL_GRANULARITY: 3, MAX_MSDUS_IN_AMSDU: 2 };

/** Extended capabilities as fields: every named bit, and a 1-bit reserved field for every other bit. */
function extCapFields(bits: Uint8Array): VField[] {
  const fields: VField[] = [];
  const named = new Map<number, [string, number]>();
  for (const [k, bit] of Object.entries(EXT_CAP)) named.set(bit, [k, EXT_CAP_WIDTH[k] ?? 1]);
  for (let b = 0; b < bits.length * 8; ) {
    const [name, full] = named.get(b) ?? [`reserved${b}`, 1];
    // A multi-bit field cut by the end of the element is as wide as what is there.
    const width = Math.min(full, bits.length * 8 - b);
    let value = 0;
    for (let i = 0; i < width; i++) value += ((bits[(b + i) >> 3] >> ((b + i) & 7)) & 1) * 2 ** i;
    fields.push({ name, bit: b, width, value });
    b += width;
  }
  return fields;
}

/** The Supported MCS Set (HT Capabilities bits 24..151) as fields at `base`, from the caps layout. */
function mcsSetFields(values: object, base: number): VField[] {
  const mcs = HT_CAPABILITIES_LAYOUT.filter(([, bit]) => bit >= 24 && bit < 152);
  return layoutFields(mcs, values, base - 24);
}

/** Wireshark splits the 77-bit Rx MCS bitmask into "Bits a-b" lines read from 32-bit words at these bits. */
function rxBitmaskBases(mcsSetBit: number): [RegExp, number][] {
  return [
    [/^Rx Bitmask Bits (0-7|8-15|16-23|24-31)$/, mcsSetBit],
    [/^Rx Bitmask Bits? (32|33-38|39-52)$/, mcsSetBit + 32],
    [/^Rx Bitmask Bits 53-76$/, mcsSetBit + 48],
  ];
}

export const HT_ALIASES: Record<string, string> = {
  htldpccodingcapability: 'ldpcCodingCapability',
  htsupportchannelwidth: 'supportedChannelWidthSet',
  htsmpowersave: 'smPowerSave',
  htgreenfield: 'htGreenfield',
  htshortgifor20mhz: 'shortGiFor20MHz',
  htshortgifor40mhz: 'shortGiFor40MHz',
  httxstbc: 'txStbc',
  htrxstbc: 'rxStbc',
  htdelayedblockack: 'htDelayedBlockAck',
  htmaxamsdulength: 'maxAmsduLength',
  htdssscckmodein40mhz: 'dsssCckModeIn40MHz',
  htpsmpsupport: 'psmpSupport',
  htfortymhzintolerant: 'fortyMHzIntolerant',
  htlsigtxopprotectionsupport: 'lsigTxopProtectionSupport',
  maxrxampdulength: 'maxAmpduLengthExponent',
  mpdudensity: 'minMpduStartSpacing',
  highestsupporteddatarate: 'rxHighestSupportedDataRate',
  txsupportedmcsset: 'txMcsSetDefined',
  txandrxmcsset: 'txRxMcsSetNotEqual',
  maxnumberoftxspatialstreamssupported: 'txMaxNssSupported',
  unequalmodulation: 'txUnequalModulationSupported',
  transmittersupportspco: 'pco',
  timeneededtotransitionbetween20mhzand40mhz: 'pcoTransitionTime',
  mcsfeedbackcapability: 'mcsFeedback',
  highthroughput: 'htcSupport',
  reversedirectionresponder: 'rdResponder',
  transmitbeamforming: 'implicitTxbfReceiving',
  receivenulldatapacketndp: 'receiveNdp',
  transmitnulldatapacketndp: 'transmitNdp',
  implicittxbfcapable: 'implicitTxbf',
  stacanapplytxbfusingcsiexplicitfeedback: 'explicitCsiTxbf',
  stacanapplytxbfusinguncompressedbeamformingfeedbackmatrix: 'explicitNoncompressedSteering',
  stacanapplytxbfusingcompressedbeamformingfeedbackmatrix: 'explicitCompressedSteering',
  receivercanreturnexplicitcsifeedback: 'explicitTxbfCsiFeedback',
  receivercanreturnexplicituncompressedbeamformingfeedbackmatrix: 'explicitNoncompressedBeamformingFeedback',
  stacancompressandusecompressedbeamformingfeedbackmatrix: 'explicitCompressedBeamformingFeedback',
  minimalgroupingusedforexplicitfeedbackreports: 'minimalGrouping',
  maxantennaestacansupportwhencsifeedbackrequired: 'csiNumberOfBeamformerAntennas',
  maxantennaestacansupportwhenuncompressedbeamformingfeedbackrequired:
    'noncompressedSteeringNumberOfBeamformerAntennas',
  maxantennaestacansupportwhencompressedbeamformingfeedbackrequired: 'compressedSteeringNumberOfBeamformerAntennas',
  maxnumberofrowsofcsiexplicitfeedback: 'csiMaxNumberOfRowsBeamformer',
  maxnumberofspacetimestreamsforwhichchanneldimensionscanbesimultaneouslyestimated: 'channelEstimationCapability',
  explicitcsifeedbackbasedtxasel: 'explicitCsiFeedbackBasedTxAsel',
  antennaindicesfeedbackbasedtxasel: 'antennaIndicesFeedbackBasedTxAsel',
  txsoundingppdus: 'transmitSoundingPpdus',
};

const VHT_ALIASES: Record<string, string> = {
  shortgifor80mhztvhtmode4c: 'shortGiFor80MHz',
  shortgifor160mhzand8080mhz: 'shortGiFor160MHz',
  vhtlinkadaptation: 'vhtLinkAdaptationCapable',
  rxhighestlonggidatarateinmbs0subfieldnotinuse: 'rxHighestSupportedLongGiDataRate',
  txhighestlonggidatarateinmbs0subfieldnotinuse: 'txHighestSupportedLongGiDataRate',
  extendednssbwcapable: 'vhtExtendedNssBwCapable',
  rxmcsmap: 'rxMcsMap',
  txmcsmap: 'txMcsMap',
};

const HE_ALIASES: Record<string, string> = {
  '32bitbabitmapsupport': 'bitmap32BitBaSupport',
  multitidaggregationrxsupport: 'multiTidAggregationRxSupport',
  ul2x996tonerusupport: 'ul2x996ToneRuSupport',
  htandvhttriggerframerxsupport: 'htAndVhtTriggerFrameRxSupport',
  omcontrolulmudatadisablerxsupport: 'omControlUlMuDataDisableRxSupport',
  maxnumberoffragmentedmsdus: 'maxFragmentedMsdusExponent',
  stbctxle80mhz: 'stbcTxLessOrEqual80MHz',
  stbcrxle80mhz: 'stbcRxLessOrEqual80MHz',
  stbctxgt80mhz: 'stbcTxGreaterThan80MHz',
  stbcrxgt80mhz: 'stbcRxGreaterThan80MHz',
  beamformeestsle80mhz: 'beamformeeStsLessOrEqual80MHz',
  beamformeestsgt80mhz: 'beamformeeStsGreaterThan80MHz',
  numberofsoundingdimensionsle80mhz: 'numberOfSoundingDimensionsLessOrEqual80MHz',
  numberofsoundingdimensionsgt80mhz: 'numberOfSoundingDimensionsGreaterThan80MHz',
  codebooksizesufeedback: 'codebookSizeSuFeedback',
  '20mhzin40mhzheppduin24ghzband': 'twentyMHzIn40MHzHePpduIn24GHzBand',
  '20mhzin1608080mhzheppdu': 'twentyMHzIn160MHzHePpdu',
  '80mhzin1608080mhzheppdu': 'eightyMHzIn160MHzHePpdu',
  tx1024qamsupportlt242tonerusupport: 'tx1024QamSupportLessThan242ToneRu',
  rx1024qamsupportlt242tonerusupport: 'rx1024QamSupportLessThan242ToneRu',
  heerusppduwith1xheltfand08usgi: 'heErSuPpduWith1xHeLtfAnd08usGi',
  heerusppduwith4xheltfand08usgi: 'heErSuPpduWith4xHeLtfAnd08usGi',
  hemuppduwithmorethanonerurxmaxnheltf: 'heMuPpduWithMoreThanOneRuRxMaxNHeLtf',
};

export const EXT_CAP_ALIASES: Record<string, string> = {
  '2040bsscoexistencemanagementsupport': 'BSS_COEX_2040',
  extendedchannelswitching: 'EXT_CHANNEL_SWITCHING',
  psmpcapability: 'PSMP',
  spsmpsupport: 'S_PSMP',
  event: 'EVENT',
  diagnostics: 'DIAGNOSTICS',
  multicastdiagnostics: 'MULTICAST_DIAGNOSTICS',
  locationtracking: 'LOCATION_TRACKING',
  fms: 'FMS',
  proxyarpservice: 'PROXY_ARP',
  collocatedinterferencereporting: 'COLLOCATED_INTERFERENCE_REPORTING',
  civiclocation: 'CIVIC_LOCATION',
  geospatiallocation: 'GEOSPATIAL_LOCATION',
  tfs: 'TFS',
  wnmsleepmode: 'WNM_SLEEP_MODE',
  timbroadcast: 'TIM_BROADCAST',
  bsstransition: 'BSS_TRANSITION',
  qostrafficcapability: 'QOS_TRAFFIC_CAPABILITY',
  acstationcount: 'AC_STATION_COUNT',
  multiplebssid: 'MULTIPLE_BSSID',
  timingmeasurement: 'TIMING_MEASUREMENT',
  channelusage: 'CHANNEL_USAGE',
  ssidlist: 'SSID_LIST',
  dms: 'DMS',
  utctsfoffset: 'UTC_TSF_OFFSET',
  tpubufferstasupport: 'TPU_BUFFER_STA',
  tdlspeerpsmsupport: 'TDLS_PEER_PSM',
  tdlschannelswitching: 'TDLS_CHANNEL_SWITCHING',
  interworking: 'INTERWORKING',
  qosmap: 'QOS_MAP',
  ebr: 'EBR',
  sspninterface: 'SSPN_INTERFACE',
  msgcfcapability: 'MSGCF',
  tdlssupport: 'TDLS_SUPPORT',
  tdlsprohibited: 'TDLS_PROHIBITED',
  tdlschannelswitchingprohibited: 'TDLS_CHANNEL_SWITCHING_PROHIBITED',
  rejectunadmittedframe: 'REJECT_UNADMITTED_FRAME',
  serviceintervalgranularity: 'SERVICE_INTERVAL_GRANULARITY',
  identifierlocation: 'IDENTIFIER_LOCATION',
  uapsdcoexistence: 'UAPSD_COEXISTENCE',
  wnmnotification: 'WNM_NOTIFICATION',
  qabcapability: 'QAB',
  utf8ssid: 'UTF8_SSID',
  qmfactivated: 'QMF_ACTIVATED',
  qmfreconfigurationactivated: 'QMF_RECONFIGURATION_ACTIVATED',
  robustavstreaming: 'ROBUST_AV_STREAMING',
  advancedgcr: 'ADVANCED_GCR',
  meshgcr: 'MESH_GCR',
  scs: 'SCS',
  qloadreport: 'QLOAD_REPORT',
  alternateedca: 'ALTERNATE_EDCA',
  unprotectedtxopnegotiation: 'UNPROTECTED_TXOP_NEGOTIATION',
  protectedtxopnegotiation: 'PROTECTED_TXOP_NEGOTIATION',
  protectedqloadreport: 'PROTECTED_QLOAD_REPORT',
  tdlswiderbandwidth: 'TDLS_WIDER_BANDWIDTH',
  operatingmodenotification: 'OPERATING_MODE_NOTIFICATION',
  maxnumberofmsdusinamsdu: 'MAX_MSDUS_IN_AMSDU',
  channelschedulemanagement: 'CHANNEL_SCHEDULE_MANAGEMENT',
  geodatabaseinbandenablingsignal: 'GEODATABASE_INBAND_ENABLING_SIGNAL',
  networkchannelcontrol: 'NETWORK_CHANNEL_CONTROL',
  whitespacemap: 'WHITE_SPACE_MAP',
  channelavailabilityquery: 'CHANNEL_AVAILABILITY_QUERY',
  finetimingmeasurementresponder: 'FTM_RESPONDER',
  finetimingmeasurementinitiator: 'FTM_INITIATOR',
  filscapable: 'FILS',
  extendedspectrummanagementcapable: 'EXTENDED_SPECTRUM_MANAGEMENT',
  futurechannelcapable: 'FUTURE_CHANNEL_GUIDANCE',
  twtrequestersupport: 'TWT_REQUESTER',
  twtrespondersupport: 'TWT_RESPONDER',
  obssnarrowbandwidthruinulofdmatolerancesupport: 'OBSS_NARROW_BW_RU_IN_UL_OFDMA_TOLERANCE',
  completelistofnontxbssidprofiles: 'COMPLETE_LIST_OF_NONTX_BSSID_PROFILES',
  saepasswordidentifiersinuse: 'SAE_PASSWORD_IDS_IN_USE',
  saepasswordsusedexclusively: 'SAE_PASSWORD_IDS_EXCLUSIVELY',
  beaconprotectionenabled: 'BEACON_PROTECTION',
  saepkpasswordsusedexclusively: 'SAE_PK_EXCLUSIVELY',
  mirroredscs: 'MSCS',
  enhancedmultibssidadvertisementsupport: 'ENHANCED_MULTI_BSSID_ADVERTISEMENT',
  twtparametersrangesupport: 'TWT_PARAMETERS_RANGE',
  nontbrangingresponder: 'NON_TB_RANGING_RESPONDER',
  tbrangingresponder: 'TB_RANGING_RESPONDER',
  tbrangingrespondermeasurementsupport: 'TB_RANGING_RESPONDER_MEASUREMENT',
  tbranginginitiatormeasurementsupport: 'TB_RANGING_INITIATOR_MEASUREMENT',
  aoameasurementavailable: 'AOA_MEASUREMENT',
  phaseshiftfeedbacksupport: 'PHASE_SHIFT_FEEDBACK',
};

export interface ElementContext {
  /** Wireshark's name for the tag, for messages. */
  tag: string;
}

/** The view of one element, or null when airstack does not interpret it (its octets are only carried). */
export function elementView(id: number, ext: number, body: Uint8Array): View | null {
  switch (id) {
    case EID.SSID: {
      const v = must(ssidCodec.decode(body), 'SSID');
      return valuesView([
        [
          /^SSID$/,
          (t) =>
            t === `"${ssidToDisplay(v.ssid)}"` || !/^"/.test(t) ? null : `shows ${t}, ours "${ssidToDisplay(v.ssid)}"`,
        ],
      ]);
    }
    case EID.SUPP_RATES:
      return ratesView(supportedRatesCodec, body, 'Supported Rates');
    case EID.EXT_SUPP_RATES:
      return ratesView(extSupportedRatesCodec, body, 'Extended Supported Rates');
    case EID.DS_PARAMS: {
      const v = must(dsParamsCodec.decode(body), 'DS');
      return { fields: [], groups: [], values: [[/^Current Channel$/, num(() => v.channel)]], ignore: [] };
    }
    case EID.TIM: {
      const v = must(timCodec.decode(body), 'TIM');
      return {
        fields: [
          numberField('multicast', 0, 1, v.bitmapControl & 1),
          numberField('bitmapOffset', 1, 7, v.bitmapControl >> 1),
        ],
        groups: [at(/^Bitmap control$/, 0)],
        values: [
          [/^DTIM count$/, num(() => v.dtimCount)],
          [/^DTIM period$/, num(() => v.dtimPeriod)],
          [
            /^Partial Virtual Bitmap$/,
            (t) => (t.replace(/\s/g, '') === hexOf(v.partialVirtualBitmap) ? null : `shows ${t}`),
          ],
          [
            /^Association ID$/,
            sequence(
              () => timAids(v).filter((a) => a > 0),
              (aid, t) => (numberOf(t) === aid ? null : `AID ${t}, ours ${aid}`),
            ),
          ],
        ],
        ignore: [],
      };
    }
    case EID.COUNTRY: {
      const v = must(countryCodec.decode(body), 'Country');
      const sub = () => v.entries.filter((e) => e.kind === 'subband');
      return valuesView([
        [/^Code$/, (t) => (t === String.fromCharCode(v.countryString[0], v.countryString[1]) ? null : `code ${t}`)],
        [/^Environment$/, num(() => v.countryString[2])],
        [/^Country Info$/, () => null],
        [
          /^First Channel Number$/,
          sequence(sub, (e, t) =>
            e?.kind === 'subband' && numberOf(t) === e.firstChannel ? null : `first channel ${t}`,
          ),
        ],
        [
          /^Number of Channels$/,
          sequence(sub, (e, t) => (e?.kind === 'subband' && numberOf(t) === e.numChannels ? null : `channels ${t}`)),
        ],
        [
          /^Maximum Transmit Power Level$/,
          sequence(sub, (e, t) => (e?.kind === 'subband' && numberOf(t) === e.maxTxPower ? null : `power ${t}`)),
        ],
        [/^Padding$/, num(() => v.pad)],
      ]);
    }
    case EID.QBSS_LOAD: {
      const v = must(bssLoadCodec.decode(body), 'BSS Load');
      return valuesView([
        [/^QBSS Version$/, () => null],
        [/^Station Count$/, num(() => v.stationCount)],
        [/^Channel Utilization$/, num(() => v.channelUtilization)],
        [/^Available Admission Capacity$/, num(() => v.availableAdmissionCapacity)],
      ]);
    }
    case EID.PWR_CONSTRAINT: {
      const v = must(powerConstraintCodec.decode(body), 'Power Constraint');
      return valuesView([[/^Local Power Constraint$/, num(() => v.localPowerConstraint)]]);
    }
    case EID.PWR_CAPABILITY: {
      const v = must(powerCapabilityCodec.decode(body), 'Power Capability');
      return valuesView([
        [/^Minimum Transmit Power$/, num(() => v.minTxPower)],
        [/^Maximum Transmit Power$/, num(() => v.maxTxPower)],
      ]);
    }
    case EID.SUPPORTED_CHANNELS: {
      const v = must(supportedChannelsCodec.decode(body), 'Supported Channels');
      return valuesView([
        [/^Supported Channels Set #\d+ First$/, () => null],
        [
          /^First Supported Channel$/,
          sequence(
            () => v.ranges,
            (r, t) => (numberOf(t) === r?.first ? null : `first ${t}`),
          ),
        ],
        [
          /^Supported Channel Range$/,
          sequence(
            () => v.ranges,
            (r, t) => (numberOf(t) === r?.count ? null : `range ${t}`),
          ),
        ],
      ]);
    }
    case EID.SUPPORTED_REGULATORY_CLASSES: {
      const v = must(supportedOperatingClassesCodec.decode(body), 'Operating Classes');
      return valuesView([
        [/^Current Operating Class$/, num(() => v.current)],
        // Wireshark lists the alternates up to the first delimiter (130 or 0) of the extension sequences.
        [
          /^Alternate Operating Classes$/,
          (t) => {
            const cut = v.alternates.findIndex((c) => c === 130 || c === 0);
            const list = (cut < 0 ? v.alternates : v.alternates.slice(0, cut)).join(', ');
            return t === list ? null : `alternates ${t}, ours ${list}`;
          },
        ],
      ]);
    }
    case EID.MOBILITY_DOMAIN: {
      const v = must(mobilityDomainCodec.decode(body), 'Mobility Domain');
      return {
        fields: [
          numberField('fastBssTransitionOverDs', 0, 1, v.ftCapabilityPolicy & 1),
          numberField('resourceRequestProtocolCapability', 1, 1, (v.ftCapabilityPolicy >> 1) & 1),
          numberField('reserved2', 2, 6, v.ftCapabilityPolicy >> 2),
        ],
        groups: [at(/^FT Capability and Policy$/, 0)],
        values: [[/^Mobility Domain Identifier$/, num(() => v.mdid)]],
        ignore: [],
      };
    }
    case EID.HT_CAPABILITY: {
      const v = must(htCapabilitiesCodec.decode(body), 'HT Capabilities');
      return {
        fields: layoutFields(HT_CAPABILITIES_LAYOUT, v),
        groups: [
          at(/^HT Capabilities Info$/, 0),
          at(/^A-MPDU Parameters$/, 16),
          at(/^Rx Supported Modulation and Coding Scheme Set$/, 120),
          at(/^HT Extended Capabilities$/, 152),
          at(/^Transmit Beam Forming \(TxBF\) Capabilities$/, 168),
          at(/^Antenna Selection \(ASEL\) Capabilities$/, 200),
        ],
        labelBase: [[/^Highest Supported Data Rate$/, 104], ...rxBitmaskBases(24)],
        values: [[/^Rx Modulation and Coding Scheme \(One bit per modulation\)$/, () => null]],
        ignore: [],
        headings: [/^Rx Supported Modulation and Coding Scheme Set$/],
        aliases: HT_ALIASES,
        subfields: [/^Rx Bitmask Bits? /],
      };
    }
    case EID.HT_OPERATION: {
      const v = must(htOperationCodec.decode(body), 'HT Operation');
      const mcsValues = decodeMcsSet(v.basicMcsSet);
      return {
        fields: [...layoutFields(HT_OPERATION_LAYOUT, v), ...mcsSetFields(mcsValues, 48)],
        groups: [
          at(/^HT Information Subset \(1 of 3\)$/, 8),
          at(/^HT Information Subset \(2 of 3\)$/, 16),
          at(/^HT Information Subset \(3 of 3\)$/, 32),
          at(/^Rx Supported Modulation and Coding Scheme Set$/, 48 + 96),
        ],
        labelBase: [[/^Highest Supported Data Rate$/, 48 + 80], ...rxBitmaskBases(48)],
        values: [
          [/^Primary Channel$/, num(() => v.primaryChannel)],
          [/^Rx Modulation and Coding Scheme \(One bit per modulation\)$/, () => null],
        ],
        ignore: [],
        headings: [/^Rx Supported Modulation and Coding Scheme Set$/],
        subfields: [/^Rx Bitmask Bits? /],
        aliases: {
          ...HT_ALIASES,
          supportedchannelwidth: 'staChannelWidth',
          reducedinterframespacingrifs: 'rifsMode',
          nongreenfieldstaspresent: 'nongreenfieldHtStasPresent',
          obssnonhtstaspresent: 'obssNonHtStasPresent',
          dualcleartosendctsprotection: 'dualCtsProtection',
          beaconid: 'stbcBeacon',
          lsigtxopprotectionfullsupport: 'lsigTxopProtectionFullSupport',
          phasedcoexistenceoperationpco: 'pcoActive',
          phasedcoexistenceoperationpcophase: 'pcoPhase',
        },
      };
    }
    case EID.RSN: {
      const v = must(rsnCodec.decode(body), 'RSN');
      const caps = v.capabilities === null ? null : rsnCapabilities(v.capabilities);
      return {
        fields: caps ? layoutFields(RSN_CAPABILITIES_LAYOUT, caps) : [],
        groups: [at(/^RSN Capabilities$/, 0)],
        values: [
          [/^RSN Version$/, num(() => v.version)],
          ...cipherAkmLines(v, 'Group', 'Pairwise'),
          [/^PMKID Count$/, num(() => v.pmkids?.length)],
          [
            /^PMKID$/,
            sequence(
              () => v.pmkids ?? [],
              (p, t) => (p && t === hexOf(p) ? null : `PMKID ${t}`),
            ),
          ],
          [/^Group Management Cipher Suite$/, () => null],
          ...suiteChecks('Group Management Cipher Suite', () =>
            v.groupMgmtCipher === null ? [] : [v.groupMgmtCipher],
          ),
        ],
        ignore: [],
        headings: [/^PMKID List$/],
        aliases: {
          rsnpreauthcapabilities: 'preauth',
          rsnnopairwisecapabilities: 'noPairwise',
          rsnptksareplaycountercapabilities: 'ptksaReplayCounter',
          rsngtksareplaycountercapabilities: 'gtksaReplayCounter',
          managementframeprotectionrequired: 'mfpr',
          managementframeprotectioncapable: 'mfpc',
          extendedkeyidforindividuallyaddressedframes: 'extendedKeyId',
        },
      };
    }
    case EID.CHALLENGE:
      return valuesView([
        [/^Challenge Text$/, (t) => (hexOf(body).startsWith(t.replace(/…$/, '')) ? null : `text ${t}`)],
      ]);
    case EID.RRM_ENABLED_CAPABILITIES: {
      const v = must(rmCapabilitiesCodec.decode(body), 'RM');
      return {
        fields: layoutFields(RM_CAPABILITIES_LAYOUT, v),
        groups: [octet(/^RM Capabilities.*\(octet (\d+)\)$/)],
        values: [],
        ignore: [],
        aliases: {
          beacontablemeasurement: 'beaconTableMeasurement',
          apchannelreportcapability: 'apChannelReport',
          rmmibcapability: 'rmMib',
          lciazimuthcapability: 'lciAzimuth',
          measurementpilotcapability: 'measurementPilotCapability',
          rcpimeasurementcapability: 'rcpiMeasurement',
          rsnimeasurementcapability: 'rsniMeasurement',
          bssaverageaccessdelaycapability: 'bssAverageAccessDelay',
          bssavailableadmissioncapacitycapability: 'bssAvailableAdmissionCapacity',
          antennacapability: 'antenna',
          ftmrangereportcapability: 'ftmRangeReport',
          civiclocationmeasurementcapability: 'civicLocationMeasurement',
        },
      };
    }
    case EID.EXT_CAPABILITY: {
      const v = must(extCapabilitiesCodec.decode(body), 'Extended Capabilities');
      return {
        fields: extCapFields(v.bits),
        groups: [
          octet(/^Extended Capabilities.*\(octet (\d+)\)$/),
          octet(/^Extended Capabilities.*\(octets (\d+) & \d+\)$/),
        ],
        values: [],
        ignore: [],
        aliases: EXT_CAP_ALIASES,
      };
    }
    case EID.VHT_CAPABILITY: {
      const v = must(vhtCapabilitiesCodec.decode(body), 'VHT Capabilities');
      return {
        fields: layoutFields(VHT_CAPABILITIES_LAYOUT, v),
        groups: [
          at(/^VHT Capabilities Info$/, 0),
          at(/^Rx MCS Map$/, 32),
          at(/^Tx MCS Map$/, 64),
          at(/^VHT Supported MCS Set$/, 80),
        ],
        labelBase: [
          [/^Rx Highest Long GI Data Rate/, 48],
          [/^MaX NSTS Total$/, 48],
        ],
        values: [],
        ignore: [],
        headings: [/^VHT Supported MCS Set$/],
        aliases: VHT_ALIASES,
        subfields: [/^(Rx|Tx) \d SS$/],
      };
    }
    case EID.VHT_OPERATION: {
      const v = must(vhtOperationCodec.decode(body), 'VHT Operation');
      return {
        fields: [numberField('basicMcsMap', 24, 16, v.basicMcsMap)],
        groups: [at(/^Basic MCS Map$/, 24)],
        values: [
          [/^Channel Width$/, num(() => v.channelWidth)],
          [/^Channel Center Segment 0$/, num(() => v.channelCenterFrequencySegment0)],
          [/^Channel Center Segment 1$/, num(() => v.channelCenterFrequencySegment1)],
        ],
        ignore: [],
        headings: [/^VHT Operation Info$/],
        subfields: [/^Basic \d SS$/],
      };
    }
    case EID.RSNX: {
      const v = must(rsnxCodec.decode(body), 'RSNX');
      return {
        fields: layoutFields(RSNX_LAYOUT, v),
        groups: [octet(/^RSNX.*\(octet (\d+)\)$/)],
        values: [],
        ignore: [],
        aliases: {
          rsnxlength: 'fieldLength',
          protectedtwtoperationssupport: 'protectedTwtOperations',
          saehashtoelement: 'saeHashToElement',
        },
      };
    }
    case EID.VENDOR_SPECIFIC:
      return vendorView(body);
    case EID.EXTENSION:
      return extView(ext, body);
    default:
      return null;
  }
}

function decodeMcsSet(set: Uint8Array) {
  // The Basic HT-MCS Set has the Supported MCS Set's format: decode it with the HT Capabilities layout.
  const caps = new Uint8Array(26);
  caps.set(set, 3);
  return must(htCapabilitiesCodec.decode(caps), 'Basic MCS Set');
}

function extView(ext: number, body: Uint8Array): View | null {
  switch (ext) {
    case EID_EXT.HE_CAPABILITY: {
      const v = must(heCapabilitiesCodec.decode(body), 'HE Capabilities');
      const maps: VField[] = [];
      let p = 136;
      for (const [name, m] of [
        ['Mcs80', v.mcs80],
        ['Mcs160', v.mcs160],
        ['Mcs8080', v.mcs8080],
      ] as const) {
        if (!m) continue;
        maps.push(numberField(`rx${name}`, p, 16, m.rx), numberField(`tx${name}`, p + 16, 16, m.tx));
        p += 32;
      }
      const ppe = v.ppeThresholds ? decodeHePpeThresholds(v.ppeThresholds) : null;
      const ppeFields = ppe
        ? [numberField('nss', p, 3, ppe.nss - 1), numberField('ruIndexBitmask', p + 3, 4, ppe.ruIndexBitmask)]
        : [];
      const phyFields = layoutFields(HE_PHY_CAPABILITIES_LAYOUT, v.phy, 48);
      const mapBase = (name: string) => maps.find((f) => f.name === name)?.bit ?? -1;
      const ruName = ['242', '484', '996', '2x996'];
      return {
        fields: [...layoutFields(HE_MAC_CAPABILITIES_LAYOUT, v.mac, 0), ...phyFields, ...maps, ...ppeFields],
        groups: [
          at(/^HE MAC Capabilities Information$/, 0),
          at(/^HE PHY Capabilities Information$/, 48),
          [/^Bits (\d+) to \d+$/, (m) => 48 + Number(m[1])],
          [/^Rx HE-MCS Map <= 80 MHz$/, () => mapBase('rxMcs80')],
          [/^Tx HE-MCS Map <= 80 MHz$/, () => mapBase('txMcs80')],
          [/^Rx HE-MCS Map 160 MHz$/, () => mapBase('rxMcs160')],
          [/^Tx HE-MCS Map 160 MHz$/, () => mapBase('txMcs160')],
          [/^Rx HE-MCS Map 80\+80 MHz$/, () => mapBase('rxMcs8080')],
          [/^Tx HE-MCS Map 80\+80 MHz$/, () => mapBase('txMcs8080')],
          at(/^PPE Thresholds$/, p),
        ],
        values: [
          [
            /^RU allocation$/,
            sequence(
              () => ppe?.thresholds ?? [],
              (t, text) => (t && text === ruName[t.ruIndex] ? null : `RU ${text}`),
            ),
          ],
          [
            /^PPET16$/,
            sequence(
              () => ppe?.thresholds ?? [],
              (t, text) => (numberOf(text) === t?.ppet16 ? null : `PPET16 ${text}`),
            ),
          ],
          [
            /^PPET8$/,
            sequence(
              () => ppe?.thresholds ?? [],
              (t, text) => (numberOf(text) === t?.ppet8 ? null : `PPET8 ${text}`),
            ),
          ],
        ],
        ignore: [],
        headings: [/^Supported HE-MCS and NSS Set$/, /^Rx and Tx MCS Maps/, /^NSS \d+$/],
        aliases: HE_ALIASES,
        subfields: [/^Max HE-MCS for \d SS$/, / in the (2\.4|5) GHz/, /^40 MHz in 2\.4 GHz band$/],
      };
    }
    case EID_EXT.HE_6GHZ_CAPA: {
      const v = must(he6ghzCapabilitiesCodec.decode(body), 'HE 6 GHz');
      return {
        fields: layoutFields(HE_6GHZ_CAPABILITIES_LAYOUT, v),
        groups: [at(/^Capabilities Information$/, 0)],
        values: [],
        ignore: [],
        aliases: { maximumampdulengthexponent: 'maxAmpduLengthExponent', maximummpdulength: 'maxMpduLength' },
      };
    }
    case EID_EXT.EHT_CAPABILITY:
    case EID_EXT.EHT_OPERATION:
    case EID_EXT.EHT_MULTI_LINK:
      // Wireshark 4.0 does not dissect these; it shows the octets, which must be the ones we keep.
      return valuesView([
        [
          /^Ext Tag Data$/,
          (t) => (hexOf(body).startsWith(t.replace(/…$/, '')) ? null : `data ${t} is not ours ${hexOf(body)}`),
        ],
      ]);
    default:
      return null;
  }
}

function vendorView(body: Uint8Array): View | null {
  if (body.length < 4) return null;
  const oui = (body[0] << 16) | (body[1] << 8) | body[2];
  if (oui !== OUI_MICROSOFT) return null;
  const common: [RegExp, (t: string) => string | null][] = [
    [/^OUI$/, (t) => (t.startsWith('00:50:f2') ? null : `OUI ${t}`)],
    [/^Vendor Specific OUI Type$/, num(() => body[3])],
    [/^Type$/, num(() => body[3])],
  ];
  switch (body[3]) {
    case 1: {
      const v = must(wpaCodec.decode(body), 'WPA');
      return valuesView([
        ...common,
        [/^WPA Version$/, num(() => v.version)],
        ...cipherAkmLines(v, 'Multicast', 'Unicast'),
      ]);
    }
    case 2: {
      if (body[4] === 0) {
        const v = must(wmmInformationCodec.decode(body), 'WMM Information');
        return {
          fields: [numberField('qosInfo', 0, 8, v.qosInfo)],
          groups: [at(/^WME QoS Info$/, 0)],
          values: [...common, [/^WME Subtype$/, num(() => 0)], [/^WME Version$/, num(() => v.version)]],
          ignore: [],
          subfields: [WMM_QOS_INFO_BITS],
        };
      }
      if (body[4] === 1) {
        const v = must(wmmParameterCodec.decode(body), 'WMM Parameter');
        // Each AC Parameter Record at 16 + 32 i: ACI/AIFSN octet, then ECW octet.
        const acFields = v.ac.flatMap((a, i) => [
          numberField('aifsn', 16 + 32 * i, 4, a.aciAifsn & 0xf),
          numberField('acm', 20 + 32 * i, 1, (a.aciAifsn >> 4) & 1),
          numberField('aci', 21 + 32 * i, 2, (a.aciAifsn >> 5) & 3),
          numberField('reserved', 23 + 32 * i, 1, a.aciAifsn >> 7),
          numberField('ecwMin', 24 + 32 * i, 4, a.ecw & 0xf),
          numberField('ecwMax', 28 + 32 * i, 4, a.ecw >> 4),
        ]);
        const acIndex = (n: TNode | null) => {
          const m = n ? /^Ac Parameters ACI (\d)/.exec(n.text) : null;
          return m ? v.ac.findIndex((a) => ((a.aciAifsn >> 5) & 3) === Number(m[1])) : -1;
        };
        const acOf = (n: TNode) => {
          let a = n.parent;
          while (a && !/^Ac Parameters ACI/.test(a.text)) a = a.parent;
          return v.ac[acIndex(a)];
        };
        return {
          fields: [numberField('qosInfo', 0, 8, v.qosInfo), numberField('reserved', 8, 8, v.reserved), ...acFields],
          groups: [
            at(/^WME QoS Info$/, 0),
            [/^ACI \/ AIFSN Field$/, (_m, n) => 16 + 32 * acIndex(n.parent)],
            [/^ECW$/, (_m, n) => 24 + 32 * acIndex(n.parent)],
          ],
          subfields: [WMM_QOS_INFO_BITS],
          values: [
            ...common,
            [/^WME Subtype$/, num(() => 1)],
            [/^WME Version$/, num(() => v.version)],
            [/^Reserved$/, num(() => v.reserved)],
            [/^Ac Parameters ACI \d/, () => null],
            [/^TXOP Limit$/, (t, n) => (numberOf(t) === acOf(n)?.txopLimit ? null : `TXOP ${t}`)],
            [/^CW Max$/, (t, n) => (numberOf(t) === 2 ** ((acOf(n)?.ecw ?? 0) >> 4) - 1 ? null : `CW max ${t}`)],
            [/^CW Min$/, (t, n) => (numberOf(t) === 2 ** ((acOf(n)?.ecw ?? 0) & 0xf) - 1 ? null : `CW min ${t}`)],
          ],
          ignore: [],
          aliases: { admissioncontrolmandatory: 'acm' },
        };
      }
      return null;
    }
    case 4: {
      const v = must(wpsCodec.decode(body), 'WPS');
      const types = () => v.attributes;
      return {
        fields: [],
        groups: [],
        values: [
          ...common,
          [
            /^Data Element Type$/,
            sequence(types, (a, t) => (numberOf(t) === a?.type ? null : `type ${t}, ours ${a?.type}`)),
          ],
          [
            /^Data Element Length$/,
            sequence(types, (a, t) =>
              numberOf(t) === a?.value.length ? null : `length ${t}, ours ${a?.value.length}`,
            ),
          ],
        ],
        // The attribute values' own dissection (version, state, device name...) is Wireshark's WPS parser, not ours.
        ignore: [/^(?!Data Element (Type|Length)$|OUI$|Vendor Specific OUI Type$|Type$).*/],
      };
    }
    default:
      return null;
  }
}

const WMM_QOS_INFO_BITS = /^(Max SP Length|AC_(BE|BK|VI|VO)|U-APSD|Parameter Set Count)$/;

/** Fixed fields of management frames that Wireshark shows under "Fixed parameters". */
export function fixedView(body: MgmtBody): View {
  if (body.kind === 'action' || body.kind === 'action-no-ack') return actionView(body.action);
  const b = body as Partial<{
    capability: number;
    listenInterval: number;
    currentAp: Uint8Array;
    status: number;
    aid: number;
    timestamp: bigint;
    beaconInterval: number;
    reason: number;
    algorithm: number;
    transaction: number;
  }>;
  const cap = b.capability ?? 0;
  const capFields =
    b.capability === undefined
      ? []
      : CAPABILITY_LAYOUT.map(([name, bit, width]) =>
          numberField(name, bit, width, Math.floor(cap / 2 ** bit) % 2 ** width),
        );
  return {
    fields: [
      ...capFields,
      ...(b.aid === undefined
        ? []
        : [numberField('associationId', 32, 14, b.aid & 0x3fff), numberField('aidB14B15', 46, 2, b.aid >> 14)]),
    ],
    groups: [at(/^Capabilities Information$/, 0)],
    labelBase: [[/^Association ID$/, 32]],
    values: [
      [/^Listen Interval$/, num(() => b.listenInterval)],
      [/^Current AP$/, (t) => (b.currentAp && t.includes(macToString(b.currentAp)) ? null : `current AP ${t}`)],
      [/^Status code$/, num(() => b.status)],
      [/^Timestamp$/, (t) => (BigInt(t) === b.timestamp ? null : `timestamp ${t}`)],
      [
        /^Beacon Interval$/,
        (t) =>
          Math.abs(Number.parseFloat(t) - ((b.beaconInterval ?? 0) * 1024) / 1e6) < 1e-6 ? null : `interval ${t}`,
      ],
      [/^Reason code$/, num(() => b.reason)],
      [/^Authentication Algorithm$/, num(() => b.algorithm)],
      [/^Authentication SEQ$/, num(() => b.transaction)],
    ],
    ignore: [],
    aliases: { esscapabilities: 'ess', ibssstatus: 'ibss', automaticpowersavedelivery: 'apsd' },
  };
}

/** Block Ack setup (ADDBA, DELBA) field by field; other actions are kept raw by us, so only their category. */
function actionView(a: ActionBody): View {
  if (a.kind === 'raw')
    return {
      fields: [],
      groups: [],
      values: [[/^Category code$/, num(() => a.category)]],
      ignore: [/^(?!Category code$).*/],
    };
  const params = a.kind === 'delba' ? 0 : a.params;
  const fields = [
    numberField('amsdus', 0, 1, params & 1),
    numberField('blockAckPolicy', 1, 1, (params >> 1) & 1),
    numberField('trafficIdentifier', 2, 4, (params >> 2) & 0xf),
    numberField('numberOfBuffers', 6, 10, params >> 6),
  ];
  if (a.kind === 'addba-req')
    fields.push(
      numberField('fragment', 16, 4, a.startSeqCtrl & 0xf),
      numberField('startingSequenceNumber', 20, 12, a.startSeqCtrl >> 4),
    );
  if (a.kind === 'delba')
    fields.push(
      numberField('reserved', 32, 11, a.params & 0x7ff),
      numberField('initiator', 43, 1, (a.params >> 11) & 1),
      numberField('tid', 44, 4, a.params >> 12),
    );
  return {
    fields,
    groups: [
      at(/^Block Ack Parameters$/, 0),
      at(/^Block Ack Starting Sequence Control \(SSC\)$/, 16),
      at(/^Delete Block Ack \(DELBA\) Parameter Set$/, 32),
    ],
    values: [
      [/^Category code$/, num(() => 3)],
      [/^Action code$/, num(() => ({ 'addba-req': 0, 'addba-resp': 1, delba: 2 })[a.kind])],
      [/^Dialog token$/, num(() => (a.kind === 'delba' ? undefined : a.dialogToken))],
      [/^Block Ack Timeout$/, num(() => (a.kind === 'delba' ? undefined : a.timeout))],
      [/^Status code$/, num(() => (a.kind === 'addba-resp' ? a.status : undefined))],
      [/^Reason code$/, num(() => (a.kind === 'delba' ? a.reason : undefined))],
    ],
    ignore: [],
    aliases: { numberofbuffers1buffer2304bytes: 'numberOfBuffers' },
  };
}

/**
 * Status codes (802.11-2020 Table 9-50) and reason codes (Table 9-49) the MLMEs send and interpret, named as in
 * Linux's enum ieee80211_statuscode / ieee80211_reasoncode.
 */

export const Status = {
  SUCCESS: 0,
  UNSPECIFIED_FAILURE: 1,
  CAPS_UNSUPPORTED: 10,
  REASSOC_NO_ASSOC: 11,
  ASSOC_DENIED_UNSPEC: 12,
  NOT_SUPPORTED_AUTH_ALG: 13,
  UNKNOWN_AUTH_TRANSACTION: 14,
  CHALLENGE_FAIL: 15,
  AUTH_TIMEOUT: 16,
  AP_UNABLE_TO_HANDLE_NEW_STA: 17,
  ASSOC_DENIED_RATES: 18,
  ASSOC_REJECTED_TEMPORARILY: 30,
  ROBUST_MGMT_FRAME_POLICY_VIOLATION: 31,
  REQUEST_DECLINED: 37,
  INVALID_QOS_PARAM: 39,
  INVALID_IE: 40,
  INVALID_GROUP_CIPHER: 41,
  INVALID_PAIRWISE_CIPHER: 42,
  INVALID_AKMP: 43,
  UNSUPP_RSN_VERSION: 44,
  INVALID_RSN_IE_CAP: 45,
  CIPHER_SUITE_REJECTED: 46,
} as const;

export const ReasonCode = {
  UNSPECIFIED: 1,
  PREV_AUTH_NOT_VALID: 2,
  DEAUTH_LEAVING: 3,
  DISASSOC_DUE_TO_INACTIVITY: 4,
  DISASSOC_AP_BUSY: 5,
  CLASS2_FRAME_FROM_NONAUTH_STA: 6,
  CLASS3_FRAME_FROM_NONASSOC_STA: 7,
  DISASSOC_STA_HAS_LEFT: 8,
  STA_REQ_ASSOC_WITHOUT_AUTH: 9,
  INVALID_IE: 13,
  MIC_FAILURE: 14,
  FOURWAY_HANDSHAKE_TIMEOUT: 15,
  GROUP_KEY_HANDSHAKE_TIMEOUT: 16,
  IE_DIFFERENT: 17,
  INVALID_GROUP_CIPHER: 18,
  INVALID_PAIRWISE_CIPHER: 19,
  INVALID_AKMP: 20,
  UNSUPP_RSN_VERSION: 21,
  INVALID_RSN_IE_CAP: 22,
  IEEE8021X_FAILED: 23,
} as const;

function nameOf(table: Record<string, number>, v: number): string {
  for (const [k, x] of Object.entries(table)) if (x === v) return k;
  return `${v}`;
}

export const statusName = (s: number): string => nameOf(Status, s);
export const reasonName = (r: number): string => nameOf(ReasonCode, r);

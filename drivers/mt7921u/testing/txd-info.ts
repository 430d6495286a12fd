/** TX descriptor settings for tests and benchmarks: a data frame on the BE queue for WCID 1, at a basic rate. */
import { txRateVal } from '../mac/rates.ts';
import { MtTxq, type TxdInfo } from '../mac/txd.ts';

export function testTxdInfo(over: Partial<TxdInfo> = {}): TxdInfo {
  return {
    qid: MtTxq.BE,
    wcid: 1,
    omacIdx: 0,
    wmmIdx: 0,
    bandIdx: 0,
    pid: 0,
    hwKey: false,
    noAck: false,
    is8023: false,
    priority: 0,
    amsdu: false,
    fixedRate: txRateVal('2g', 0b1111),
    ...over,
  };
}

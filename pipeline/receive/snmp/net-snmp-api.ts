/**
 * The part of net-snmp 3.29 this receiver uses, typed here (the package ships no types, and
 * @types/net-snmp lags it). Loaded with require so no ambient `declare module` is needed.
 */
export interface NetSnmpMessage {
  version: number;
  pdu: { type: number; id?: number; varbinds?: unknown[] };
  user?: { name: string; level: number; authProtocol?: number; authKey?: string; privProtocol?: number; privKey?: string };
  msgGlobalData?: { msgID: number; msgFlags: number };
  msgSecurityParameters?: { msgUserName: string };
  buffer: Buffer | null;
  toBuffer(): Buffer;
  setAuthentication(flag: boolean): void;
  setReportable(flag: boolean): void;
  createReportResponseMessage(engine: unknown, context: string, errorType: string): NetSnmpMessage;
}

export interface NetSnmpPdu {
  type: number;
  id?: number;
  enterprise?: string;
  agentAddr?: string;
  generic?: number;
  specific?: number;
  upTime?: number;
  contextEngineID?: string;
  contextName?: string;
  community?: string;
  user?: string;
  varbinds: Array<{ oid: string; type: number; value: unknown }>;
}

export interface NetSnmpReceiver {
  callback: (error: (Error & { code?: number; status?: number }) | null, data?: { pdu: NetSnmpPdu }) => void;
  engine: { engineID: Buffer; engineBoots: number; engineTime: number };
  listener: { send(message: NetSnmpMessage, rinfo: unknown, socket: unknown): void };
  onMsg(socket: unknown, buffer: Buffer, rinfo: unknown): void;
  getAuthorizer(): { addCommunity(c: string): void; addUser(u: object): void };
}

export interface NetSnmpApi {
  createReceiver(options: object, callback: NetSnmpReceiver['callback']): NetSnmpReceiver;
  PduType: Record<string, number>;
  ObjectType: Record<string, number>;
  SecurityLevel: Record<string, number>;
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
  ResponseInvalidCode: Record<string, number>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const netSnmp = require('net-snmp') as NetSnmpApi;

/** MIB loading, lookup and value rendering for SNMP traps (see docs/decisions/0003-mib-parser.md). */
export { loadMibs, reloadMibs, baseMibDir, mibFiles, type MibLoadOptions } from './load';
export { compileMibs, type MibSource } from './compile';
export { MibStore, v1TrapOid, type LookupResult } from './store';
export { renderValue, formatTicks, dateAndTime, octetHint, type Rendered, type VarbindValue, type OidTranslator } from './render';
export { watchMibs } from './watch';
export type { MibNode, NodeKind, NodeSyntax, Resolved, TextualConvention, LoadReport, ModuleReport, MissingImport, MibProblem } from './types';

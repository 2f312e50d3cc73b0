/** Public shapes of the MIB store (pipeline/snmp/mib). */

export type NodeKind =
  | 'object-type' | 'notification-type' | 'trap-type' | 'module-identity' | 'object-identity'
  | 'object-group' | 'notification-group' | 'module-compliance' | 'agent-capabilities' | 'oid';

export interface NodeSyntax {
  /** Base type after following textual conventions: INTEGER, OCTET STRING, OBJECT IDENTIFIER, BITS, IpAddress, Counter32, Gauge32, TimeTicks, Opaque, Counter64, Unsigned32, Integer32, SEQUENCE, SEQUENCE OF, … */
  base: string;
  /** The textual convention (or SMIv1 defined type) named in SYNTAX, e.g. DisplayString. */
  tc?: string;
  tcModule?: string;
  /** Number → label (INTEGER enums and BITS positions). */
  enums?: Record<number, string>;
  displayHint?: string;
  constraint?: string;
}

export interface MibNode {
  module: string;
  name: string;
  /** Dotted numeric OID. For a v1 TRAP-TYPE: enterprise.0.specific (RFC 3584). */
  oid: string;
  kind: NodeKind;
  syntax?: NodeSyntax;
  units?: string;
  description?: string;
  status?: string;
  access?: string;
  /** NOTIFICATION-TYPE OBJECTS / TRAP-TYPE VARIABLES / group members, as names. */
  objects?: string[];
  /** TRAP-TYPE only. */
  enterprise?: string;
  specific?: number;
  file: string;
  line: number;
}

export interface TextualConvention {
  module: string;
  name: string;
  syntax: NodeSyntax;
  description?: string;
  status?: string;
  file: string;
  line: number;
}

export interface Resolved {
  module: string;
  name: string;
  /** OID of the node. */
  oid: string;
  /** What remains after the node's OID ('' for an exact match, '3', '1.4', …). */
  index: string;
  node: MibNode;
}

export interface MibProblem { file: string; line: number; reason: string }

export interface MissingImport { module: string; symbols: string[]; line: number; reason: 'module not found' | 'symbols not defined there' }

export interface ModuleReport {
  module: string;
  file: string;
  /** loaded: parsed, every import found, every OID resolved; partial: usable but something is missing; failed: parse errors. */
  status: 'loaded' | 'partial' | 'failed';
  errors: MibProblem[];
  missingImports: MissingImport[];
  /** Definitions whose OID could not be computed (names and why). */
  unresolved: Array<{ name: string; line: number; reason: string }>;
  nodes: number;
  /** Tolerated quirks (a symbol used without IMPORTS, …). */
  warnings: string[];
}

export interface LoadReport {
  modules: ModuleReport[];
  /** Files that held no module, or a module name already loaded from an earlier file. */
  files: Array<MibProblem>;
  loaded: number;
  total: number;
  parseMs: number;
}

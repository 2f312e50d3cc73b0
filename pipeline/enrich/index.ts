/** The enrich stage: see enricher.ts and docs/enrichment.md. */
export { createEnricher, type Enricher, type EnrichConfig, type EnrichDeps } from './enricher';
export { severityFor, type Level, type Criticality } from './severity';
export { THREAT_FIELDS, THREAT_TAG } from './threat';

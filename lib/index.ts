/** transcript-analysis-pipeline: the public API. */
export * from './constructs/transcript-analysis-pipeline';
export * from './constructs/warehouse';
export * from './constructs/work-bucket';
export * from './constructs/identities';
export * from './constructs/runtime-job';
export * from './constructs/orchestration';
export * from './constructs/monitoring';
export { PropError } from './private/validation';
export { DEFAULT_ANALYSIS, DEFAULT_MODEL, analysisVersion, responseSchema, resultsTable } from '../runtime/contract/analysis';
export type { AnalysisSpec, AnalysisField, AnalysisFieldType, GenerationConfig } from '../runtime/contract/analysis';
export { PRIMARY_ANALYSIS, planAnalyses, resultsTableName } from '../runtime/contract/analyses';
export type { PlannedAnalysis } from '../runtime/contract/analyses';
export { DEFAULT_INFO_TYPES, INFO_TYPES, REPLACE_WITH_INFO_TYPE } from '../runtime/contract/redaction';
export type { RedactionSettings } from '../runtime/contract/redaction';

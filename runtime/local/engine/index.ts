/**
 * The local Workflows engine: runs Google Cloud Workflows definitions on a laptop with the semantics
 * of the Workflows language and exactly the standard library Google documents (see
 * `workflows-stdlib.md` and `workflows-language.md` in the shared reference; `CHOICES.md` where they
 * are silent), on a virtual clock, with connectors answered by handlers the caller supplies.
 * Nothing reaches the network.
 *
 * ```ts
 * const wf = parseWorkflow(fs.readFileSync('workflows/batch.yaml', 'utf8'), 'workflows/batch.yaml');
 * const outcome = await runWorkflow(wf, {
 *   argument: { execution_id: 'e1', batch_id: 0 },
 *   env: { TAP_BUCKET: 'work' },
 *   handlers: { 'googleapis.run.v2.projects.locations.jobs.run': async (args, ctx) => { await ctx.sleep(60); return {}; } },
 * });
 * if (outcome.state === 'FAILED') console.log(outcome.error);
 * // The minute-long jobs.run above was polled 13 times; the polls count toward the step limit.
 * console.log(`${outcome.stats.steps} of ${outcome.stats.stepLimit} steps, ${outcome.stats.pollSteps} of them polls`);
 * ```
 */
export { VirtualClock, DEFAULT_START_SECONDS } from './clock';
export { parseWorkflow, compileDefinition, DEFINITION_LIMITS } from './definition';
export type { CompiledDefinition, Workflow, Subworkflow, Step, StepList, StepBody, Template, Target } from './definition';
export { WorkflowDefinitionError, ERROR_TAGS } from './errors';
export type { ErrorTag, SourceLocation } from './errors';
export { runWorkflow, DEFAULT_LIMITS, LOCAL_BUILTINS, MAX_USER_ENV_VARS } from './interpreter';
export type {
  ConnectorHandler,
  ConnectorHandlers,
  ExecutionLimits,
  ExecutionOutcome,
  ExecutionStats,
  HandlerContext,
  LogEntry,
  RunOptions,
  StepEvent,
} from './interpreter';
export { lintWorkflow, lintSource } from './lint';
export type { LintFinding } from './lint';
export { parseExpression } from './expression';
export { STDLIB, STDLIB_OBJECTS, EXPRESSION_CONNECTORS } from './stdlib';
export { pollsFor, DEFAULT_POLLING, LONG_RUNNING_CONNECTORS } from './polling';
export type { PollingPolicy } from './polling';

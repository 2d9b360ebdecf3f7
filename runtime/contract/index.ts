/** Every name that crosses a boundary between the construct, the workflows and the jobs. */
export * from './env';
export * from './names';
export * from './tables';
export * from './analysis';
export * from './analysis-check';
export * from './limits';
export * from './errors';
export * from './layout';
export * from './prices';
export * from './cloud-prices';
export * from './views';
export * from './logging';
export * from './local';
export * from './deployment';
export * from './redaction';

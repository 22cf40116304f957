/**
 * The chart option builders, for the reports (drawn to SVG by svg.ts) and the web screens (drawn by
 * ECharts in the browser): pure functions of simple data, no Node imports.
 */
export { oeeWaterfallOption, OEE_WATERFALL_LABELS, type OeeWaterfallInput } from './oee-waterfall.ts';
export { paretoOption, type ParetoInput, type ParetoInputEntry } from './pareto.ts';
export { CHART_COLORS, CHART_FONT } from './theme.ts';
export { throughputOption, type ThroughputBucket, type ThroughputInput } from './throughput.ts';
export { utilizationOption, type UtilizationInput, type UtilizationStation } from './utilization.ts';

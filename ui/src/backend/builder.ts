// The report builder's calls, typed. They go through `Backend.call`, which the desktop app,
// the browser bridge and the fake each answer (the fake says the builder needs real data).
import type { Backend } from './index';
import type { CellKey, ExpressionCheck, FieldInfo, MetricInfo, ReportResult, ReportSpec, ReportStep } from './types';

export interface DatasetChoice {
  name: string;
  label: string;
  section?: string;
}

export interface ValueCount {
  value: string | number | boolean | null;
  count: number;
}

export const builderCalls = (b: Backend) => ({
  datasets: () => b.call<DatasetChoice[]>('datasets', {}),
  fields: (spec: ReportSpec) => b.call<FieldInfo[]>('fields', { spec }),
  metrics: () => b.call<MetricInfo[]>('metrics', {}),
  run: (spec: ReportSpec, name: string) => b.call<ReportResult>('run_spec', { spec, name }),
  preview: (spec: ReportSpec, step: ReportStep) => b.call<ReportResult>('preview', { spec, step }),
  drill: (spec: ReportSpec, keys: CellKey[]) => b.call<ReportResult>('drill', { spec, keys }),
  values: (spec: ReportSpec, column: string, search: string) => b.call<ValueCount[]>('column_values', { spec, column, search }),
  checkExpression: (spec: ReportSpec, text: string) => b.call<ExpressionCheck>('check_expression', { spec, text }),
});

export type BuilderCalls = ReturnType<typeof builderCalls>;

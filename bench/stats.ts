/** Small statistics and formatting helpers for the bench tables. */

/** The q-quantile (0..1) of `values` by linear interpolation; NaN for an empty list. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export const median = (values: ArrayLike<number>): number => quantile(values, 0.5);

/** Median, min and max of a list of finite numbers (non-finite ones are ignored). */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter((value) => Number.isFinite(value));
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : NaN,
    max: finite.length ? Math.max(...finite) : NaN,
    n: finite.length,
  };
}

/** `median (min-max)` with `digits` decimals, or a dash when there is nothing. */
export function formatSpread(value: Spread, digits = 0, unit = ''): string {
  if (value.n === 0) return '-';
  const f = (x: number) => formatNumber(x, digits);
  return value.n === 1 ? `${f(value.median)}${unit}` : `${f(value.median)}${unit} (${f(value.min)}-${f(value.max)})`;
}

/** A number with thousands separators and a fixed number of decimals. */
export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Per-run ratios `values[i] / baseline[i]` for the runs where both exist. */
export function ratios(values: readonly number[], baseline: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(values.length, baseline.length); i++) {
    const ratio = values[i]! / baseline[i]!;
    if (Number.isFinite(ratio)) out.push(ratio);
  }
  return out;
}

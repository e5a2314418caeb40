/** Mean and its standard error as lm-eval reports them: sample stddev (n - 1) / sqrt(n). */
export function meanWithStderr(xs: readonly number[]): { mean: number; stderr: number } {
  const n = xs.length;
  if (n === 0) return { mean: 0, stderr: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, stderr: 0 };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, stderr: Math.sqrt(v) / Math.sqrt(n) };
}

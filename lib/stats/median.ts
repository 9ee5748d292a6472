/** The median of a list of numbers (the mean of the middle two for an even count); NaN for an empty list. */
export function median(values: ArrayLike<number>): number {
  // a typed-array sort is numeric, and float32 inputs are exact in float64
  const s = Float64Array.from(values).sort();
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

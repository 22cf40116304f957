/** The one output format of the benchmarks. */
export function bench(name: string, value: number, unit: string): void {
  const shown = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(3);
  console.log(`BENCH ${name} ${shown} ${unit}`);
}

export function info(text: string): void {
  console.log(`# ${text}`);
}

/**
 * A loopback address of its own for a test's emulated node (Linux routes all of 127/8 to lo): engines
 * of test files running side by side then never contend for one port, whatever port block their
 * controllers pick. Slurm test clusters take whole /24s the same way (cli/src/up/slurm-cluster.ts).
 */
export function randomLoopback(): string {
  const r = (lo: number, n: number) => lo + Math.floor(Math.random() * n);
  return `127.${r(10, 240)}.${r(0, 250)}.${r(1, 250)}`;
}

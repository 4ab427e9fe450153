/** The one way Bora writes a number of bytes for people. */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * Bytes in binary units with one decimal: `0.5 MiB`, `12.3 MiB`, `4.1 GiB`. Everything under a GiB
 * is in MiB, even a few KiB (`0.0 MiB`): the sizes Bora shows are models and their downloads, and
 * what has arrived, the total and the rate of one download read best in one unit.
 */
export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

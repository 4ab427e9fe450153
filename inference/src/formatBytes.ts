/** The one way Bora writes a number of bytes for people. */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * Bytes in binary units with one decimal: `512 B`, `20.0 KiB`, `0.5 MiB`, `12.3 MiB`, `4.1 GiB`.
 * From a tenth of a MiB up, sizes are in MiB (GiB from 1 GiB), so for most of a download what has
 * arrived and the model's size read in the same unit.
 */
export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  if (bytes >= MiB / 10) return `${(bytes / MiB).toFixed(1)} MiB`;
  if (bytes >= KiB) return `${(bytes / KiB).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

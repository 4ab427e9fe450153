/** Two protocol versions are compatible when their major parts agree (semver, with 0.x treated by minor). */
export function protocolCompatible(a: string, b: string): boolean {
  const pa = a.split(".");
  const pb = b.split(".");
  if (pa.length < 2 || pb.length < 2) return false;
  // Before 1.0 every minor release may break the wire format, so 0.x compares the minor too.
  if (pa[0] === "0" || pb[0] === "0") return pa[0] === pb[0] && pa[1] === pb[1];
  return pa[0] === pb[0];
}

/**
 * The host's version, kept equal to `server/package.json` by a unit test (the bundle cannot read
 * package.json at run time: it may run from anywhere).
 */
export const HOST_VERSION = "0.1.0";

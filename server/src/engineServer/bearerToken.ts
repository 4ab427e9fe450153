/**
 * Bearer-token checks for `bora engine serve`. The comparison takes the same time whatever the
 * guess, so the token cannot be found byte by byte from response times; the token is never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";

function digest(value: string): Buffer {
  // Hashing first gives equal-length buffers, which timingSafeEqual needs, without leaking the length.
  return createHash("sha256").update(value, "utf8").digest();
}

/** True when the `Authorization` header carries exactly `Bearer <token>`. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  const offered = match?.[1]?.trim() ?? "";
  // Compare even when nothing was offered, so a missing header costs the same as a wrong one.
  const equal = timingSafeEqual(digest(offered), digest(token));
  return equal && offered !== "";
}

/** A loopback address needs no token; anything else (a LAN address, 0.0.0.0, ::) must have one. */
export function isLoopbackBind(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

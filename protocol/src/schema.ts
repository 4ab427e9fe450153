/** Small schema builders the protocol's TypeBox schemas share. */
import { Type, type SchemaOptions, type TUnsafe } from "@sinclair/typebox";

/**
 * A string that is one of `values`, as a plain JSON Schema `enum` (so a validator names the allowed
 * values in one message) whose TypeScript type is the union of the values.
 */
export function stringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: "string", enum: [...values] });
}

/**
 * Secrets cross the LSP connection sealed, because LSP messages get logged: VS Code writes every
 * message to the output channel when `bora.trace.server` is `verbose`. The host makes an X25519 key
 * pair when it starts and offers the public half in its `initialize` result; the extension seals
 * each secret to it (an ephemeral X25519 key, HKDF-SHA-256, AES-256-GCM with the secret's name as
 * associated data, so a sealed value cannot be replayed under another name). A trace shows only
 * ciphertext that no one but that host process can open.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { Type, type Static } from "@sinclair/typebox";

/**
 * Longest sealed value: the base64 of a secret of up to 48 KiB. API keys and tokens are a few
 * hundred bytes; a limit keeps a hostile or broken client from making the host decrypt megabytes.
 */
export const MAX_SEALED_DATA_CHARS = 65536;
/** Longest base64 of the small fields: an X25519 SPKI key is 60 characters, the IV 16, the tag 24. */
const MAX_SEALED_FIELD_CHARS = 128;

const base64 = (maxLength: number, description: string) =>
  Type.String({ minLength: 1, maxLength, pattern: "^[A-Za-z0-9+/]+={0,2}$", description });

export const SealedSecret = Type.Object(
  {
    key: base64(MAX_SEALED_FIELD_CHARS, "The sender's ephemeral X25519 public key, base64 SPKI DER."),
    iv: base64(MAX_SEALED_FIELD_CHARS, "AES-GCM nonce, base64."),
    data: base64(MAX_SEALED_DATA_CHARS, "Ciphertext, base64."),
    tag: base64(MAX_SEALED_FIELD_CHARS, "AES-GCM tag, base64."),
  },
  {
    description: "A secret sealed to the host's `secretKey`.",
    // Well-formed, not openable: what a schema walker needs to reach the fields.
    examples: [
      {
        key: "MCowBQYDK2VuAyEAdKZ3bXRTdGVzdGtleXRlc3RrZXl0ZXN0a2V5dGVzdGs=",
        iv: "AAAAAAAAAAAAAAAA",
        data: "c2VjcmV0",
        tag: "AAAAAAAAAAAAAAAAAAAAAA==",
      },
    ],
  },
);
export type SealedSecret = Static<typeof SealedSecret>;

const INFO = Buffer.from("bora secret v1");

function aesKey(privateKey: KeyObject, publicKey: KeyObject, salt: Buffer): Buffer {
  const shared = diffieHellman({ privateKey, publicKey });
  return Buffer.from(hkdfSync("sha256", shared, salt, INFO, 32));
}

function publicKeyFrom(base64: string): KeyObject {
  return createPublicKey({ key: Buffer.from(base64, "base64"), format: "der", type: "spki" });
}

/** Seals `value` for the holder of `recipientKey` (base64 SPKI DER, from the host's `initialize` result). */
export function sealSecret(recipientKey: string, name: string, value: string): SealedSecret {
  const recipient = publicKeyFrom(recipientKey);
  const ephemeral = generateKeyPairSync("x25519");
  const key = ephemeral.publicKey.export({ format: "der", type: "spki" });
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", aesKey(ephemeral.privateKey, recipient, key), iv);
  cipher.setAAD(Buffer.from(name));
  const data = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  return {
    key: key.toString("base64"),
    iv: iv.toString("base64"),
    data: data.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
  };
}

/** The receiving side: one key pair for the life of the process. */
export class SecretOpener {
  private readonly pair = generateKeyPairSync("x25519");

  /** The public key to offer, base64 SPKI DER. */
  readonly publicKey: string = this.pair.publicKey.export({ format: "der", type: "spki" }).toString("base64");

  /** Opens a sealed secret; throws when it was sealed for another key, another name, or altered. */
  open(name: string, sealed: SealedSecret): string {
    const sender = publicKeyFrom(sealed.key);
    const salt = Buffer.from(sealed.key, "base64");
    const decipher = createDecipheriv(
      "aes-256-gcm",
      aesKey(this.pair.privateKey, sender, salt),
      Buffer.from(sealed.iv, "base64"),
    );
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString("utf8");
  }
}

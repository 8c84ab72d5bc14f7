/**
 * OpenPGP signatures of repository metadata (apt's InRelease / Release.gpg, dnf's
 * repomd.xml.asc), checked against a keyring the user names, as gpgv does for apt and dnf.
 *
 * Why OpenPGP.js (the `openpgp` npm package) and not gpgv: kubeseed builds bundles on hosts that
 * need not be Debian (a Mac, a RHEL box, CI images without gnupg), and gpgv's keyring formats
 * and exit codes differ between GnuPG versions. OpenPGP.js is pure TypeScript-typed JavaScript,
 * maintained by Proton with regular audits, has no dependencies, reads binary and armored
 * keyrings (Debian's /usr/share/keyrings/*.gpg, RPM-GPG-KEY-* files), and rejects MD5/SHA-1
 * message signatures by default. It is loaded only when a signature is checked.
 */
import type { Key } from 'openpgp';

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

type OpenPgp = typeof import('openpgp');
let lib: Promise<OpenPgp> | undefined;
const openpgp = (): Promise<OpenPgp> => (lib ??= import('openpgp'));

/** The public keys in a keyring file's bytes: binary (a .gpg keyring) or ASCII-armored. */
export async function readKeyring(bytes: Uint8Array, file: string): Promise<Key[]> {
  const pgp = await openpgp();
  const text = Buffer.from(bytes).toString('latin1');
  try {
    const keys = text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')
      ? await pgp.readKeys({ armoredKeys: text })
      : await pgp.readKeys({ binaryKeys: bytes });
    if (keys.length === 0) throw new Error('no keys');
    return keys;
  } catch (e) {
    // GnuPG's own keybox (pubring.kbx) is not OpenPGP packets: say how to export one.
    const hint = text.slice(8, 12) === 'KBXf' ? ' (a GnuPG keybox: export the key with gpg --export KEYID > keyring.gpg)' : '';
    throw new SignatureError(`keyring ${file}: not an OpenPGP public keyring${hint}: ${(e as Error).message}`);
  }
}

/**
 * Waits for every signature's check. Passes when at least one signature was made by a key in the
 * keyring and verifies; fails when none does, or when one made by a keyring key does not verify.
 */
async function judge(
  sigs: readonly { keyID: { toHex(): string }; verified: Promise<unknown> }[],
  keys: readonly Key[],
  what: string,
): Promise<string> {
  if (sigs.length === 0) throw new SignatureError(`${what}: not signed`);
  const known = new Set(keys.flatMap((k) => k.getKeyIDs().map((id) => id.toHex())));
  let good: string | null = null;
  const unknown: string[] = [];
  for (const s of sigs) {
    const id = s.keyID.toHex();
    try {
      await s.verified;
      good ??= id;
    } catch (e) {
      if (!known.has(id)) {
        unknown.push(id);
        continue;
      }
      throw new SignatureError(`${what}: BAD signature by key ${id}: ${(e as Error).message}`);
    }
  }
  if (good === null) {
    throw new SignatureError(`${what}: no signature by a key in the keyring (signed by ${unknown.join(', ')})`);
  }
  return good;
}

/** Verifies a clearsigned text (InRelease); returns the signed text and the key id that signed it. */
export async function verifyClearsigned(text: string, keys: readonly Key[], what: string, date?: Date): Promise<{ text: string; keyId: string }> {
  const pgp = await openpgp();
  let message;
  try {
    message = await pgp.readCleartextMessage({ cleartextMessage: text });
  } catch (e) {
    throw new SignatureError(`${what}: not a clearsigned OpenPGP message: ${(e as Error).message}`);
  }
  const r = await pgp.verify({ message, verificationKeys: [...keys], ...(date ? { date } : {}) });
  const keyId = await judge(r.signatures, keys, what);
  return { text: r.data, keyId };
}

/** Verifies a detached signature (Release.gpg, repomd.xml.asc; binary or armored) over `data`. */
export async function verifyDetached(data: Uint8Array, signature: Uint8Array, keys: readonly Key[], what: string, date?: Date): Promise<string> {
  const pgp = await openpgp();
  const sigText = Buffer.from(signature).toString('latin1');
  let sig;
  try {
    sig = sigText.includes('-----BEGIN PGP SIGNATURE-----')
      ? await pgp.readSignature({ armoredSignature: sigText })
      : await pgp.readSignature({ binarySignature: signature });
  } catch (e) {
    throw new SignatureError(`${what}: not an OpenPGP signature: ${(e as Error).message}`);
  }
  const message = await pgp.createMessage({ binary: data });
  const r = await pgp.verify({ message, signature: sig, verificationKeys: [...keys], format: 'binary', ...(date ? { date } : {}) });
  return judge(r.signatures, keys, what);
}

/**
 * Key pairs. node:crypto makes them (native, ~50x faster than node-forge's pure-JS RSA) and
 * encodes them the way kubeadm writes its own: RSA private keys as PKCS#1 ("RSA PRIVATE KEY"),
 * EC private keys as SEC1 ("EC PRIVATE KEY"), public keys as PKIX ("PUBLIC KEY").
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export type KeyAlgorithm = 'rsa' | 'ecdsa';

/** kubeadm's sizes: RSA 2048 (pkiutil rsaKeySize), ECDSA on P-256. */
export const RSA_BITS = 2048;
export const EC_CURVE = 'prime256v1';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function generateKeyPair(alg: KeyAlgorithm): KeyPair {
  return alg === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: RSA_BITS, publicExponent: 0x10001 })
    : generateKeyPairSync('ec', { namedCurve: EC_CURVE });
}

export function privateKeyPem(key: KeyObject): string {
  const type = key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1';
  return key.export({ type, format: 'pem' }) as string;
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

export function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** The algorithm of a key we made, or a reason it is not one we make. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'rsa';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === EC_CURVE) return 'ecdsa';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new Error(`unsupported key type ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}: expected RSA or ECDSA P-256`);
}

export function parsePrivateKeyPem(pem: string): KeyObject {
  return createPrivateKey({ key: pem, format: 'pem' });
}

export function parsePublicKeyPem(pem: string): KeyObject {
  return createPublicKey({ key: pem, format: 'pem' });
}

/** True when both keys are halves of one pair (compared by their SPKI encoding). */
export function isKeyPair(privateKey: KeyObject, publicKey: KeyObject): boolean {
  return spkiDer(createPublicKey(privateKey)).equals(spkiDer(publicKey));
}

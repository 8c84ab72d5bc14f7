import { createPrivateKey } from 'node:crypto';

/** True when the PEM is a private key in the given encoding (pkcs1: RSA, sec1: EC), as kubeadm writes them. */
export function isEncodedAs(pem: string, type: 'pkcs1' | 'sec1'): boolean {
  return createPrivateKey(pem).export({ format: 'pem', type }) === pem;
}

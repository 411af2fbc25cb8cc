import * as crypto from 'node:crypto';

// crypto.hash (one-shot, about twice as fast) where the runtime has it
const oneShot = (crypto as { hash?: (alg: string, data: string) => string }).hash;

/** SHA-256 of a string's UTF-8 bytes as lowercase hex. */
export const sha256Hex: (s: string) => string = oneShot ? (s) => oneShot('sha256', s) : (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');

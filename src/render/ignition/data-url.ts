/**
 * RFC 2397 data URLs for Ignition `contents.source`. Everything goes as base64 with no media
 * type: binary-safe, one rule for text and bytes, and the same bytes always give the same URL.
 */
export function dataUrl(content: string | Uint8Array): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  return `data:;base64,${bytes.toString('base64')}`;
}

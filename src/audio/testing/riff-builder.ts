/** Builders of RIFF/WAVE bytes for tests of the WAV readers. */

/** A RIFF chunk: id, little-endian size, body, pad byte when the body is odd. */
export function chunk(id: string, body: Buffer, sizeField = body.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'ascii');
  head.writeUInt32LE(sizeField, 4);
  return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/** A `fmt ` chunk; `extensibleCode` makes it WAVE_FORMAT_EXTENSIBLE with that sub-format. */
export function fmt(
  code: number,
  channels: number,
  rate: number,
  bits: number,
  extensibleCode?: number,
): Buffer {
  const body = Buffer.alloc(extensibleCode === undefined ? 16 : 40);
  body.writeUInt16LE(code, 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(rate, 4);
  body.writeUInt32LE((rate * channels * bits) / 8, 8);
  body.writeUInt16LE((channels * bits) / 8, 12);
  body.writeUInt16LE(bits, 14);
  if (extensibleCode !== undefined) {
    body.writeUInt16LE(22, 16);
    body.writeUInt16LE(bits, 18);
    body.writeUInt16LE(extensibleCode, 24); // first bytes of the sub-format GUID
  }
  return chunk('fmt ', body);
}

/** A RIFF/WAVE file of these chunks; `sizeField` overrides the RIFF size. */
export function riff(chunks: Buffer[], sizeField?: number): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'ascii'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(sizeField ?? body.length, 4);
  return Buffer.concat([head, body]);
}

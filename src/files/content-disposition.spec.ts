import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attachmentDisposition } from './content-disposition.js';

describe('attachmentDisposition', () => {
  it('names a plain file both ways', () => {
    assert.equal(
      attachmentDisposition('voice.wav'),
      `attachment; filename="voice.wav"; filename*=UTF-8''voice.wav`,
    );
  });

  it('keeps quotes, line breaks and non-ASCII out of the header', () => {
    const header = attachmentDisposition('a"b\\c\r\nSet-Cookie: x=1 ü.wav');
    assert.doesNotMatch(header, /[\r\n]/);
    assert.match(header, /^attachment; filename="a_b_c__Set-Cookie: x=1 _\.wav"; filename\*=UTF-8''/);
    assert.ok(header.endsWith(`a%22b%5Cc%0D%0ASet-Cookie%3A%20x%3D1%20%C3%BC.wav`));
    assert.match(attachmentDisposition("it's (1).wav"), /filename\*=UTF-8''it%27s%20%281%29\.wav$/);
  });
});

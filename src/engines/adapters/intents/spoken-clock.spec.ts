import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTimeZone, spokenDate, spokenTime } from './spoken-clock.js';

void describe('spoken clock', () => {
  const moment = new Date('2024-05-14T13:05:00Z');

  void it('says the time in words for the given zone', () => {
    assert.equal(spokenTime(moment, 'UTC'), 'one oh five in the afternoon');
    assert.equal(spokenTime(moment, 'Europe/Berlin'), 'three oh five in the afternoon');
    assert.equal(spokenTime(moment, 'America/New_York'), 'nine oh five in the morning');
    assert.equal(spokenTime(new Date('2024-05-14T12:00:00Z'), 'UTC'), 'twelve noon');
    assert.equal(spokenTime(new Date('2024-05-14T00:00:00Z'), 'UTC'), 'midnight');
    assert.equal(spokenTime(new Date('2024-05-14T20:00:00Z'), 'UTC'), "eight o'clock in the evening");
    assert.equal(spokenTime(new Date('2024-05-14T23:45:00Z'), 'UTC'), 'eleven forty five at night');
  });

  void it('says the date with an ordinal day, in the zone (the day may differ)', () => {
    assert.equal(spokenDate(moment, 'UTC'), 'Tuesday, the fourteenth of May, 2024');
    assert.equal(
      spokenDate(new Date('2024-05-14T23:30:00Z'), 'Asia/Tokyo'),
      'Wednesday, the fifteenth of May, 2024',
    );
  });

  void it('refuses a name that is not a time zone', () => {
    assert.throws(() => checkTimeZone('Mars/Olympus'), RangeError);
    checkTimeZone('Europe/Berlin');
  });
});

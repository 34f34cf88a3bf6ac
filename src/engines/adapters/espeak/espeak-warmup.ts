/**
 * Texts the WASM workers synthesise while idle after start. The build is wasm2js, so V8
 * compiles espeak's code only as it runs: the first ~50 syntheses of a fresh instance are
 * 3–20× slower than later ones. Varied sentences (numbers, punctuation, questions, a long
 * one) reach the code paths real requests take.
 */
export const WARMUP_TEXTS: readonly string[] = [
  'Hello, and welcome to the speech gateway.',
  'The quick brown fox jumps over the lazy dog near the river!',
  'Is this the right way to the station? Yes, it is about 300 metres away.',
  'On 12 March 2024 at 10:45, the temperature was 21.5 degrees.',
  'Please call me back at your earliest convenience; thank you.',
  'Speech synthesis is the artificial production of human speech. A computer system used for this ' +
    'purpose is called a speech synthesizer, and can be implemented in software or hardware products.',
  '"Stop," she said. Then, after a pause (a long one), she laughed.',
  'Dr. Smith paid $1,250.75 for 3 tickets — not bad!',
];

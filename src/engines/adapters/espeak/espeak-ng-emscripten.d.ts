/**
 * Types for @echogarden/espeak-ng-emscripten@0.3.x, which ships none. Only what the adapter
 * uses is declared; shapes were checked against the package's glue code (espeak-ng.js).
 */
declare module '@echogarden/espeak-ng-emscripten' {
  export type EspeakEventType =
    | 'list_terminated'
    | 'word'
    | 'sentence'
    | 'mark'
    | 'play'
    | 'end'
    | 'msg_terminated'
    | 'phoneme'
    | 'samplerate';

  export interface EspeakEvent {
    type: EspeakEventType;
    /** 1-based, in Unicode code points of the (SSML) input; drifts after entities and tags. */
    text_position: number;
    word_length: number;
    /** Milliseconds from the start of the synthesis. */
    audio_position: number;
    /** word/sentence: ordinal; mark/play: the name; phoneme: IPA ('' = pause). */
    id?: number | string;
  }

  export interface EspeakVoiceEntry {
    name: string;
    /** The voice file, e.g. gmw/en-US: the one name every espeak-ng build accepts. */
    identifier: string;
    /** Lower priority = better match for that language. */
    languages: Array<{ priority: number; name: string }>;
  }

  /** espeak_VOICE as the IDL binding exposes it (the raw struct, one per listed voice). */
  export interface EspeakVoiceStruct {
    readonly ptr: number;
    get_identifier(): string;
    /** 0 = none, 1 = male, 2 = female (espeak_VOICE.gender). */
    get_gender(): number;
  }

  export class eSpeakNGWorker {
    constructor();
    /** Always 22050. */
    readonly samplerate: number;
    /** espeak_SetVoiceByName, or by properties when `name` is '' ; 0 = EE_OK. */
    set_voice(name: string, language?: string): number;
    /** Words per minute; applied by the next synthesize(). */
    set_rate(wpm: number): void;
    /** 0–99; applied by the next synthesize(). */
    set_pitch(pitch: number): void;
    /**
     * Synchronous: runs espeak_Synth with espeakSSML|espeakPHONEMES, so text is always SSML.
     * The callback gets a copy of each audio chunk (mono Int16 at `samplerate`) and its
     * events; returning true stops the synthesis.
     */
    synthesize(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => boolean): void;
    list_voices(): EspeakVoiceEntry[];
    /** The i-th listed voice; `ptr` is 0 past the end. */
    get_voices(index: number): EspeakVoiceStruct;
  }

  export interface EspeakModule {
    eSpeakNGWorker: typeof eSpeakNGWorker;
  }

  /** Each call builds an independent instance (own heap, own copy of espeak-ng-data). */
  const createEspeakModule: (overrides?: object) => Promise<EspeakModule>;
  export default createEspeakModule;
}

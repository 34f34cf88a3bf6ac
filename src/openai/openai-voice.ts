/**
 * The voice an OpenAI voice name stands for (openai.voice_map), or the name itself (a
 * configured voice). Own entries only: 'constructor' or 'toString' are voice names, not
 * inherited functions.
 */
export function voiceForOpenAiName(voiceMap: Readonly<Record<string, string>>, name: string): string {
  return (Object.hasOwn(voiceMap, name) ? voiceMap[name] : undefined) ?? name;
}

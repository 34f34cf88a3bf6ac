import { SetMetadata } from '@nestjs/common';

export const RAW_RESPONSE = 'speech-gateway:raw-response';

/** The handler writes its own body shape (audio, legacy or OpenAI shapes): no envelope. */
export const RawResponse = (): MethodDecorator & ClassDecorator => SetMetadata(RAW_RESPONSE, true);

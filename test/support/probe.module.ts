import { Body, Controller, Get, Module, Post, Query } from '@nestjs/common';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { RequestContextStore } from '../../src/common/request-context.js';
import { RouterGate } from '../../src/config/router-gate.decorator.js';

export class ProbeEchoDto {
  @IsString() text!: string;
  @IsInt() @Min(1) @Max(10) count!: number;
}

/** Routes that exist only in tests: slow answers, crashes, a core-gated route, DTO validation. */
@Controller('probe')
export class ProbeController {
  @Get('slow')
  async slow(@Query('ms') ms: string): Promise<{ waited_ms: number }> {
    const wait = Number(ms) || 0;
    await new Promise((resolve) => setTimeout(resolve, wait));
    return { waited_ms: wait };
  }

  @Get('crash')
  crash(): never {
    throw new Error('database password hunter2 leaked at /srv/app/secret.ts:42');
  }

  @Post('crash')
  crashAfterBody(@Body() body: ProbeEchoDto): never {
    throw new Error(`failed on ${body.text} with password hunter2`);
  }

  @Post('echo')
  echo(@Body() body: ProbeEchoDto): ProbeEchoDto {
    const context = RequestContextStore.current();
    if (context) {
      context.engine = 'probe-engine';
      context.voice = 'probe-voice';
    }
    return body;
  }

  @RouterGate('core.tts')
  @Get('core-tts')
  coreTts(): { served: boolean } {
    return { served: true };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

import { ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function keysWithoutString(value: unknown): string[] {
  return isRecord(value) ? Object.keys(value).filter((key) => typeof value[key] !== 'string') : [];
}

/** A name → string mapping (`@IsObject()` alone lets `{a: [1]}` through as a value). */
export function IsStringMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringMap',
      validator: {
        validate: (value: unknown) => isRecord(value) && keysWithoutString(value).length === 0,
        defaultMessage: (args?: ValidationArguments) => {
          const bad = keysWithoutString(args?.value);
          return bad.length === 0
            ? `${args?.property ?? 'value'} must be a mapping of names to strings`
            : `${args?.property ?? 'value'} must map names to strings; not a string: ${bad.join(', ')}`;
        },
      },
    },
    options,
  );
}

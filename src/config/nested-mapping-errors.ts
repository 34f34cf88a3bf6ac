import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { snakePathOf } from './config-keys.js';

/*
 * class-validator's @ValidateNested() accepts an array where a mapping is declared (it
 * validates the items instead), so `routers: { core: { tts: [] } }` would pass and leave
 * code reading `tts.fallback` from an array. This walks every nested section of a
 * validated config instance, as declared by the schema's own decorators, and names each
 * array found where a mapping (or a list of mappings) belongs.
 */

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

export function nestedMappingErrors(instance: object, camelPath: readonly string[] = []): string[] {
  const errors: string[] = [];
  const nested = getMetadataStorage()
    .getTargetValidationMetadatas(instance.constructor, '', true, false)
    .filter((meta) => meta.type === ValidationTypes.NESTED_VALIDATION);
  const properties = [...new Map(nested.map((meta) => [meta.propertyName, meta.each])).entries()];
  for (const [property, each] of properties) {
    const value: unknown = (instance as Record<string, unknown>)[property];
    const path = [...camelPath, property];
    const items: Array<[string[], unknown]> =
      each && Array.isArray(value)
        ? value.map((item, index) => [[...path, String(index)], item])
        : [[path, value]];
    for (const [itemPath, item] of items) {
      if (Array.isArray(item)) errors.push(`${snakePathOf(itemPath)} must be a mapping`);
      else if (isObject(item)) errors.push(...nestedMappingErrors(item, itemPath));
    }
  }
  return errors;
}

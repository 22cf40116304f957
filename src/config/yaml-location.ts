/**
 * Where a key path of a YAML document is, so that configuration errors (line files, site files)
 * name the line of the file and the field: `lines[0].file`, ` line 12`.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';

/** `stations[2].units` from a zod issue path. */
export function formatPath(keys: readonly PropertyKey[]): string {
  return keys.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/**
 * Where a key path is in the YAML text: the offset of its deepest key that exists (the key itself,
 * not its value, which for a block starts on the next line), or of the sequence item.
 */
export function offsetAt(root: unknown, keys: readonly PropertyKey[]): number | undefined {
  let node = root as Node | undefined;
  let offset = node?.range?.[0];
  for (const key of keys) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(key));
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value as Node | undefined;
    } else if (isSeq(node) && typeof key === 'number') {
      const next = node.get(key, true) as Node | undefined;
      if (next === undefined) break;
      offset = next.range?.[0] ?? offset;
      node = next;
    } else break;
  }
  return offset;
}

// Dictionaries keyed by question id. Ids are any text, so "constructor" or "__proto__" may be one:
// a dictionary without a prototype finds no inherited member and holds "__proto__" as a plain key.

export function dict<T>(from?: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, from);
}

/**
 * Memoising a pure function of one string, for hot paths that see the same few inputs again and again (a
 * gateway's client addresses and destinations). Bounded: when it holds `max` answers it starts over, so inputs
 * chosen by a caller cannot grow memory.
 */
export function memoize<T>(fn: (key: string) => T, max = 10_000): (key: string) => T {
  let answers = new Map<string, T>();
  return (key) => {
    const known = answers.get(key);
    if (known !== undefined || answers.has(key)) return known as T;
    const answer = fn(key);
    if (answers.size >= max) answers = new Map();
    answers.set(key, answer);
    return answer;
  };
}

/**
 * "Did you mean …?" for misspelt keys and values.
 *
 * Invariants:
 *   1. Returns a candidate only when it is close enough to be a plausible typo; otherwise undefined.
 *   2. Ties go to the earliest candidate, so the answer is deterministic for a given candidate order.
 *   3. Never returns the word itself (an exact match is not a suggestion).
 */

/**
 * The candidate `word` most plausibly meant, or undefined when nothing is close.
 *
 * Comparison ignores case, `-` and `_`, so `keyFile`, `key-file` and `keyfile` all suggest `key_file`.
 * Otherwise it uses the optimal-string-alignment distance (insertions, deletions, substitutions and swaps of
 * two neighbours), allowing 1 edit for words up to 3 characters, 2 up to 6 and 3 beyond. As a last resort, a
 * candidate that contains the word (or is contained in it) is suggested: `multicast` → `udp-multicast`.
 *
 * @example
 * suggest('deadtme', ['keepalive', 'warntime', 'deadtime', 'initdead']) // 'deadtime'
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const wanted = normalize(word);
  if (wanted.length === 0) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = editDistance(wanted, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= allowedEdits(wanted.length)) return best;
  if (wanted.length < 4) return undefined;
  let contained: string | undefined;
  for (const candidate of candidates) {
    const other = normalize(candidate);
    if (candidate === word || !(other.includes(wanted) || wanted.includes(other)) || other.length < 3) continue;
    if (contained === undefined || Math.abs(other.length - wanted.length) < Math.abs(normalize(contained).length - wanted.length)) {
      contained = candidate;
    }
  }
  return contained;
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/[-_]/g, '');
}

function allowedEdits(length: number): number {
  if (length <= 3) return 1;
  if (length <= 6) return 2;
  return 3;
}

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one substring). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] as number;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * cols + j] = value;
    }
  }
  return at(a.length, b.length);
}

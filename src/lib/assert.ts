/**
 * Programmer-error checks. An assertion failure means the code is wrong, not the input:
 * it throws, and in the daemon that ends the process so the service manager restarts it
 * rather than letting it run on in an unknown state.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertNever(value: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

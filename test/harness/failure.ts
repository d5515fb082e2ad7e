/** The error a promise rejects with; fails the test when it resolves. */
export async function failure<E = Error>(call: Promise<unknown>): Promise<E> {
  try {
    await call;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected the call to fail');
}

/** A workflow that returns its input whole: big payloads both ways, with nothing of the product in between. */
export async function echoBytes(data: Uint8Array): Promise<Uint8Array> {
  return data;
}

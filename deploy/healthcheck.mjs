// Docker HEALTHCHECK for the HTTP roles: `node healthcheck.mjs URL` exits 0 on a 2xx answer within 4 s. Node's
// own fetch, because the slim runtime image has neither curl nor wget.
/* global fetch, AbortSignal */
const url = process.argv[2];
if (!url) {
  console.error('usage: node healthcheck.mjs URL');
  process.exit(2);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  process.exit(response.ok ? 0 : 1);
} catch (err) {
  console.error(`${url}: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}

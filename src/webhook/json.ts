/**
 * The body parser: fastify's secure JSON parser (400 for a `__proto__` or `constructor.prototype` key), with a
 * cheaper path for the bodies that cannot hold one. secure-json-parse scans every body with two regular
 * expressions that allow for `\u` escapes in the key; three plain substring searches rule the same keys out: a key
 * can only spell `__proto__` or `constructor` literally or through a `\u` escape (JSON's other escapes stand for
 * quotes, slashes and control characters). Every other body (and every failure: empty, not JSON, BOM) goes to the
 * secure parser, so the answers and their error codes are the same.
 */
import type { FastifyBodyParser, FastifyInstance } from 'fastify';

export function callbackBodyParser(app: FastifyInstance): FastifyBodyParser<string> {
  const secure = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (body.includes('\\u') || body.includes('__proto__') || body.includes('constructor')) {
      return secure(request, body, done);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return secure(request, body, done);
    }
    done(null, parsed);
  };
}

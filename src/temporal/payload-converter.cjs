// The payload converter of every client, worker and workflow bundle of the product (DataConverter's
// payloadConverterPath): the SDK's default (undefined, binary, JSON), with JSON's UTF-8 done by the platform's
// TextEncoder and TextDecoder instead of the SDK's JavaScript ones. Those were a tenth of the workflow thread's busy
// time in the bench's 200,000-device job (a callback batch is about 100 KB of JSON); the bytes are the same. The
// workflow sandbox has both classes (the SDK injects Node's). CommonJS and plain JavaScript for the reason given in
// ./failure-converter.cjs.
/* global require, exports, TextEncoder, TextDecoder */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS by necessity, see above
const common = require('@temporalio/common');

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const JSON_ENCODING = encoder.encode('json/plain');

class JsonPayloadConverter {
  encodingType = 'json/plain';

  toPayload(value) {
    if (value === undefined) return undefined;
    let json;
    try {
      json = JSON.stringify(value);
    } catch {
      return undefined;
    }
    return { metadata: { [common.METADATA_ENCODING_KEY]: JSON_ENCODING }, data: encoder.encode(json) };
  }

  fromPayload(content) {
    if (content.data === undefined || content.data === null) throw new common.ValueError('Got payload with no data');
    return JSON.parse(decoder.decode(content.data));
  }
}

exports.JsonPayloadConverter = JsonPayloadConverter;
exports.payloadConverter = new common.CompositePayloadConverter(
  new common.UndefinedPayloadConverter(),
  new common.BinaryPayloadConverter(),
  new JsonPayloadConverter(),
);

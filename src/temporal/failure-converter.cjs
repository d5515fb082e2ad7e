// The failure converter of every client, worker and workflow bundle of the product (DataConverter's
// failureConverterPath): failure messages and stack traces go into an encoded attributes payload, so the payload
// codecs encrypt them like any other payload instead of Temporal storing them in clear. CommonJS and plain
// JavaScript because the SDK require()s this file on the main thread and webpack bundles it into workflow code; one
// file serves tsx, jest and the compiled build alike.
/* global require, exports */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS by necessity, see above
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

/**
 * The one way the product bundles its workflow code (workers at start-up, the cluster, the bench, the tests): with
 * the data converter's failure and payload converters, which workflow code runs inside the bundle. A bundle built
 * without them stored the failures workflow code raised in clear, encryption or not.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH, PAYLOAD_CONVERTER_PATH } from './data-converter.js';

// The pathname, not the URL: tsx's tsImport (jest's global set-up) appends a query to it.
const extension = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js';
/** `src/workflows/index.ts` under tsx and jest, `lib/workflows/index.js` once compiled. */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index${extension}`, import.meta.url));

export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    payloadConverterPath: PAYLOAD_CONVERTER_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
}

// Jest loads global setup outside its ESM module registry (no moduleNameMapper), so the TypeScript harness is
// loaded through tsx, which resolves NodeNext `.js` specifiers to `.ts` sources.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { setUp } = await tsImport('./dev-server-setup.ts', import.meta.url);
  await setUp();
}

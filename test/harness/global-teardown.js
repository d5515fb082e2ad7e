import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { tearDown } = await tsImport('./dev-server-setup.ts', import.meta.url);
  await tearDown();
}

import { e2eEnv } from './env';

export default async function globalTeardown(): Promise<void> {
  try {
    const { pid } = e2eEnv();
    process.kill(pid, 'SIGTERM');
  } catch {}
}

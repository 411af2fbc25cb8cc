import type { ApiEvents, ApiMethod } from '../../../shared/api';

export type EventListener = <K extends keyof ApiEvents>(name: K, payload: ApiEvents[K]) => void;

export interface Transport {
  kind: 'ipc' | 'http';
  hasToken: boolean;
  call(method: ApiMethod, args: unknown[]): Promise<unknown>;
  onEvent(l: EventListener): () => void;
}

export class ApiCallError extends Error {
  constructor(
    message: string,
    public code?: 'NO_CASE' | 'NOT_FOUND' | 'BAD_REQUEST' | 'TIMEOUT' | 'INTERNAL',
    public status?: number,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/** The bridge the Electron preload exposes (electron/shell/preload.ts). */
export interface PreloadBridge {
  call(method: string, args: unknown[]): Promise<unknown>;
  onEvent(cb: (name: string, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    casefile?: PreloadBridge;
  }
}

import type { ApiError } from '../../../shared/api';
import { CaseOpenError } from '../store/db';

export type ApiErrorCode = NonNullable<ApiError['code']>;
const CODES: readonly ApiErrorCode[] = ['NO_CASE', 'NOT_FOUND', 'BAD_REQUEST', 'TIMEOUT', 'INTERNAL'];

/** An error that crosses either transport as `{ error, code }` (shared/api.ts ApiError). */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly code: ApiErrorCode = 'INTERNAL',
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
  toJSON(): ApiError {
    return { error: this.message, code: this.code };
  }
}

/** Any thrown value → the ApiError shape. Errors carrying a known `code` keep it (e.g. recon's NOT_FOUND). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiFailure) return { error: e.message, code: e.code };
  const err = e as { message?: unknown; code?: unknown; name?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const code = typeof err?.code === 'string' && (CODES as readonly string[]).includes(err.code) ? (err.code as ApiErrorCode) : null;
  if (code) return { error: message, code };
  if (e instanceof CaseOpenError) return { error: message, code: 'NOT_FOUND' };
  return { error: message, code: 'INTERNAL' };
}

export const notAvailable = (what: string) => new ApiFailure(`${what}: not available yet`, 'INTERNAL');

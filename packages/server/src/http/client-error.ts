/**
 * Malformed HTTP (the parser rejected it before Fastify saw a request) still gets a coded
 * 4xx JSON answer, written straight to the socket.
 */
import type { Socket } from 'node:net';

/** The public codes a malformed request can get (kept in step with docs/error-codes.md). */
export const CLIENT_ERROR_CODES = ['bad_http', 'headers_too_large', 'request_timeout'] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

const ANSWERS: Record<ClientErrorCode, { status: number; reason: string }> = {
  bad_http: { status: 400, reason: 'Bad Request' },
  headers_too_large: { status: 431, reason: 'Request Header Fields Too Large' },
  request_timeout: { status: 408, reason: 'Request Timeout' },
};

function codeOf(err: Error & { code?: string }): ClientErrorCode {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  return 'bad_http';
}

/** Fastify's `clientErrorHandler`. */
export function clientErrorHandler(err: Error, socket: Socket): void {
  const code = codeOf(err);
  const { status, reason } = ANSWERS[code];
  const body = JSON.stringify({ code, message: 'malformed HTTP request' });
  // As node's own handler: when a response is already on its way on this socket (the
  // leftover of an unread body parsed as a next request), write nothing more. `_httpMessage`
  // is node's own (untyped) link from a socket to the response being written on it.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && current?.headersSent !== true) {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  } else if (socket.writable) {
    // Let the response already written flush, then close: the parser is done with this socket.
    socket.end();
  } else {
    socket.destroy();
  }
}

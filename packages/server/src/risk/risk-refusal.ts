/**
 * The risk engine's refusal (429 `risk_refused`), carrying what refused it for the per-site
 * analytics: the scope and the leading reason. Neither goes to the client (the HTTP layer sends
 * the code, the message and `Retry-After`), and neither names the address.
 */
import { ServerError } from '../errors.js';

export class RiskRefusedError extends ServerError {
  /** What was refused: the address, or its whole network. */
  readonly scope: 'address' | 'prefix';
  /** The leading reason (a `RiskReason`, or `paused` while an earlier refusal lasts). */
  readonly reason: string;

  constructor(scope: 'address' | 'prefix', reason: string, retryAfterS: number) {
    // The message names the scope, never the address (it goes to logs).
    super('SERVER_ERR_RISK_REFUSED', `too many challenges solved or failed from this ${scope === 'address' ? 'address' : 'network'}; try again later`, { retryAfterS });
    this.scope = scope;
    this.reason = reason;
  }
}

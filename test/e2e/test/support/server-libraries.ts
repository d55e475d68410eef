// The npm server libraries of reCAPTCHA, hCaptcha, Turnstile and Friendly Captcha, each
// driven through its own documented API, reduced to one question: did it accept the token?
// Libraries that take a URL get Hurdle's; the others hard-code their vendor's https host
// and must run in a process whose DNS and trust store route that host to Hurdle
// (vendor-hosts.ts, vendor-dns-preload.ts).
import { createRequire } from 'node:module';
import { FriendlyCaptchaClient } from '@friendlycaptcha/server-sdk';

const require = createRequire(import.meta.url);

export interface Outcome {
  accepted: boolean;
  /** Error codes or the library's error, for the assertion message. */
  detail: string;
}

export interface Keys {
  /** Hurdle's base URL (only the libraries configured by URL use it). */
  baseUrl: string;
  sitekey: string;
  secret: string;
}

export interface Library {
  readonly name: string;
  /** How it reaches Hurdle: 'url' (a documented option) or 'host' (its hard-coded host routed). */
  readonly reach: 'url' | 'host';
  /** The vendor's name for an expired or reused token, as this library reports it. */
  readonly duplicateCode: string;
  /** The vendor's name for a token that is not one, as this library reports it. */
  readonly invalidCode: string;
  verify(keys: Keys, token: string): Promise<Outcome>;
}

const codes = (body: unknown): string => JSON.stringify((body as { 'error-codes'?: unknown } | null)?.['error-codes'] ?? body);

type GoogleRecaptchaCtor = new (o: { apiUrl?: string; secret: string; logger?: (...a: unknown[]) => void }) => {
  verify(o: { response: string }, cb: (err: Error | null, body: unknown) => void): void;
};
type Recaptcha2Ctor = new (o: { siteKey: string; secretKey: string }) => { validate(response: string): Promise<boolean> };
type ExpressRecaptchaCtor = new (site: string, secret: string, options?: Record<string, unknown>) => {
  verify(req: { body: Record<string, string> }, cb: (err: unknown, data: unknown) => void): void;
};
type RecaptchaVerifyCtor = new (o: { secret: string }) => { checkResponse(response: string, cb: (err: Error | null, body: unknown) => void): void };
type HcaptchaModule = { verify(secret: string, token: string, remoteip?: string | null, sitekey?: string | null): Promise<{ success: boolean }> };
type NextTurnstileModule = { validateTurnstileToken(o: { token: string; secretKey: string }): Promise<{ success: boolean }> };

export const LIBRARIES: readonly Library[] = [
  {
    name: 'google-recaptcha',
    reach: 'url',
    duplicateCode: 'timeout-or-duplicate',
    invalidCode: 'invalid-input-response',
    verify: ({ baseUrl, secret }, token) => new Promise((ok) => {
      const GoogleRecaptcha = require('google-recaptcha') as GoogleRecaptchaCtor;
      // The documented `apiUrl` option; `logger` replaced because the default one prints the secret.
      new GoogleRecaptcha({ apiUrl: `${baseUrl}/recaptcha/api/siteverify`, secret, logger: () => {} })
        .verify({ response: token }, (err, body) => ok({ accepted: err === null && (body as { success?: boolean }).success === true, detail: err?.message ?? codes(body) }));
    }),
  },
  {
    name: 'recaptcha2',
    reach: 'host',
    duplicateCode: 'timeout-or-duplicate',
    invalidCode: 'invalid-input-response',
    verify: async ({ sitekey, secret }, token) => {
      const Recaptcha2 = require('recaptcha2') as Recaptcha2Ctor;
      try {
        return { accepted: await new Recaptcha2({ siteKey: sitekey, secretKey: secret }).validate(token), detail: '' };
      } catch (err) {
        return { accepted: false, detail: JSON.stringify(err) };
      }
    },
  },
  ...(['RecaptchaV2', 'RecaptchaV3'] as const).map((version): Library => ({
    name: `express-recaptcha (${version})`,
    reach: 'host',
    duplicateCode: 'timeout-or-duplicate',
    invalidCode: 'invalid-input-response',
    verify: ({ sitekey, secret }, token) => new Promise((ok) => {
      const Recaptcha = (require('express-recaptcha') as Record<string, ExpressRecaptchaCtor>)[version] as ExpressRecaptchaCtor;
      // Its `verify` reads the form field `g-recaptcha-response` of an Express request.
      new Recaptcha(sitekey, secret).verify({ body: { 'g-recaptcha-response': token } }, (err, data) => ok({ accepted: err === null && data !== null, detail: String(err) }));
    }),
  })),
  {
    name: 'hcaptcha',
    reach: 'host',
    duplicateCode: 'invalid-or-already-seen-response',
    invalidCode: 'invalid-input-response',
    verify: async ({ sitekey, secret }, token) => {
      const body = await (require('hcaptcha') as HcaptchaModule).verify(secret, token, null, sitekey);
      return { accepted: body.success === true, detail: codes(body) };
    },
  },
  {
    name: 'next-turnstile',
    reach: 'host',
    duplicateCode: 'timeout-or-duplicate',
    invalidCode: 'invalid-input-response',
    verify: async ({ secret }, token) => {
      const body = await (require('next-turnstile') as NextTurnstileModule).validateTurnstileToken({ token, secretKey: secret });
      return { accepted: body.success === true, detail: codes(body) };
    },
  },
  {
    name: 'recaptcha-verify',
    reach: 'host',
    duplicateCode: 'timeout-or-duplicate',
    invalidCode: 'invalid-input-response',
    // Google's old GET form: `GET /recaptcha/api/siteverify?secret=…&response=…`.
    verify: ({ secret }, token) => new Promise((ok) => {
      const RecaptchaVerify = require('recaptcha-verify') as RecaptchaVerifyCtor;
      new RecaptchaVerify({ secret }).checkResponse(token, (err, body) => ok({ accepted: err === null && (body as { success?: boolean }).success === true, detail: err?.message ?? codes(body) }));
    }),
  },
  {
    name: '@cloudflare/pages-plugin-turnstile',
    reach: 'host',
    duplicateCode: 'timeout-or-duplicate',
    invalidCode: 'invalid-input-response',
    // Cloudflare's Pages Functions plugin, run with the Workers-style context Pages gives a
    // middleware mounted at /signup (functions/signup/_middleware.ts): it reads
    // `cf-turnstile-response` from the posted form and sends multipart/form-data.
    verify: async ({ secret }, token) => {
      const plugin = (await import('@cloudflare/pages-plugin-turnstile')).default as unknown as (args: { secret: string }) => (ctx: unknown) => Promise<Response>;
      const data: { turnstile?: unknown } = {};
      let passed = false;
      const request = new Request('https://site.example/signup', { method: 'POST', body: new URLSearchParams({ 'cf-turnstile-response': token }) });
      const answer = await plugin({ secret })({
        request, env: {}, data, functionPath: '/signup',
        next: async () => { passed = true; return new Response('signed up'); },
        waitUntil: () => {}, passThroughOnException: () => {},
      });
      // Accepted only if the plugin ran (it sets data.turnstile) and let the request through.
      const verdict = data.turnstile as { success?: boolean } | undefined;
      return { accepted: passed && answer.status === 200 && verdict?.success === true, detail: `HTTP ${answer.status} ${codes(verdict)}` };
    },
  },
  {
    name: '@friendlycaptcha/server-sdk',
    reach: 'url',
    duplicateCode: 'response_duplicate',
    invalidCode: 'response_invalid',
    verify: async ({ baseUrl, sitekey, secret }, token) => {
      // The documented `apiEndpoint` option (a base URL); default, non-strict mode, in which the
      // SDK accepts when it cannot verify: `wasAbleToVerify()` shows which case it was.
      const client = new FriendlyCaptchaClient({ apiKey: secret, sitekey, apiEndpoint: baseUrl });
      const result = await client.verifyCaptchaResponse(token, { timeout: 5000 });
      return { accepted: result.shouldAccept(), detail: `${result.wasAbleToVerify() ? 'verified' : 'NOT VERIFIED'} ${result.getResponseError()?.error_code ?? result.getErrorCode() ?? ''}` };
    },
  },
];

export function libraryNamed(name: string): Library {
  const lib = LIBRARIES.find((l) => l.name === name);
  if (lib === undefined) throw new Error(`no library named ${name}`);
  return lib;
}

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GlueClient } from '@aws-sdk/client-glue';

interface Exchange {
  request: { target: string; body: Record<string, unknown> };
  response: { status: number; body: unknown };
}

/** A request as the SDK put it on the wire. */
export interface SentRequest {
  target: string;
  body: Record<string, unknown>;
}

/**
 * A GlueClient whose HTTP layer answers from a recorded fixture (test/catalog/fixtures/glue), so
 * the SDK's own serializers, error deserializers, retry strategy and paginators all run. Each
 * request must match the next recorded one: the `X-Amz-Target` operation and the recorded body
 * fields. `${NAME}` in a fixture is replaced by `vars[NAME]`.
 */
export function replayClient(fixture: string, vars: Record<string, string> = {}, config: { maxAttempts?: number } = {}): { client: GlueClient; sent: SentRequest[]; remaining: () => number } {
  let text = readFileSync(resolve(__dirname, 'fixtures/glue', fixture), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.split(`\${${k}}`).join(v);
  const exchanges = (JSON.parse(text) as { exchanges: Exchange[] }).exchanges;
  const sent: SentRequest[] = [];
  const handler = {
    handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
      const target = request.headers['x-amz-target'] ?? '';
      const raw = request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : typeof request.body === 'string' ? request.body : '{}';
      const body = JSON.parse(raw) as Record<string, unknown>;
      sent.push({ target, body });
      const next = exchanges.shift();
      if (!next) throw new Error(`unexpected request ${target} ${JSON.stringify(body)}: the fixture ${fixture} has no more exchanges`);
      if (next.request.target !== target) throw new Error(`${fixture}: expected ${next.request.target}, the client sent ${target}`);
      for (const [k, v] of Object.entries(next.request.body)) {
        if (JSON.stringify(body[k]) !== JSON.stringify(v)) throw new Error(`${fixture}: ${target} sent ${k}=${JSON.stringify(body[k])}, recorded ${JSON.stringify(v)}`);
      }
      const payload = Buffer.from(JSON.stringify(next.response.body));
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${sent.length}`, 'content-length': String(payload.length) };
      return { response: { statusCode: next.response.status, reason: '', headers, body: new Uint8Array(payload) } };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  const client = new GlueClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    maxAttempts: config.maxAttempts ?? 3,
    requestHandler: handler as unknown as NonNullable<ConstructorParameters<typeof GlueClient>[0]>['requestHandler'],
  });
  return { client, sent, remaining: () => exchanges.length };
}

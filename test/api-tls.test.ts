/**
 * `cardline serve --tls-cert --tls-key`: the API over TLS (a certificate of the TEST PKI, its root
 * trusted by the client; the name is not what is tested), and the session cookie marked Secure
 * without being asked.
 */
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../src/pki/create.ts';
import { startApi, TEST_PASSWORD, type ApiFixture } from './helpers/api.ts';

let api: ApiFixture;
let ca: string;

beforeAll(async () => {
  // The TEST PKI's document signer serves as the TLS certificate, its CSCA as the client's trusted root.
  const pki = await createTestPki();
  ca = new X509Certificate(pki.csca.certificate).toString();
  const cert = new X509Certificate(pki.ds.certificate).toString();
  const key = pki.ds.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  api = await startApi({ 'qa-tls': 'qa' }, { https: { cert, key } });
}, 30_000);

afterAll(async () => {
  await api?.close();
});

function post(path: string, body: unknown): Promise<{ status: number; setCookie: string[]; json: Record<string, unknown> }> {
  const port = new URL(api.base).port;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', ca, checkServerIdentity: () => undefined, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, setCookie: res.headers['set-cookie'] ?? [], json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('the API over TLS', () => {
  it('logs in over TLS and marks the session cookie Secure', async () => {
    const login = await post('/api/v1/auth/login', { user: 'qa-tls', password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.json).toMatchObject({ name: 'qa-tls', role: 'qa' });
    expect(login.setCookie.join('\n')).toMatch(/^cardline_session=[^;]+;.*; Secure/);
  });
});

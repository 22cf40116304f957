// Where `cardline serve` may listen in clear: loopback only, unless TLS or an explicit --insecure-http (with a warning).
import { describe, expect, it } from 'vitest';
import { BindPolicyError, checkBind, isLoopback } from './bind-policy.ts';

describe('bind policy', () => {
  it('knows loopback addresses, and nothing else is one', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'app.localhost']) {
      expect({ host, loopback: isLoopback(host) }).toStrictEqual({ host, loopback: true });
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', 'line-server.plant.local', '128.0.0.1', '::2', 'localhost.example.com']) {
      expect({ host, loopback: isLoopback(host) }).toStrictEqual({ host, loopback: false });
    }
  });

  it('serves loopback in clear, anything with TLS, and refuses a network address in clear unless told', () => {
    expect(checkBind({ host: '127.0.0.1', tls: false, insecureHttp: false })).toStrictEqual({});
    expect(checkBind({ host: '0.0.0.0', tls: true, insecureHttp: false })).toStrictEqual({});
    expect(() => checkBind({ host: '0.0.0.0', tls: false, insecureHttp: false })).toThrow(BindPolicyError);
    expect(() => checkBind({ host: '192.168.1.20', tls: false, insecureHttp: false })).toThrow(/--host 192\.168\.1\.20 is not a loopback address: serving it needs TLS \(--tls-cert FILE --tls-key FILE\), or --insecure-http/);
    expect(checkBind({ host: '192.168.1.20', tls: false, insecureHttp: true }).warning).toMatch(/^warning: serving plain HTTP on 192\.168\.1\.20 \(--insecure-http\)/);
  });
});

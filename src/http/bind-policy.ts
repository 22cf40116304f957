/**
 * Where `cardline serve` may listen: loopback freely; any other address only with TLS, or with an
 * explicit --insecure-http, which is allowed with a warning (a plant network behind its own TLS
 * proxy). Session cookies and passwords must not cross a network in clear by accident.
 */
import { isIP } from 'node:net';

export class BindPolicyError extends Error {
  override name = 'BindPolicyError';
}

export interface BindRequest {
  readonly host: string;
  readonly tls: boolean;
  readonly insecureHttp: boolean;
}

export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Refuses (BindPolicyError) a non-loopback bind without TLS unless insecureHttp; returns the warning
 * to print when it is allowed in clear on a network, undefined otherwise.
 */
export function checkBind(request: BindRequest): { readonly warning?: string } {
  if (request.tls || isLoopback(request.host)) return {};
  if (!request.insecureHttp) {
    throw new BindPolicyError(
      `--host ${request.host} is not a loopback address: serving it needs TLS (--tls-cert FILE --tls-key FILE), or --insecure-http when a TLS proxy in front of it encrypts the traffic`,
    );
  }
  return {
    warning: `warning: serving plain HTTP on ${request.host} (--insecure-http): passwords and session tokens cross the network in clear unless a TLS proxy in front of this server encrypts them`,
  };
}

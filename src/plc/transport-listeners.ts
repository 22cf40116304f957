/**
 * The listener bookkeeping every TagTransport needs (onTags, onConnection and their delivery), in
 * one place. A listener's failure is its own: the others still hear the change.
 */
import type { PlcTags } from './tags.ts';

/**
 * `at`: when the PLC made the changes by its own clock (OPC UA's source timestamp, ms since the
 * epoch), where the protocol carries it; Modbus does not.
 */
export type TagListener = (changes: Partial<PlcTags>, full: boolean, at?: number) => void;
export type ConnectionListener = (connected: boolean, reason: string) => void;

export class TransportListeners {
  private readonly tags = new Set<TagListener>();
  private readonly connections = new Set<ConnectionListener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {}

  onTags(listener: TagListener): () => void {
    this.tags.add(listener);
    return () => this.tags.delete(listener);
  }

  onConnection(listener: ConnectionListener): () => void {
    this.connections.add(listener);
    return () => this.connections.delete(listener);
  }

  emitTags(changes: Partial<PlcTags>, full: boolean, at?: number): void {
    for (const listener of [...this.tags]) {
      try {
        listener(changes, full, at);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  emitConnection(connected: boolean, reason: string): void {
    for (const listener of [...this.connections]) {
      try {
        listener(connected, reason);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}

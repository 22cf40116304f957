/**
 * Loads a GET answer, and loads it again when the stream says it changed: on every event of the
 * given types that `concerns` accepts, and on a stream reset. Events that come while a load runs
 * cause one more load after it, never one an event (a running line sends many). No polling.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../../api.ts';
import { onEvent, reloadGeneration, type SiteEvent, type SiteEventType } from '../../live.ts';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  /** Loads again now (after an action of this screen). */
  readonly reload: () => void;
}

export function useLiveLoad<T>(path: string | null, types: readonly SiteEventType[], concerns: (event: SiteEvent) => boolean = () => true): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const state = useRef({ running: false, again: false, path });
  state.current.path = path;
  const load = (): void => {
    const s = state.current;
    if (s.path === null) return;
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    const asked = s.path;
    get<T>(asked)
      .then(
        (answer) => {
          if (state.current.path !== asked) return;
          setData(answer);
          setError(undefined);
        },
        (e: unknown) => setError(e),
      )
      .finally(() => {
        s.running = false;
        if (s.again) {
          s.again = false;
          load();
        }
      });
  };
  useEffect(() => {
    setData(undefined);
    load();
  }, [path, reloadGeneration.value]);
  useEffect(() => {
    const offs = types.map((type) =>
      onEvent(type, (event) => {
        if (concerns(event)) load();
      }),
    );
    return () => offs.forEach((off) => off());
  }, [path]);
  return { data, error, reload: load };
}

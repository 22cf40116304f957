// The API's audit query (queryAudit): filters by actor, action or action prefix, subject and time,
// newest first, paged by id, the same on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, queryAudit } from './audit.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';

describe.each(BACKENDS)('audit query on $name', (backend) => {
  let fx: StoreFixture;
  let start: Date;
  beforeAll(async () => {
    fx = await backend.setup();
    start = new Date(Date.now() - 1000);
    for (const [actor, action, subjectId] of [
      ['op-1', 'batch.created', 'B1'],
      ['op-1', 'batch.imported', 'B1'],
      ['qa-1', 'qa.reject', 'C1'],
      ['qa-1', 'approval.requested', 'B1'],
      ['qa_2', 'batch_x', 'B2'],
      ['qa-2', 'approval.approved', 'B1'],
    ] as const) {
      await appendAudit(fx.db, { actor, action, subjectType: subjectId.startsWith('B') ? 'batch' : 'card', subjectId });
    }
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  const actions = (page: { entries: { action: string }[] }) => page.entries.map((e) => e.action);

  it('filters by actor, exact action, action prefix, subject type and subject', async () => {
    expect(actions(await queryAudit(fx.db, { actor: 'qa-1' }, { limit: 10 }))).toStrictEqual(['approval.requested', 'qa.reject']);
    expect(actions(await queryAudit(fx.db, { action: 'qa.reject' }, { limit: 10 }))).toStrictEqual(['qa.reject']);
    // A prefix is taken literally: `_` is no wildcard.
    expect(actions(await queryAudit(fx.db, { action: 'batch.' }, { limit: 10 }))).toStrictEqual(['batch.imported', 'batch.created']);
    expect(actions(await queryAudit(fx.db, { subjectType: 'card' }, { limit: 10 }))).toStrictEqual(['qa.reject']);
    expect(actions(await queryAudit(fx.db, { subjectId: 'B1', action: 'approval.' }, { limit: 10 }))).toStrictEqual(['approval.approved', 'approval.requested']);
    expect(actions(await queryAudit(fx.db, { from: start, to: new Date(Date.now() + 60_000), actor: 'qa_2' }, { limit: 10 }))).toStrictEqual(['batch_x']);
    expect(actions(await queryAudit(fx.db, { to: start }, { limit: 10 }))).toStrictEqual([]);
  });

  it('pages newest first until the last page', async () => {
    const seen: string[] = [];
    let before: number | undefined;
    let pages = 0;
    do {
      const page = await queryAudit(fx.db, { subjectId: 'B1' }, { before, limit: 2 });
      seen.push(...actions(page));
      before = page.nextBefore;
      pages++;
    } while (before !== undefined);
    expect({ pages, seen }).toStrictEqual({ pages: 2, seen: ['approval.approved', 'approval.requested', 'batch.imported', 'batch.created'] });
  });
});

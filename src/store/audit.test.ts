import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, listAudit } from './audit.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';

describe.each(BACKENDS)('audit log on $name', (backend) => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await backend.setup();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('appends entries and lists them oldest first, optionally by subject', async () => {
    const before = Date.now();
    await appendAudit(fx.db, { actor: 'op-1', action: 'line.started', subjectType: 'line', subjectId: 'L1' });
    await appendAudit(fx.db, {
      actor: 'qa-1',
      action: 'card.rejected',
      subjectType: 'card',
      subjectId: 'C-0001',
      details: { reason: 'print grade C', grade: 2, nested: { ok: false } },
    });
    await appendAudit(fx.db, { actor: 'op-1', action: 'line.stopped', subjectType: 'line', subjectId: 'L1' });

    const all = await listAudit(fx.db);
    expect(all.map((e) => e.action)).toStrictEqual(['line.started', 'card.rejected', 'line.stopped']);
    expect(all[0]!.id).toBeLessThan(all[1]!.id);
    expect(all[0]!.at.getTime()).toBeGreaterThanOrEqual(before - 1000);

    const card = await listAudit(fx.db, { subjectId: 'C-0001' });
    expect(card).toStrictEqual([
      {
        id: all[1]!.id,
        at: all[1]!.at,
        actor: 'qa-1',
        action: 'card.rejected',
        subjectType: 'card',
        subjectId: 'C-0001',
        details: { reason: 'print grade C', grade: 2, nested: { ok: false } },
      },
    ]);
    expect((await listAudit(fx.db, { subjectId: 'L1' })).map((e) => e.action)).toStrictEqual(['line.started', 'line.stopped']);
  });

  it('commits or rolls back with the transaction it is given', async () => {
    await expect(
      fx.db.transaction(async (trx) => {
        await appendAudit(trx, { actor: 'op-1', action: 'x.never', subjectType: 'x', subjectId: 'rolled-back' });
        throw new Error('the audited change failed');
      }),
    ).rejects.toThrow('the audited change failed');
    expect(await listAudit(fx.db, { subjectId: 'rolled-back' })).toStrictEqual([]);
  });

  it('refuses an entry without an actor', async () => {
    await expect(appendAudit(fx.db, { actor: ' ', action: 'x', subjectType: 'x', subjectId: null })).rejects.toThrow(
      'audit x: the actor is empty',
    );
  });
});

// Problem details (RFC 9457) from the errors route handlers throw: the site's refusals keep their
// status and field, the two-person rule is its own type, and an unexpected error says nothing of itself.
import { describe, expect, it } from 'vitest';
import { TwoPersonError } from '../auth/two-person.ts';
import { SiteRequestError } from '../site/runtime.ts';
import { problemFrom } from './problem.ts';

describe('problem details', () => {
  it("keep a site refusal's status and field", () => {
    expect(problemFrom(new SiteRequestError('line L9 is not a line of this site', 404, 'params.lineId'), '/api/v1/lines/L9/start')).toStrictEqual({
      internal: false,
      problem: {
        type: 'urn:cardline:problem:not-found',
        title: 'Not found',
        status: 404,
        detail: 'line L9 is not a line of this site',
        instance: '/api/v1/lines/L9/start',
        errors: [{ field: 'params.lineId', message: 'line L9 is not a line of this site' }],
      },
    });
    expect(problemFrom(new SiteRequestError('the line is running', 409), '/x').problem).toStrictEqual({ type: 'urn:cardline:problem:conflict', title: 'Conflicts with the current state', status: 409, detail: 'the line is running', instance: '/x' });
  });

  it('name the two-person rule', () => {
    expect(problemFrom(new TwoPersonError('qa-a asked for R-1 and so may not approve it'), '/y').problem).toMatchObject({ type: 'urn:cardline:problem:two-person-rule', status: 403 });
  });

  it('say nothing of an unexpected error', () => {
    const { problem, internal } = problemFrom(new Error('record of Nguyễn Văn A, PID 001203004567, failed'), '/z');
    expect(internal).toBe(true);
    expect(problem).toStrictEqual({ type: 'urn:cardline:problem:internal', title: 'Internal server error', status: 500, detail: 'the server could not answer this request; its log has the details', instance: '/z' });
  });
});

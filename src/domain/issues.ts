/** A problem with one input field, as reported to the person who has to fix the input. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/** Maps zod issues to field issues; the path's first key names the field. */
export function fromZodIssues(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: readonly string[] }[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) out.push({ field: key, message: 'unknown field' });
      continue;
    }
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)';
    out.push({ field, message: issue.message });
  }
  return out;
}

export function formatIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join('; ');
}

/** A zod error map: "is required" when the field is missing, `message` when it has the wrong type. */
export function requiredOr(message: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? 'is required' : message);
}

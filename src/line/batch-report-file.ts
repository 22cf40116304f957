/**
 * The batch's cumulative report file (`<report dir>/<batch>/report.json`, written by each run:
 * src/cli/run-report.ts) as far as others outside a run need it: which proof sheet shows which cards,
 * so a card changed outside a run (an inspector's reject, from the CLI or the API) takes its stale
 * proof with it. Card serials only, never personal data.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const REPORT_FILE = 'report.json';

export interface CumulativeReport {
  readonly runs?: readonly { file: string; startedAt: string; outcome: string; good: number; cardsPerHour: number }[];
  readonly proof?: { file: string; cards: string[] } | null;
}

export async function readCumulative(file: string): Promise<CumulativeReport> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CumulativeReport;
  } catch {
    return {};
  }
}

/**
 * Removes a batch's proof when a card it shows changes outside a run (an inspector's reject):
 * returns the file removed, or undefined when no proof shows the card. report.json then says the
 * batch has no proof.
 */
export async function dropStaleProof(reportDir: string, batchId: string, cardSerial: string): Promise<string | undefined> {
  const dir = path.join(reportDir, batchId);
  const file = path.join(dir, REPORT_FILE);
  const report = (await readCumulative(file)) as CumulativeReport & Record<string, unknown>;
  if (!report.proof?.cards.includes(cardSerial)) return undefined;
  await rm(report.proof.file, { force: true });
  await writeFile(file, `${JSON.stringify({ ...report, proof: null }, null, 2)}\n`);
  return report.proof.file;
}

/**
 * Who may do what: the role matrix of docs/security.md ("Users and roles") as data. Each CLI command
 * names the permission it needs; the table says which roles hold it. A test checks the document
 * against this table.
 */
export const ROLES = ['operator', 'qa', 'engineer', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export const PERMISSIONS = {
  /** batch list/show, qa list, card show, stock show, pack list/label: accounting without personal data. */
  'batch.read': ['operator', 'qa', 'engineer', 'manager', 'admin'],
  /** import a batch file. */
  import: ['operator', 'manager'],
  /** run a batch on a line. */
  run: ['operator', 'engineer', 'manager'],
  /** acknowledge a line alarm (the API's alarms): the people who run the line. */
  'alarm.acknowledge': ['operator', 'engineer', 'manager'],
  /**
   * The engineer view (API only): a line's configuration (secrets left out), its links' health, and
   * a simulated line's simulator: fault injection (audited) and ledger. Not the admin's: faults
   * stop production, and the admin does not produce.
   */
  'line.engineer': ['engineer'],
  /** record blank stock loaded into a feeder. */
  'stock.load': ['operator', 'engineer', 'manager'],
  /** batch close: reconcile the blanks. */
  'batch.close': ['operator', 'manager'],
  /** card write-off: a supervisor's act. */
  'card.write-off': ['engineer', 'manager'],
  /** qa reject: an inspector rejects a stacked card. */
  'qa.reject': ['qa'],
  /** qa release: request the release of a reconciled batch. */
  'qa.release': ['qa'],
  /** qa recall: a released card found defective; its record is re-issued in a new batch. */
  'qa.recall': ['qa', 'manager'],
  /** approve a release or purge request (never one's own, never for a batch one operated). */
  approve: ['qa', 'manager'],
  /** render --batch and chip build --batch: every citizen of a batch decrypted into files. */
  'batch.export': ['qa', 'manager'],
  /** purge --batch: request an unscheduled purge. */
  'purge.request': ['manager'],
  /** purge --due: carry out the purges approved releases scheduled. */
  'purge.due': ['manager', 'admin'],
  /** pack manifest: a delivery pack's manifest with names and PID last digits. */
  'pack.manifest': ['operator', 'qa', 'manager'],
  /** audit verify: walk the audit chain (no personal data in it): anybody may check the evidence. */
  'audit.verify': ['operator', 'qa', 'engineer', 'manager', 'admin'],
  /** keys rotate: re-encrypt every record under a new data key. */
  'keys.rotate': ['admin'],
  /** user list. */
  'user.list': ['manager', 'admin'],
  /** user add, user disable, user reset. */
  'user.manage': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function mayDo(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

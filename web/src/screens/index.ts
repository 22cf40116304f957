/** Which component draws each screen of routes.ts. */
import type { FunctionComponent } from 'preact';
import type { ScreenRoute } from './routes.ts';
import { AuditScreen } from './audit.tsx';
import { EngineerScreen } from './engineer.tsx';
import { ManagerScreen } from './manager.tsx';
import { OperatorScreen } from './operator.tsx';
import { QaScreen } from './qa.tsx';
import { UsersScreen } from './users.tsx';

export const SCREEN_COMPONENTS: Readonly<Record<ScreenRoute['id'], FunctionComponent<{ readonly args: readonly string[] }>>> = {
  operator: OperatorScreen,
  qa: QaScreen,
  manager: ManagerScreen,
  engineer: EngineerScreen,
  audit: AuditScreen,
  users: UsersScreen,
};

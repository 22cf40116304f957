/**
 * A site's shifts (config/site.yaml `shifts:`): named local-time spans; a shift is named by its
 * start date and name (`2026-12-07/night` starts at 22:00 on 7 December). The site's time zone
 * defaults to Asia/Ho_Chi_Minh.
 */
import { z } from 'zod';

export const DEFAULT_TIME_ZONE = 'Asia/Ho_Chi_Minh';

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time HH:MM');

export const shiftSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a short lower-case name such as morning, late or night'),
  start: clock,
  end: clock,
});
export type ShiftSpec = z.infer<typeof shiftSchema>;

export const shiftsSchema = z.array(shiftSchema).min(1);

export const DEFAULT_SHIFTS: readonly ShiftSpec[] = [
  { name: 'morning', start: '06:00', end: '14:00' },
  { name: 'afternoon', start: '14:00', end: '22:00' },
  { name: 'night', start: '22:00', end: '06:00' },
];

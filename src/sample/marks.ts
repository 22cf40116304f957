/**
 * Identifying marks (đặc điểm nhận dạng) in the clerk's shorthand of identity cards since the
 * CMND: the kind of mark, "C:" (cách, at a distance of) so many centimetres, the direction, and
 * a facial landmark — "Nốt ruồi C: 2 cm trên sau đầu lông mày trái". Drawn from these pools, so
 * every mark is invented.
 */

export const MARK_KINDS: readonly (readonly [string, number])[] = [
  ['Nốt ruồi', 55],
  ['Sẹo chấm', 25],
  ['Sẹo dài 1 cm', 6],
  ['Sẹo dài 2 cm', 5],
  ['Vết bớt', 5],
  ['Nốt ruồi son', 4],
];

export const MARK_DIRECTIONS: readonly string[] = [
  'trên', 'dưới', 'trước', 'sau', 'trên trước', 'trên sau', 'dưới trước', 'dưới sau', 'ngang',
];

export const MARK_LANDMARKS: readonly string[] = [
  'đầu lông mày trái', 'đầu lông mày phải', 'đuôi lông mày trái', 'đuôi lông mày phải',
  'đuôi mắt trái', 'đuôi mắt phải', 'cánh mũi trái', 'cánh mũi phải', 'mép trái', 'mép phải',
  'dái tai trái', 'dái tai phải', 'cằm', 'gò má trái', 'gò má phải',
];

/**
 * The reports' headings in Vietnamese and English, as data: the PDF prints each as
 * "Tiếng Việt / English", the CSV and JSON use the keys, and the tests look for every title.
 */
export const SECTIONS = {
  summary: { vi: 'Tóm tắt', en: 'Summary' },
  accounting: { vi: 'Đối soát phôi thẻ', en: 'Card accounting' },
  waterfall: { vi: 'Thác nước OEE', en: 'OEE waterfall' },
  throughput: { vi: 'Sản lượng theo thời gian', en: 'Throughput over time' },
  pareto: { vi: 'Biểu đồ Pareto thẻ hỏng', en: 'Reject Pareto' },
  utilization: { vi: 'Sử dụng thời gian theo trạm', en: 'Station utilization' },
  stations: { vi: 'Bảng theo trạm', en: 'Per-station table' },
  alarms: { vi: 'Cảnh báo trong kỳ', en: 'Alarms of the period' },
  audit: { vi: 'Chuỗi nhật ký kiểm toán', en: 'Audit chain' },
  signatures: { vi: 'Ký xác nhận', en: 'Signatures' },
} as const satisfies Record<string, { readonly vi: string; readonly en: string }>;

export type SectionKey = keyof typeof SECTIONS;

export const TITLES = {
  batch: { vi: 'Báo cáo lô sản xuất', en: 'Batch report' },
  shift: { vi: 'Báo cáo ca sản xuất', en: 'Shift report' },
} as const;

/** The people who sign a report, in order. */
export const SIGNATORIES = [
  { vi: 'Người lập', en: 'Prepared by' },
  { vi: 'Người kiểm tra', en: 'Checked by' },
  { vi: 'Người phê duyệt', en: 'Approved by' },
] as const;

export const bilingual = (t: { readonly vi: string; readonly en: string }): string => `${t.vi} / ${t.en}`;

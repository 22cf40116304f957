/**
 * Kinh (Vietnamese) personal names as weighted data. A full name is family name, middle name(s),
 * given name; every combination drawn from these tables is invented — the tables hold single
 * name words, never real people.
 *
 * Family-name shares: the commonly published figures (Lê Trung Hoa, "Họ và tên người Việt Nam",
 * 2005, as quoted by the Vietnamese and English Wikipedia articles on Vietnamese names): Nguyễn
 * ~38%, Trần ~11–12%, Lê ~9.5%, Phạm ~7%, Hoàng/Huỳnh ~5%, Phan ~4.5%, Vũ/Võ ~3.9%, Đặng ~2.1%,
 * Bùi ~2%, Đỗ ~1.4%, Hồ ~1.3%, Ngô ~1.3%, Dương ~1%, Lý ~0.5%; the long tail is weighted by hand.
 * Middle and given names carry hand-set weights for three birth eras — before 1975, 1975–2004,
 * from 2005 — following the well-known shift from Văn/Thị and one-word virtue names to Gia, Bảo,
 * Minh and names like Khang, Khôi, Hân, Vy. Some old-fashioned rural names (Tèo, Bé, Sẻ, Mẹo)
 * are kept for the oldest holders. Old-style tone placement (Thuỷ, Thuỵ, Hoà) is kept as civil
 * records still carry it.
 */

/** 0: born before 1975; 1: 1975–2004; 2: 2005 and later. */
export type Era = 0 | 1 | 2;

export function eraOf(birthYear: number): Era {
  if (birthYear < 1975) return 0;
  return birthYear < 2005 ? 1 : 2;
}

/** [name, weight before 1975, 1975–2004, from 2005]. */
export type EraWeighted = readonly [string, number, number, number];

/** [family name, weight per mille]. */
export const FAMILY_NAMES: readonly (readonly [string, number])[] = [
  ['Nguyễn', 384], ['Trần', 115], ['Lê', 95], ['Phạm', 70], ['Hoàng', 29], ['Huỳnh', 22], ['Phan', 45],
  ['Vũ', 20], ['Võ', 19], ['Đặng', 21], ['Bùi', 20], ['Đỗ', 14], ['Hồ', 13], ['Ngô', 13], ['Dương', 10],
  ['Lý', 5], ['Đinh', 8], ['Trương', 7], ['Đoàn', 6], ['Lâm', 5], ['Mai', 5], ['Trịnh', 5], ['Đào', 5],
  ['Cao', 4], ['Lương', 4], ['Hà', 4], ['Tô', 3], ['Tạ', 3], ['Châu', 3], ['Lưu', 3], ['Quách', 2],
  ['Thái', 2], ['Tăng', 2], ['Kiều', 2], ['La', 2], ['Từ', 2], ['Triệu', 2], ['Vương', 2], ['Đàm', 2],
  ['Phùng', 2], ['Chu', 2], ['Lại', 1], ['Khúc', 1], ['Lục', 1], ['Ông', 1], ['Diệp', 1], ['Mạc', 1],
  ['Hứa', 1], ['Khổng', 1], ['Âu', 1], ['Giang', 1], ['Tôn', 1], ['Mã', 1], ['Thân', 1], ['Doãn', 1],
  ['Nghiêm', 1], ['Cù', 1], ['Lã', 1], ['Ninh', 1], ['Khương', 1], ['Kha', 1], ['Quan', 1], ['Phí', 1],
  ['Hàn', 1], ['Ưng', 0.5], ['Ứng', 0.5], ['Tống', 1], ['Bạch', 0.5], ['Văn', 0.5], ['Yên', 0.3],
];

export const MALE_MIDDLE_NAMES: readonly EraWeighted[] = [
  ['Văn', 60, 35, 8], ['Hữu', 6, 6, 3], ['Đức', 6, 8, 8], ['Công', 5, 5, 3], ['Đình', 5, 5, 3],
  ['Quang', 4, 6, 6], ['Minh', 3, 8, 18], ['Thanh', 4, 5, 3], ['Ngọc', 3, 3, 3], ['Xuân', 3, 3, 2],
  ['Hoàng', 2, 4, 6], ['Bảo', 1, 2, 8], ['Gia', 0.5, 2, 10], ['Hải', 1, 2, 3], ['Trọng', 2, 3, 2],
  ['Quốc', 2, 4, 5], ['Duy', 1, 3, 4], ['Anh', 1, 3, 5], ['Tiến', 1, 2, 1], ['Mạnh', 1, 2, 1],
  ['Phúc', 0.5, 1, 4], ['Thành', 1, 2, 2], ['Tuấn', 0.5, 2, 3], ['Nhật', 0.2, 1, 5], ['Đăng', 0.2, 1, 4],
  ['Khánh', 0.2, 1, 3], ['Thế', 2, 2, 1], ['Bá', 2, 1, 0.5], ['Chí', 1, 2, 2], ['Tấn', 2, 2, 1],
  ['Trung', 1, 2, 2], ['Kim', 1, 0.5, 0.2], ['Thiện', 0.5, 1, 2], ['Ngọc Bảo', 0, 0.2, 1],
];

export const FEMALE_MIDDLE_NAMES: readonly EraWeighted[] = [
  ['Thị', 70, 45, 16], ['Ngọc', 4, 6, 10], ['Thu', 4, 5, 3], ['Thanh', 4, 5, 3], ['Minh', 1, 3, 8],
  ['Kim', 3, 4, 3], ['Phương', 2, 3, 4], ['Thùy', 1, 3, 3], ['Mỹ', 2, 3, 3], ['Bảo', 0.5, 2, 10],
  ['Gia', 0.2, 1, 6], ['Hoài', 1, 2, 2], ['Diệu', 1, 1, 2], ['Khánh', 0.3, 1, 5], ['Hồng', 3, 3, 1],
  ['Xuân', 3, 2, 1], ['Bích', 2, 2, 1], ['Quỳnh', 0.5, 1, 3], ['Hải', 0.5, 1, 2], ['Tuyết', 1, 1, 0.5],
  ['Cẩm', 1, 1, 1], ['Tú', 0.5, 1, 2], ['Như', 0.5, 1, 3], ['Hà', 0.3, 1, 3], ['Thục', 0.2, 0.5, 1],
  ['Diễm', 0.5, 1, 1], ['Lệ', 1, 1, 0.3], ['Hoàng', 0.3, 1, 2], ['Thảo', 0.3, 1, 2], ['Mai', 0.5, 1, 2],
];

export const MALE_GIVEN_NAMES: readonly EraWeighted[] = [
  ['Hùng', 6, 5, 1], ['Dũng', 6, 6, 2], ['Tuấn', 4, 7, 2], ['Minh', 4, 5, 6], ['Hải', 5, 5, 2], ['Nam', 4, 5, 4],
  ['Long', 3, 5, 4], ['Thắng', 5, 3, 0.5], ['Hòa', 4, 2, 0.5], ['Hoà', 1, 0.3, 0], ['Bình', 5, 3, 1],
  ['Sơn', 5, 4, 1], ['Tùng', 2, 4, 1], ['Cường', 4, 4, 1], ['Quang', 3, 3, 2], ['Thành', 5, 4, 2],
  ['Trung', 4, 4, 1], ['Hiếu', 2, 4, 3], ['Phúc', 2, 3, 6], ['Lộc', 3, 2, 3], ['Tài', 3, 2, 2], ['Đạt', 1, 4, 5],
  ['Khoa', 0.5, 3, 5], ['Huy', 1, 5, 6], ['Tiến', 3, 3, 1], ['Lâm', 2, 2, 4], ['Việt', 2, 3, 2], ['Hưng', 4, 3, 3],
  ['Thịnh', 2, 2, 3], ['Toàn', 3, 3, 1], ['Phong', 2, 3, 4], ['Hoàng', 1, 2, 2], ['Kiên', 2, 3, 2],
  ['Vinh', 4, 3, 1], ['Nghĩa', 3, 3, 1], ['Trí', 1, 2, 3], ['Thọ', 3, 1, 0.2], ['Thuận', 3, 2, 1],
  ['Lợi', 3, 2, 0.5], ['Hợp', 2, 1, 0.2], ['Lực', 2, 1, 0.2], ['Đức', 3, 3, 3], ['Tâm', 2, 2, 2],
  ['Mạnh', 2, 3, 1], ['Chiến', 3, 2, 0.5], ['Thái', 1, 2, 2], ['Hậu', 2, 2, 1], ['Hiển', 2, 1, 0.5],
  ['Kỳ', 1, 1, 0.5], ['Quý', 2, 2, 1], ['Chỉnh', 1, 0.3, 0], ['Khởi', 1, 0.5, 0.2], ['Khải', 0.5, 1, 2],
  ['Nhẫn', 1, 0.3, 0], ['Anh', 1, 3, 5], ['Khang', 0.1, 1, 6], ['Khôi', 0.2, 2, 6], ['Bảo', 0.2, 2, 5],
  ['Duy', 1, 3, 3], ['An', 1, 2, 6], ['Khánh', 1, 2, 4], ['Nguyên', 0.5, 2, 5], ['Quân', 1, 3, 6],
  ['Phát', 1, 2, 4], ['Thiện', 1, 2, 3], ['Vũ', 1, 3, 3], ['Đăng', 0.5, 1, 3], ['Tú', 1, 2, 1], ['Sĩ', 1, 0.5, 0.2],
  ['Vĩ', 0.5, 1, 1], ['Thới', 1, 0.3, 0], ['Tường', 1, 1, 1], ['Cẩn', 1, 0.3, 0.1], ['Thông', 1, 1, 1],
  ['Tấn', 2, 1, 0.5], ['Nhất', 1, 1, 1], ['Đông', 2, 1, 0.5], ['Hãn', 0.3, 0.2, 0], ['Sáng', 1, 1, 0.5],
  ['Kiệt', 0.5, 1, 3], ['Thụy', 0.5, 0.5, 0.5], ['Tèo', 0.5, 0, 0], ['Tí', 0.5, 0.1, 0], ['Út', 1, 0.3, 0],
  ['Mười', 0.5, 0.1, 0], ['Đực', 0.5, 0, 0], ['Kẽm', 0.3, 0, 0], ['Lớn', 0.5, 0.2, 0], ['Ẩn', 0.3, 0.2, 0.1],
];

export const FEMALE_GIVEN_NAMES: readonly EraWeighted[] = [
  ['Hương', 6, 5, 1], ['Lan', 6, 4, 1], ['Hoa', 5, 3, 1], ['Mai', 5, 4, 2], ['Hằng', 4, 5, 1], ['Linh', 2, 5, 6],
  ['Trang', 2, 6, 3], ['Huyền', 2, 4, 2], ['Thảo', 2, 5, 4], ['Ngọc', 2, 3, 3], ['Nhung', 4, 3, 0.5],
  ['Hà', 3, 4, 2], ['Loan', 4, 2, 0.5], ['Thủy', 4, 3, 0.5], ['Thuỷ', 1, 0.5, 0], ['Thuỵ', 0.3, 0.2, 0],
  ['Thụy', 0.5, 0.5, 0.5], ['Tuyết', 3, 2, 0.5], ['Yến', 3, 3, 1], ['Dung', 4, 3, 0.5], ['Liên', 4, 2, 0.3],
  ['Hạnh', 3, 3, 1], ['Phương', 3, 4, 2], ['Nga', 4, 3, 0.5], ['Vân', 3, 3, 1], ['Thu', 3, 2, 0.5],
  ['Anh', 2, 4, 6], ['Nhi', 0.5, 3, 6], ['Vy', 0.5, 3, 6], ['Ngân', 1, 3, 4], ['Trâm', 1, 3, 3], ['Uyên', 0.5, 3, 4],
  ['Quỳnh', 1, 3, 3], ['Diễm', 1, 2, 1], ['Hồng', 4, 2, 0.5], ['Cúc', 3, 1, 0.1], ['Lụa', 2, 0.5, 0],
  ['Sen', 2, 1, 0.2], ['Mẫn', 1, 1, 0.5], ['Thìn', 1, 0.5, 0.2], ['Huệ', 3, 2, 0.5], ['Thuyền', 2, 1, 0.2],
  ['Mận', 1, 0.3, 0], ['Hân', 0.2, 1, 6], ['An', 0.5, 2, 6], ['Châu', 1, 2, 3], ['Khuê', 0.5, 1, 2],
  ['Ly', 1, 3, 3], ['My', 0.5, 2, 4], ['Trúc', 1, 2, 2], ['Tiên', 1, 2, 3], ['Xuân', 3, 2, 0.5],
  ['Nguyệt', 2, 2, 1], ['Hiền', 3, 3, 1], ['Giang', 2, 3, 2], ['Tâm', 2, 2, 1], ['Thư', 0.5, 2, 4],
  ['Diệp', 0.2, 1, 2], ['Nguyên', 0.2, 1, 2], ['Lam', 0.2, 0.5, 2], ['Ánh', 2, 2, 2], ['Đào', 2, 1, 0.2],
  ['Đan', 0.5, 1, 2], ['Thoa', 2, 1, 0.2], ['Oanh', 2, 2, 1], ['Mỹ', 1, 1, 0.5], ['Bé', 1.5, 0.5, 0],
  ['Út', 1, 0.5, 0], ['Nhỏ', 0.5, 0.2, 0], ['Sẻ', 0.3, 0, 0], ['Mẹo', 0.3, 0, 0], ['Mỡ', 0.3, 0, 0],
  ['Hĩm', 0.3, 0, 0], ['Ở', 0.3, 0, 0], ['Hà My', 0, 0.3, 1.5], ['Thảo Nguyên', 0, 0.5, 1],
  ['Khánh Linh', 0, 0.5, 1.5], ['Bảo Ngọc', 0, 0.3, 1.5],
];

/**
 * Double family names (mother's family after the father's: Nguyễn Huỳnh, Trần Lê, Lê Phạm …),
 * more common in the south and among recent births.
 */
export const SECOND_FAMILY_NAMES: readonly string[] = ['Huỳnh', 'Lê', 'Trần', 'Phạm', 'Ngô', 'Võ', 'Đỗ', 'Hoàng', 'Phan', 'Vũ'];

/**
 * Nguyễn Phước (royal) lineage names, kept by descendants mostly from Huế: the branch title comes
 * before the generation name, so these names run to five to seven words and their MRZ form is
 * longer than the 30 characters of a TD1 name line.
 */
export const ROYAL_FEMALE_PREFIXES: readonly string[] = ['Công Tằng Tôn Nữ Thị', 'Công Tôn Nữ Thị', 'Tôn Nữ', 'Huyền Tôn Nữ', 'Tằng Tôn Nữ'];
export const ROYAL_MALE_PREFIXES: readonly string[] = ['Nguyễn Phước Bửu', 'Nguyễn Phước Vĩnh', 'Nguyễn Phúc Bảo', 'Tôn Thất', 'Tôn Thất Bửu'];

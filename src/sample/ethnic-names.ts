/**
 * Name patterns of the larger ethnic minorities, as data. Each ethnicity gives patterns by sex —
 * words separated by spaces, where F is a family name, M a middle name ('' drops the word), G a
 * given name and anything else a literal word — and the word lists to fill them.
 *
 * The patterns follow the conventions described in Vietnamese ethnography and press usage:
 * Mông men carry "A" or "Seo" and women "Thị" or "Mí" as middle word (Giàng A …, Sùng Thị …);
 * Thái family names Lò, Cầm, Lường, Quàng; Dao middles Láo, Tả; the Ê Đê write the given name
 * with its Y (men) or H' (women) prefix first and the family (clan) name last (Y … Niê,
 * H'… Byă); the Gia Rai put the clan name first (Ksor, Rơ Mah, Siu …); Khmer of An Giang use
 * Chau (men) and Néang (women) before the given name, elsewhere Thạch, Danh, Sơn, Kim …; Cơ Ho
 * men K' and women Ka. The words are typical syllables; every assembled name is invented.
 */

export interface EthnicNames {
  readonly patterns: { readonly M: readonly (readonly [string, number])[]; readonly F: readonly (readonly [string, number])[] };
  readonly families: readonly string[];
  readonly middles: { readonly M: readonly string[]; readonly F: readonly string[] };
  readonly given: { readonly M: readonly string[]; readonly F: readonly string[] };
  /** Probability, by era (before 1975, 1975–2004, from 2005), that G is a Kinh given name instead. */
  readonly kinhGiven: readonly [number, number, number];
}

const KINH_STYLE: EthnicNames['patterns'] = { M: [['F M G', 1]], F: [['F M G', 1]] };

export const ETHNIC_NAMES: Readonly<Record<string, EthnicNames>> = {
  Tày: {
    patterns: KINH_STYLE,
    families: ['Nông', 'Nông', 'Hoàng', 'Hoàng', 'Lương', 'Vi', 'Lục', 'Triệu', 'Hà', 'Ma', 'Lăng', 'Chu', 'Đàm', 'Bế', 'Lý'],
    middles: { M: ['Văn', 'Văn', 'Đức', ''], F: ['Thị', 'Thị', 'Thị', ''] },
    given: {
      M: ['Dền', 'Sàng', 'Pẩu', 'Thắng', 'Quyết', 'Đông', 'Toản', 'Hoan', 'Tủng', 'Lẹng'],
      F: ['Nhài', 'Pả', 'Phượng', 'Ẵm', 'Mỷ', 'Dịu', 'Hon', 'Thơm', 'Slao', 'Nhình'],
    },
    kinhGiven: [0.4, 0.6, 0.8],
  },
  Nùng: {
    patterns: KINH_STYLE,
    families: ['Hoàng', 'Hoàng', 'Nông', 'Vi', 'Lương', 'Lý', 'Chu', 'Mã', 'Lăng', 'Triệu', 'Sầm'],
    middles: { M: ['Văn', 'Văn', ''], F: ['Thị', 'Thị', ''] },
    given: {
      M: ['Sìn', 'Chắn', 'Pẩu', 'Lìn', 'Vằn', 'Sáng', 'Phủ', 'Sềnh'],
      F: ['Mùi', 'Lìu', 'Slư', 'Nhàn', 'Pắt', 'Mảy'],
    },
    kinhGiven: [0.4, 0.6, 0.8],
  },
  Thái: {
    patterns: KINH_STYLE,
    families: ['Lò', 'Lò', 'Cầm', 'Lường', 'Quàng', 'Vi', 'Hà', 'Lộc', 'Tòng', 'Điêu', 'Khà', 'Lù'],
    middles: { M: ['Văn', 'Văn', 'Văn', ''], F: ['Thị', 'Thị', 'Thị', ''] },
    given: {
      M: ['Pọm', 'Bun', 'Hặc', 'Xiêng', 'Khăm', 'Ún', 'Ọn', 'Khẳm', 'Phanh', 'Inh', 'Ích'],
      F: ['Ánh', 'Xuân', 'Ón', 'Bua', 'Pâng', 'Lả', 'Ỏn', 'Ơn', 'Ngân', 'Panh'],
    },
    kinhGiven: [0.3, 0.5, 0.75],
  },
  Mường: {
    patterns: KINH_STYLE,
    families: ['Bùi', 'Bùi', 'Bùi', 'Đinh', 'Đinh', 'Quách', 'Hà', 'Xa', 'Cao', 'Bạch'],
    middles: { M: ['Văn', 'Văn', 'Công', 'Đức'], F: ['Thị', 'Thị', 'Thị', 'Ngọc'] },
    given: { M: ['Khoẻ', 'Đạc', 'Lềnh', 'Pươn', 'Thang'], F: ['Mơ', 'Bàng', 'Nhớn', 'Thềm'] },
    kinhGiven: [0.75, 0.85, 0.95],
  },
  "H'Mông": {
    patterns: KINH_STYLE,
    families: ['Giàng', 'Giàng', 'Sùng', 'Sùng', 'Vàng', 'Vàng', 'Thào', 'Lý', 'Hầu', 'Mùa', 'Vừ', 'Lầu', 'Cứ', 'Tráng', 'Hạng', 'Chẩu'],
    middles: { M: ['A', 'A', 'A', 'Seo', 'Văn'], F: ['Thị', 'Thị', 'Mí'] },
    given: {
      M: ['Páo', 'Dính', 'Sử', 'Chứ', 'Pó', 'Chớ', 'Tủa', 'Lử', 'Dế', 'Chẳng', 'Sình', 'Phử', 'Cở', 'Dua'],
      F: ['Mỷ', 'Súa', 'Mo', 'Ly', 'Dợ', 'Chía', 'Dở', 'Mẩy', 'Xúa', 'Pàng', 'Dẻ', 'Máy', 'Chơ'],
    },
    kinhGiven: [0.05, 0.15, 0.35],
  },
  Dao: {
    patterns: KINH_STYLE,
    families: ['Triệu', 'Triệu', 'Bàn', 'Bàn', 'Đặng', 'Lý', 'Phùng', 'Chảo', 'Tẩn'],
    middles: { M: ['Văn', 'Văn', 'Láo', 'Tả', 'Phù'], F: ['Thị', 'Thị', 'Tả', 'Mẩy'] },
    given: {
      M: ['Sành', 'Kiều', 'Phin', 'Lở', 'Pao', 'Quẩy', 'Tòn', 'Chàn', 'Vần', 'Dùn'],
      F: ['Mẩy', 'Nái', 'Mùi', 'Mẩn', 'Sính', 'Xuân', 'Chạn', 'Lìu'],
    },
    kinhGiven: [0.1, 0.3, 0.5],
  },
  Khmer: {
    patterns: { M: [['F M G', 8], ['Chau G', 2]], F: [['F M G', 8], ['Néang G', 2]] },
    families: ['Thạch', 'Thạch', 'Thạch', 'Danh', 'Danh', 'Sơn', 'Sơn', 'Kim', 'Lâm', 'Châu', 'Lý', 'Trần', 'Huỳnh'],
    middles: { M: ['', '', 'Văn'], F: ['Thị', 'Thị', ''] },
    given: {
      M: ['Sa Rinh', 'Sóc Kha', 'Phal', 'Vi Sal', 'Sô Phal', 'Chanh Đa', 'Sa Ra', 'Rết', 'Sa-Rinh', 'Đa-Ra', 'Sô Khom', 'Pho'],
      F: ['Sô Phi', 'Pha Ly', 'Sa Rết', 'Sóc Khanh', 'Sô-Phi', 'Sa-Ly', 'Chanh Thu', 'Sa Muôn', 'Kim Ry', 'Sà Rương'],
    },
    kinhGiven: [0.2, 0.35, 0.5],
  },
  Hoa: {
    patterns: KINH_STYLE,
    families: ['Lý', 'Trương', 'Quách', 'Lâm', 'Hứa', 'Diệp', 'Mạch', 'Tăng', 'Châu', 'La', 'Lưu', 'Thái', 'Dương', 'Tạ', 'Quan', 'Phùng', 'Tiêu', 'Ôn', 'Hà'],
    middles: { M: ['Quốc', 'Gia', 'Chấn', 'Vĩ', 'Kiến', 'Vĩnh', 'Văn', 'Tú'], F: ['Mỹ', 'Tú', 'Huệ', 'Ngọc', 'Lệ', 'Thục', 'Tuyết', 'Mẫn', 'Bội'] },
    given: {
      M: ['Hưng', 'Phát', 'Cường', 'Vinh', 'Minh', 'Kiệt', 'Hào', 'Thành', 'Quân', 'Xương', 'Khải', 'Vỹ'],
      F: ['Linh', 'Phân', 'Mẫn', 'Kỳ', 'Anh', 'Như', 'Nghi', 'Trinh', 'Dung', 'Quyên', 'Hoa', 'Phụng'],
    },
    kinhGiven: [0.2, 0.3, 0.4],
  },
  'Gia Rai': {
    patterns: { M: [['F G', 1]], F: [['F G', 1]] },
    families: ['Ksor', 'Ksor', 'Rơ Châm', 'Rơ Mah', 'Siu', 'Siu', 'Nay', 'Kpă', 'Rơ Lan', 'Puih', 'Rah Lan', 'Kpuih', 'Rơ Ô'],
    middles: { M: [''], F: [''] },
    given: {
      M: ['Tuih', 'Hyưn', 'Nhông', 'Đơk', 'Thơ', 'Blih', 'Djơ', 'Hlin', 'Yưn', 'Phơn'],
      F: ["H'Bia", "H'Lanh", "H'Yưn", "H'Nga", "H'Ly", 'Hen', 'Ngơm', "H'Hyơn", 'Blin', 'Nhen'],
    },
    kinhGiven: [0.05, 0.1, 0.2],
  },
  'Ê Đê': {
    patterns: { M: [['G F', 1]], F: [['G F', 1]] },
    families: ['Niê', 'Niê', 'Êban', 'Mlô', 'Byă', 'Ayun', 'Adrơng', 'Ktla', 'Knul', 'Hmok', 'Kđăm', 'Niê Kdăm', 'Buôn Yă', 'Êya', 'Hđơk'],
    middles: { M: [''], F: [''] },
    given: {
      M: ['Y Khu', 'Y Ngông', 'Y Thu', 'Y Blăk', 'Y Kông', 'Y Dhăm', 'Y Bhin', 'Y Ngọc', 'Y Sơn', 'Y Lui'],
      F: ["H'Ben", "H'Linh", "H'Nga", "H'Zuê", "H'Yơn", "H'Nhi", "H'Dung", "H'Juen", "H'Lê", "H'Ngơn"],
    },
    kinhGiven: [0, 0, 0],
  },
  'Ba Na': {
    patterns: { M: [['A G', 6], ['F Văn G', 4]], F: [['Y G', 6], ['F Thị G', 4]] },
    families: ['Đinh', 'Đinh', 'Đinh', 'Rơ Châm', 'Nguyễn'],
    middles: { M: [''], F: [''] },
    given: {
      M: ['Tuyn', 'Thút', 'Pót', 'Blơng', 'Hon', 'Kơl', 'Dur', 'Byưh'],
      F: ['Nhí', 'Đíp', 'Hmăng', 'Blin', 'Nhuôn', 'Phương', 'Yơng', 'Hlia'],
    },
    kinhGiven: [0.05, 0.15, 0.3],
  },
  Chăm: {
    patterns: KINH_STYLE,
    families: ['Đàng', 'Đàng', 'Thành', 'Quảng', 'Bá', 'Châu', 'Lộ', 'Thuận', 'Lưu', 'Trượng', 'Phú', 'Thông', 'Từ'],
    middles: { M: ['Văn', 'Năng', 'Đại', 'Minh'], F: ['Thị', 'Thị', 'Ngọc'] },
    given: { M: ['Thọ', 'Sanh', 'Thìn', 'Hòa', 'Sơn', 'Tài', 'Lợi', 'Sa'], F: ['Mỹ', 'Thìn', 'Hoa', 'Lan', 'Thu', 'Nga', 'Liên', 'Đào'] },
    kinhGiven: [0.5, 0.6, 0.7],
  },
  'Sán Dìu': {
    patterns: KINH_STYLE,
    families: ['Diệp', 'Lâm', 'Trương', 'Lý', 'Tạ', 'Đặng', 'Phạm', 'Hoàng', 'La'],
    middles: { M: ['Văn', 'Văn', 'Đức'], F: ['Thị', 'Thị', 'Thị'] },
    given: { M: ['Sềnh', 'Thông', 'Dảnh'], F: ['Nhạn', 'Dền'] },
    kinhGiven: [0.8, 0.9, 0.95],
  },
  'Cơ Ho': {
    patterns: { M: [['G F', 1]], F: [['Ka G', 4], ['Ka G F', 6]] },
    families: ['Liêng', 'Kơ Să', 'Ntơr', 'Cil', 'Bon Đing', 'Kră Jăn'],
    middles: { M: [''], F: [''] },
    given: {
      M: ["K'Brỏi", "K'Tiếp", "K'Mlơm", "K'Srê", "K'Điểu", "K'Bình", "K'Sơn", "K'Bròl"],
      F: ['Hòa', 'Blin', 'Thu', 'Sang', 'Bé', 'Nhun', 'Giang', 'Huê'],
    },
    kinhGiven: [0, 0.05, 0.1],
  },
};

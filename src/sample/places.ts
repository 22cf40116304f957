/**
 * Places for synthetic residences, places of origin and births registered abroad. Data, not code.
 *
 * Provinces: the 63 codes of src/domain/reference/vn-personal-id.json (the province names come from
 * there, so they always match the PID's place code). Populations are the 2019 census figures
 * (General Statistics Office, "Kết quả toàn bộ Tổng điều tra dân số và nhà ở 2019"), rounded to
 * thousands — used only as draw weights, approximate is enough. District-level units are real
 * districts of the pre-July-2025 map (the three-level map that existing civil records still carry),
 * a few per province; wards, communes, hamlets and house numbers are drawn from generic pools, so
 * an address is realistic in form but invented — it is nobody's address.
 */

export type Region = 'red-river' | 'northern-uplands' | 'central' | 'highlands' | 'mekong-southeast';

export interface ProvincePlaces {
  /** 2019 census population in thousands. */
  readonly population: number;
  readonly region: Region;
  /** District-level urban units (quận, or the provincial city), with their prefix. */
  readonly urban: readonly string[];
  /** Rural district-level units (huyện, thị xã), with their prefix. */
  readonly rural: readonly string[];
}

export const PROVINCE_PLACES: Readonly<Record<string, ProvincePlaces>> = {
  '001': { population: 8054, region: 'red-river', urban: ['quận Ba Đình', 'quận Hoàn Kiếm', 'quận Đống Đa', 'quận Cầu Giấy', 'quận Hai Bà Trưng', 'quận Thanh Xuân', 'quận Long Biên', 'quận Hoàng Mai'], rural: ['huyện Đông Anh', 'huyện Gia Lâm', 'huyện Sóc Sơn', 'huyện Ba Vì', 'huyện Thạch Thất'] },
  '002': { population: 854, region: 'northern-uplands', urban: ['thành phố Hà Giang'], rural: ['huyện Đồng Văn', 'huyện Mèo Vạc', 'huyện Bắc Quang', 'huyện Hoàng Su Phì'] },
  '004': { population: 530, region: 'northern-uplands', urban: ['thành phố Cao Bằng'], rural: ['huyện Trùng Khánh', 'huyện Hòa An', 'huyện Bảo Lạc'] },
  '006': { population: 314, region: 'northern-uplands', urban: ['thành phố Bắc Kạn'], rural: ['huyện Ba Bể', 'huyện Chợ Đồn', 'huyện Na Rì'] },
  '008': { population: 785, region: 'northern-uplands', urban: ['thành phố Tuyên Quang'], rural: ['huyện Sơn Dương', 'huyện Chiêm Hóa', 'huyện Na Hang'] },
  '010': { population: 731, region: 'northern-uplands', urban: ['thành phố Lào Cai'], rural: ['thị xã Sa Pa', 'huyện Bát Xát', 'huyện Bắc Hà', 'huyện Mường Khương'] },
  '011': { population: 599, region: 'northern-uplands', urban: ['thành phố Điện Biên Phủ'], rural: ['huyện Mường Chà', 'huyện Tuần Giáo', 'huyện Điện Biên Đông'] },
  '012': { population: 460, region: 'northern-uplands', urban: ['thành phố Lai Châu'], rural: ['huyện Tam Đường', 'huyện Sìn Hồ', 'huyện Phong Thổ'] },
  '014': { population: 1249, region: 'northern-uplands', urban: ['thành phố Sơn La'], rural: ['huyện Mộc Châu', 'huyện Mai Sơn', 'huyện Thuận Châu'] },
  '015': { population: 822, region: 'northern-uplands', urban: ['thành phố Yên Bái'], rural: ['huyện Mù Cang Chải', 'huyện Văn Chấn', 'huyện Lục Yên'] },
  '017': { population: 854, region: 'northern-uplands', urban: ['thành phố Hòa Bình'], rural: ['huyện Mai Châu', 'huyện Lạc Sơn', 'huyện Kim Bôi'] },
  '019': { population: 1287, region: 'northern-uplands', urban: ['thành phố Thái Nguyên'], rural: ['huyện Đại Từ', 'huyện Phú Lương', 'huyện Định Hóa'] },
  '020': { population: 782, region: 'northern-uplands', urban: ['thành phố Lạng Sơn'], rural: ['huyện Cao Lộc', 'huyện Hữu Lũng', 'huyện Tràng Định'] },
  '022': { population: 1321, region: 'red-river', urban: ['thành phố Hạ Long', 'thành phố Cẩm Phả'], rural: ['huyện Vân Đồn', 'huyện Tiên Yên', 'huyện Hải Hà'] },
  '024': { population: 1804, region: 'northern-uplands', urban: ['thành phố Bắc Giang'], rural: ['huyện Lục Ngạn', 'huyện Yên Dũng', 'huyện Lạng Giang'] },
  '025': { population: 1464, region: 'northern-uplands', urban: ['thành phố Việt Trì'], rural: ['huyện Thanh Sơn', 'huyện Lâm Thao', 'huyện Cẩm Khê'] },
  '026': { population: 1152, region: 'red-river', urban: ['thành phố Vĩnh Yên'], rural: ['huyện Yên Lạc', 'huyện Tam Đảo', 'huyện Vĩnh Tường'] },
  '027': { population: 1369, region: 'red-river', urban: ['thành phố Bắc Ninh', 'thành phố Từ Sơn'], rural: ['huyện Gia Bình', 'huyện Lương Tài', 'huyện Quế Võ'] },
  '030': { population: 1892, region: 'red-river', urban: ['thành phố Hải Dương'], rural: ['huyện Gia Lộc', 'huyện Thanh Hà', 'huyện Ninh Giang'] },
  '031': { population: 2028, region: 'red-river', urban: ['quận Hồng Bàng', 'quận Lê Chân', 'quận Ngô Quyền', 'quận Hải An'], rural: ['huyện Thủy Nguyên', 'huyện An Lão', 'huyện Tiên Lãng', 'huyện Vĩnh Bảo'] },
  '033': { population: 1253, region: 'red-river', urban: ['thành phố Hưng Yên'], rural: ['huyện Khoái Châu', 'huyện Văn Lâm', 'huyện Ân Thi'] },
  '034': { population: 1860, region: 'red-river', urban: ['thành phố Thái Bình'], rural: ['huyện Vũ Thư', 'huyện Kiến Xương', 'huyện Thái Thụy', 'huyện Quỳnh Phụ'] },
  '035': { population: 852, region: 'red-river', urban: ['thành phố Phủ Lý'], rural: ['huyện Bình Lục', 'huyện Lý Nhân', 'huyện Thanh Liêm'] },
  '036': { population: 1780, region: 'red-river', urban: ['thành phố Nam Định'], rural: ['huyện Hải Hậu', 'huyện Giao Thủy', 'huyện Xuân Trường', 'huyện Ý Yên'] },
  '037': { population: 983, region: 'red-river', urban: ['thành phố Ninh Bình'], rural: ['huyện Gia Viễn', 'huyện Kim Sơn', 'huyện Yên Mô'] },
  '038': { population: 3641, region: 'central', urban: ['thành phố Thanh Hóa'], rural: ['huyện Hoằng Hóa', 'huyện Quảng Xương', 'huyện Ngọc Lặc', 'huyện Thọ Xuân', 'huyện Hậu Lộc'] },
  '040': { population: 3327, region: 'central', urban: ['thành phố Vinh'], rural: ['huyện Diễn Châu', 'huyện Quỳnh Lưu', 'huyện Nam Đàn', 'huyện Đô Lương', 'huyện Kỳ Sơn'] },
  '042': { population: 1289, region: 'central', urban: ['thành phố Hà Tĩnh'], rural: ['huyện Can Lộc', 'huyện Đức Thọ', 'huyện Kỳ Anh'] },
  '044': { population: 896, region: 'central', urban: ['thành phố Đồng Hới'], rural: ['huyện Bố Trạch', 'huyện Lệ Thủy', 'huyện Quảng Trạch'] },
  '045': { population: 633, region: 'central', urban: ['thành phố Đông Hà'], rural: ['huyện Vĩnh Linh', 'huyện Hải Lăng', 'huyện Gio Linh'] },
  '046': { population: 1129, region: 'central', urban: ['thành phố Huế'], rural: ['huyện Phú Vang', 'huyện Phong Điền', 'huyện Quảng Điền'] },
  '048': { population: 1134, region: 'central', urban: ['quận Hải Châu', 'quận Thanh Khê', 'quận Sơn Trà', 'quận Ngũ Hành Sơn', 'quận Liên Chiểu'], rural: ['huyện Hòa Vang'] },
  '049': { population: 1495, region: 'central', urban: ['thành phố Tam Kỳ', 'thành phố Hội An'], rural: ['huyện Duy Xuyên', 'huyện Thăng Bình', 'huyện Đại Lộc'] },
  '051': { population: 1232, region: 'central', urban: ['thành phố Quảng Ngãi'], rural: ['huyện Bình Sơn', 'huyện Mộ Đức', 'huyện Tư Nghĩa'] },
  '052': { population: 1487, region: 'central', urban: ['thành phố Quy Nhơn'], rural: ['huyện Phù Cát', 'huyện Tuy Phước', 'huyện Hoài Nhơn'] },
  '054': { population: 873, region: 'central', urban: ['thành phố Tuy Hòa'], rural: ['huyện Đồng Xuân', 'huyện Tuy An', 'huyện Sơn Hòa'] },
  '056': { population: 1232, region: 'central', urban: ['thành phố Nha Trang', 'thành phố Cam Ranh'], rural: ['huyện Diên Khánh', 'huyện Vạn Ninh', 'huyện Khánh Vĩnh'] },
  '058': { population: 591, region: 'central', urban: ['thành phố Phan Rang – Tháp Chàm'], rural: ['huyện Ninh Phước', 'huyện Ninh Hải', 'huyện Ninh Sơn'] },
  '060': { population: 1231, region: 'central', urban: ['thành phố Phan Thiết'], rural: ['huyện Hàm Thuận Bắc', 'huyện Tuy Phong', 'huyện Bắc Bình'] },
  '062': { population: 540, region: 'highlands', urban: ['thành phố Kon Tum'], rural: ['huyện Đắk Hà', 'huyện Sa Thầy', 'huyện Kon Plông'] },
  '064': { population: 1513, region: 'highlands', urban: ['thành phố Pleiku'], rural: ['huyện Chư Sê', 'huyện Ia Grai', 'huyện Chư Păh', 'huyện Mang Yang'] },
  '066': { population: 1869, region: 'highlands', urban: ['thành phố Buôn Ma Thuột'], rural: ['huyện Krông Pắc', 'huyện Ea Kar', "huyện Cư M'gar", 'huyện Krông Búk'] },
  '067': { population: 622, region: 'highlands', urban: ['thành phố Gia Nghĩa'], rural: ['huyện Krông Nô', 'huyện Đắk Mil', "huyện Đắk R'lấp"] },
  '068': { population: 1297, region: 'highlands', urban: ['thành phố Đà Lạt', 'thành phố Bảo Lộc'], rural: ['huyện Đức Trọng', 'huyện Di Linh', 'huyện Lạc Dương'] },
  '070': { population: 995, region: 'mekong-southeast', urban: ['thành phố Đồng Xoài'], rural: ['huyện Bù Đăng', 'huyện Lộc Ninh', 'huyện Bù Gia Mập'] },
  '072': { population: 1170, region: 'mekong-southeast', urban: ['thành phố Tây Ninh'], rural: ['huyện Gò Dầu', 'huyện Tân Châu', 'huyện Dương Minh Châu'] },
  '074': { population: 2426, region: 'mekong-southeast', urban: ['thành phố Thủ Dầu Một', 'thành phố Dĩ An', 'thành phố Thuận An'], rural: ['huyện Bàu Bàng', 'huyện Dầu Tiếng', 'huyện Phú Giáo'] },
  '075': { population: 3097, region: 'mekong-southeast', urban: ['thành phố Biên Hòa', 'thành phố Long Khánh'], rural: ['huyện Trảng Bom', 'huyện Long Thành', 'huyện Nhơn Trạch', 'huyện Định Quán'] },
  '077': { population: 1149, region: 'mekong-southeast', urban: ['thành phố Vũng Tàu', 'thành phố Bà Rịa'], rural: ['huyện Xuyên Mộc', 'huyện Châu Đức', 'huyện Long Điền'] },
  '079': { population: 8993, region: 'mekong-southeast', urban: ['Quận 1', 'Quận 3', 'Quận 5', 'Quận 7', 'Quận 10', 'quận Bình Thạnh', 'quận Gò Vấp', 'quận Tân Bình', 'quận Phú Nhuận', 'thành phố Thủ Đức'], rural: ['huyện Củ Chi', 'huyện Bình Chánh', 'huyện Hóc Môn', 'huyện Nhà Bè'] },
  '080': { population: 1689, region: 'mekong-southeast', urban: ['thành phố Tân An'], rural: ['huyện Cần Giuộc', 'huyện Đức Hòa', 'huyện Bến Lức'] },
  '082': { population: 1765, region: 'mekong-southeast', urban: ['thành phố Mỹ Tho'], rural: ['huyện Cái Bè', 'huyện Chợ Gạo', 'huyện Cai Lậy'] },
  '083': { population: 1289, region: 'mekong-southeast', urban: ['thành phố Bến Tre'], rural: ['huyện Mỏ Cày Nam', 'huyện Giồng Trôm', 'huyện Ba Tri'] },
  '084': { population: 1010, region: 'mekong-southeast', urban: ['thành phố Trà Vinh'], rural: ['huyện Cầu Kè', 'huyện Tiểu Cần', 'huyện Trà Cú'] },
  '086': { population: 1023, region: 'mekong-southeast', urban: ['thành phố Vĩnh Long'], rural: ['huyện Long Hồ', 'huyện Trà Ôn', 'huyện Tam Bình'] },
  '087': { population: 1600, region: 'mekong-southeast', urban: ['thành phố Cao Lãnh', 'thành phố Sa Đéc'], rural: ['huyện Lấp Vò', 'huyện Tháp Mười', 'huyện Lai Vung'] },
  '089': { population: 1908, region: 'mekong-southeast', urban: ['thành phố Long Xuyên', 'thành phố Châu Đốc'], rural: ['huyện Chợ Mới', 'huyện Phú Tân', 'huyện Tri Tôn'] },
  '091': { population: 1723, region: 'mekong-southeast', urban: ['thành phố Rạch Giá'], rural: ['huyện Châu Thành', 'huyện Hòn Đất', 'huyện Giồng Riềng'] },
  '092': { population: 1236, region: 'mekong-southeast', urban: ['quận Ninh Kiều', 'quận Bình Thủy', 'quận Cái Răng'], rural: ['huyện Phong Điền', 'huyện Cờ Đỏ'] },
  '093': { population: 733, region: 'mekong-southeast', urban: ['thành phố Vị Thanh'], rural: ['huyện Phụng Hiệp', 'huyện Châu Thành A'] },
  '094': { population: 1200, region: 'mekong-southeast', urban: ['thành phố Sóc Trăng'], rural: ['huyện Mỹ Xuyên', 'huyện Kế Sách', 'huyện Trần Đề'] },
  '095': { population: 907, region: 'mekong-southeast', urban: ['thành phố Bạc Liêu'], rural: ['huyện Hồng Dân', 'huyện Phước Long', 'huyện Hòa Bình'] },
  '096': { population: 1194, region: 'mekong-southeast', urban: ['thành phố Cà Mau'], rural: ['huyện Năm Căn', 'huyện Đầm Dơi', 'huyện Trần Văn Thời'] },
};

/**
 * Where people who live outside their province of birth registration moved to, as relative
 * weights (the big internal-migration destinations of the 2019 census: Hồ Chí Minh City, Hà Nội,
 * Bình Dương, Đồng Nai, then the industrial provinces around them).
 */
export const MIGRATION_DESTINATIONS: readonly (readonly [string, number])[] = [
  ['079', 30],
  ['001', 22],
  ['074', 14],
  ['075', 9],
  ['027', 4],
  ['031', 4],
  ['048', 4],
  ['080', 3],
  ['077', 3],
  ['092', 3],
  ['026', 2],
  ['056', 2],
];

/** Streets named after historical figures and events: every Vietnamese town has a few of these. */
export const STREETS: readonly string[] = [
  'Lê Lợi', 'Trần Hưng Đạo', 'Nguyễn Huệ', 'Hai Bà Trưng', 'Lý Thường Kiệt', 'Quang Trung', 'Nguyễn Trãi',
  'Lê Duẩn', 'Phan Đình Phùng', 'Điện Biên Phủ', 'Hùng Vương', 'Bà Triệu', 'Nguyễn Thị Minh Khai',
  'Võ Thị Sáu', 'Trần Phú', 'Lê Thánh Tông', 'Ngô Quyền', 'Lý Tự Trọng', 'Phan Chu Trinh', 'Phan Bội Châu',
  'Nguyễn Du', 'Hoàng Diệu', 'Lê Hồng Phong', 'Nguyễn Văn Cừ', 'Tôn Đức Thắng', 'Cách Mạng Tháng Tám',
  '30 Tháng 4', 'Nguyễn Đình Chiểu', 'Yết Kiêu', 'Đinh Tiên Hoàng', 'Lạc Long Quân', 'Âu Cơ', 'Nguyễn Chí Thanh',
  'Trường Chinh', 'Phạm Ngũ Lão', 'Chu Văn An', 'Huỳnh Thúc Kháng', 'Nguyễn Khuyến', 'Thủ Khoa Huân', 'Ỷ Lan',
];

/** Names that wards and communes carry in many provinces (auspicious compounds, heroes). */
export const WARDS: readonly string[] = [
  'Quang Trung', 'Trần Phú', 'Lê Lợi', 'Hòa Bình', 'Tân An', 'An Phú', 'Phú Hòa', 'Bình An', 'Minh Khai',
  'Hưng Phú', 'Thắng Lợi', 'Đông Hòa', 'Tân Lập', 'Hợp Thành', 'Phú Thịnh', 'Yên Thịnh', 'Hòa Thuận',
  'Tân Thành', 'Phước Hải', 'Trung Hòa', 'Nghĩa Tân', 'Đồng Tâm', 'Tân Tiến', 'Hưng Lợi', 'An Khánh',
  'Vĩnh Phúc', 'Thanh Bình', 'Xuân Hòa', 'Kim Tân', 'Phú Lợi',
];

export const COMMUNES: readonly string[] = [
  'Tân Phú', 'Hòa Bình', 'Đông Phong', 'Yên Lạc', 'Xuân Lâm', 'Nghĩa Hưng', 'Phú Mỹ', 'An Thạnh', 'Tân Hiệp',
  'Quảng Tiến', 'Thanh Long', 'Bình Minh', 'Hợp Tiến', 'Trung Sơn', 'Phú Xuân', 'Hải Thanh', 'Đại Đồng',
  'Tiên Phong', 'Vĩnh Hòa', 'Long Hưng', 'Mỹ Lộc', 'Đức Hòa', 'Thạch Bàn', 'Hưng Đạo', 'Kim Liên',
  'Cẩm Bình', 'Nam Sơn', 'Lạc Hồng', 'Tân Long', 'Ea Tiêu',
];

/**
 * Hamlets by region: thôn/xóm in the lowlands of the north and centre, bản in the northern uplands,
 * buôn/làng in the Central Highlands, ấp in the south — each with names in the local style.
 */
export const HAMLETS: Readonly<Record<Region, { readonly words: readonly string[]; readonly names: readonly string[] }>> = {
  'red-river': { words: ['Thôn', 'Xóm'], names: ['Đông', 'Tây', 'Nam', 'Bắc', 'Trung', 'Thượng', 'Hạ', 'Đoài', 'Tân Lập', 'Yên Thái', 'Phú Mỹ'] },
  'northern-uplands': { words: ['Thôn', 'Bản'], names: ['Nà Lừa', 'Khuổi Nặm', 'Cốc Phường', 'Nà Pồng', 'Lũng Hoà', 'Nậm Cang', 'Tà Phìn', 'Mới', 'Trung Tâm'] },
  central: { words: ['Thôn', 'Xóm'], names: ['Đông', 'Tây', 'Trung', 'Phú Lộc', 'An Lạc', 'Xuân Hòa', 'Mỹ Thủy', 'Vĩnh An', 'Phước Thiện'] },
  highlands: { words: ['Thôn', 'Buôn', 'Làng'], names: ['Ko Sier', 'Plei Ơi', 'Kon Klor', 'Ea Nao', 'Tơ Nung', 'Đăk Rơ Wa', 'Tân Lập', 'Kim Phát'] },
  'mekong-southeast': { words: ['Ấp'], names: ['Tân Hòa', 'Bình Thạnh', 'Phú Lợi', 'Long Thới', 'Mỹ Hòa', 'An Bình', 'Thạnh Phú', 'Hòa Long', 'Kinh Xáng', 'Chợ'] },
};

export const APARTMENT_BLOCKS: readonly string[] = [
  'Chung cư Sông Hồng', 'Khu đô thị Phú Mỹ', 'Chung cư An Khang', 'Tòa nhà Hoa Sen', 'Chung cư Hòa Bình',
  'Khu đô thị Thành Công', 'Chung cư Bình Minh', 'Tòa nhà Sao Mai',
];

/**
 * Countries where births of Vietnamese citizens are registered abroad (the main Vietnamese
 * communities and labour destinations), in their official Vietnamese names. The codes only have
 * to lie in BORN_ABROAD_RANGE: the checked-in reference data holds the range, not the circular's
 * country list (only 107 = United Kingdom is noted there), so the other codes are illustrative.
 */
export const BIRTH_COUNTRIES: readonly { readonly code: number; readonly name: string; readonly weight: number }[] = [
  { code: 107, name: 'Vương quốc Liên hiệp Anh và Bắc Ai-len', weight: 4 },
  { code: 115, name: 'Cộng hòa Liên bang Đức', weight: 8 },
  { code: 118, name: 'Cộng hòa Pháp', weight: 6 },
  { code: 123, name: 'Liên bang Nga', weight: 6 },
  { code: 125, name: 'Cộng hòa Séc', weight: 5 },
  { code: 128, name: 'Cộng hòa Ba Lan', weight: 4 },
  { code: 130, name: 'Hung-ga-ri', weight: 1 },
  { code: 201, name: 'Nhật Bản', weight: 14 },
  { code: 202, name: 'Đại Hàn Dân Quốc', weight: 13 },
  { code: 203, name: 'Đài Loan (Trung Quốc)', weight: 10 },
  { code: 205, name: 'Cộng hòa Dân chủ Nhân dân Lào', weight: 4 },
  { code: 206, name: 'Vương quốc Campuchia', weight: 4 },
  { code: 208, name: 'Vương quốc Thái Lan', weight: 2 },
  { code: 210, name: 'Cộng hòa Xinh-ga-po', weight: 2 },
  { code: 211, name: 'Ma-lai-xi-a', weight: 2 },
  { code: 250, name: 'Hợp chúng quốc Hoa Kỳ', weight: 10 },
  { code: 251, name: 'Ca-na-đa', weight: 3 },
  { code: 270, name: 'Ô-xtrây-li-a', weight: 5 },
  { code: 285, name: 'Cộng hòa Ăng-gô-la', weight: 1 },
];

/**
 * First two digits of the 9-digit identity card (CMND, 1976–2016) by the province that issued it,
 * as commonly published (several provinces shared a prefix). Unconfirmed, and only flavour: the
 * record's previousIdNumber is checked for 9 or 12 digits, nothing more.
 */
export const CMND_PREFIX: Readonly<Record<string, string>> = {
  '001': '01', '079': '02', '031': '03', '011': '04', '012': '04', '014': '05', '010': '06', '015': '06',
  '002': '07', '008': '07', '020': '08', '004': '08', '019': '09', '006': '09', '022': '10', '024': '12',
  '027': '12', '025': '13', '026': '13', '030': '14', '033': '14', '034': '15', '036': '16', '035': '16',
  '037': '16', '038': '17', '040': '18', '042': '18', '044': '19', '045': '19', '046': '19', '048': '20',
  '049': '20', '051': '21', '052': '21', '056': '22', '054': '22', '064': '23', '062': '23', '066': '24',
  '067': '24', '068': '25', '058': '26', '060': '26', '075': '27', '077': '27', '074': '28', '070': '28',
  '072': '29', '080': '30', '082': '31', '083': '32', '086': '33', '084': '33', '087': '34', '089': '35',
  '092': '36', '093': '36', '094': '36', '091': '37', '096': '38', '095': '38', '017': '11',
};

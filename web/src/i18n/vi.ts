/**
 * The Vietnamese message catalogue: every string the screens show. Vietnamese is the default
 * language; en.ts must hold the same keys (tsc checks it, and a browser test fails on any key shown
 * untranslated). `{name}` marks a value filled in by t(). Each screen keeps its keys in its own block.
 */
export const vi = {
  // shell
  'app.name': 'cardline',
  'app.tagline': 'Điều khiển dây chuyền cá nhân hóa thẻ căn cước',
  'app.skipToContent': 'Chuyển đến nội dung chính',
  'nav.label': 'Màn hình',
  'nav.operator': 'Vận hành',
  'nav.qa': 'Kiểm tra chất lượng',
  'nav.manager': 'Quản lý',
  'nav.engineer': 'Kỹ thuật',
  'nav.audit': 'Nhật ký kiểm toán',
  'nav.users': 'Người dùng',
  'lang.label': 'Ngôn ngữ',
  'lang.vi': 'Tiếng Việt',
  'lang.en': 'English',
  'user.signedInAs': 'Đăng nhập: {name} ({role})',
  'user.logout': 'Đăng xuất',
  'user.idleLogout': 'Tự đăng xuất sau {minutes} phút không thao tác',
  'role.operator': 'vận hành',
  'role.qa': 'kiểm tra chất lượng',
  'role.engineer': 'kỹ sư',
  'role.manager': 'quản lý',
  'role.admin': 'quản trị',
  'live.connected': 'Trực tiếp',
  'live.disconnected': 'Mất kết nối, đang kết nối lại…',
  'common.loading': 'Đang tải…',
  'common.error': 'Lỗi: {detail}',
  'common.confirm': 'Xác nhận',
  'common.cancel': 'Hủy',
  'common.close': 'Đóng',
  'common.none': 'Không có',
  'common.save': 'Lưu',
  'common.refresh': 'Tải lại',
  'screen.notAllowed': 'Vai trò của bạn không được xem màn hình này.',
  'screen.notFound': 'Không có màn hình này.',
  // login
  'login.title': 'Đăng nhập',
  'login.user': 'Tên đăng nhập',
  'login.password': 'Mật khẩu',
  'login.submit': 'Đăng nhập',
  'login.failed': 'Đăng nhập không thành công: sai tên, sai mật khẩu hoặc tài khoản bị khóa.',
  'login.throttled': 'Quá nhiều lần thử. Thử lại sau {seconds} giây.',
  'login.mustChange': 'Mật khẩu một lần: hãy đặt mật khẩu mới trước khi đăng nhập.',
  'login.newPassword': 'Mật khẩu mới',
  'login.repeatPassword': 'Nhập lại mật khẩu mới',
  'login.mismatch': 'Hai mật khẩu mới không giống nhau.',
  'login.change': 'Đổi mật khẩu và đăng nhập',
  'login.loggedOutIdle': 'Bạn đã được đăng xuất vì không thao tác.',
  // operator
  // qa
  // manager
  // engineer
  // audit
  // users
} as const;

export type MessageKey = keyof typeof vi;

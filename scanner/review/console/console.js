// lscan review console: the browser side of `lscan serve` (docs/console.md).
//
// Rules this file keeps, because seller text is hostile:
//  - every string reaches the page through textContent, createTextNode or
//    setAttribute on an attribute from SAFE_ATTRS; there is no innerHTML,
//    insertAdjacentHTML, document.write, eval or string-built HTML;
//  - the only href set from data is the listing link, and only when it parses
//    as an absolute http(s) URL; the page never loads seller URLs or images;
//  - control and direction-override characters in data are shown as visible
//    markers (visible()), so U+202E or ESC[31m cannot disguise text.
'use strict';

(function () {
  // ---------------------------------------------------------------- strings

  const STR = {
    'app.title': ['lscan — Bàn xét duyệt vụ việc', 'lscan — Case review console'],
    'app.sub': ['Bàn xét duyệt', 'Review console'],
    'app.loading': ['Đang tải…', 'Loading…'],
    'nav.label': ['Điều hướng', 'Navigation'],
    'nav.skip': ['Bỏ qua đến nội dung', 'Skip to content'],
    'nav.queue': ['Hàng đợi', 'Queue'],
    'nav.queue.police': ['Vụ việc chuyển đến', 'Transferred cases'],
    'nav.dashboard': ['Tổng quan', 'Dashboard'],
    'nav.logout': ['Đăng xuất', 'Log out'],
    'lang.switch': ['English', 'Tiếng Việt'],
    'lang.switch.aria': ['Switch to English', 'Chuyển sang tiếng Việt'],
    'search.label': ['Tìm vụ việc', 'Search cases'],
    'search.placeholder': ['Tìm theo tiêu đề, người bán, mã tin…', 'Search title, seller, listing id…'],
    'search.button': ['Tìm', 'Search'],
    'search.title': ['Kết quả tìm kiếm cho “{q}”', 'Search results for “{q}”'],
    'search.empty': ['Không tìm thấy vụ nào.', 'No case found.'],
    'search.prompt': ['Nhập từ khoá vào ô tìm kiếm.', 'Type words in the search box.'],

    'role.reviewer': ['cán bộ xét duyệt', 'reviewer'],
    'role.lead': ['trưởng nhóm', 'lead'],
    'role.police': ['liên lạc công an', 'police liaison'],
    'role.admin': ['quản trị', 'admin'],

    'login.title': ['Đăng nhập', 'Log in'],
    'login.intro': ['Dành cho cán bộ quản lý thị trường được cấp tài khoản.', 'For market-surveillance staff with an account.'],
    'login.user': ['Tên đăng nhập', 'User name'],
    'login.pass': ['Mật khẩu', 'Password'],
    'login.submit': ['Đăng nhập', 'Log in'],
    'login.wrong': ['Sai tên đăng nhập hoặc mật khẩu.', 'Wrong user name or password.'],
    'login.locked': ['Quá nhiều lần thử. Hãy chờ {n} giây rồi thử lại.', 'Too many attempts. Wait {n} s and try again.'],
    'login.locked.done': ['Có thể thử đăng nhập lại.', 'You may try to log in again.'],
    'login.expired': ['Phiên làm việc đã hết hạn, hãy đăng nhập lại.', 'Your session has ended; please log in again.'],

    'err.network': ['Không kết nối được máy chủ.', 'Cannot reach the server.'],
    'err.400': ['Dữ liệu không hợp lệ.', 'Bad input.'],
    'err.403': ['Không có quyền thực hiện việc này.', 'Not allowed for your role.'],
    'err.404': ['Không có vụ việc này.', 'No such case.'],
    'err.409': ['Không thể chuyển trạng thái này, hoặc vụ đang do người khác nhận.', 'This transition is not allowed, or someone else holds the case.'],
    'err.429': ['Quá nhiều yêu cầu, hãy chờ.', 'Too many requests; wait.'],
    'err.robots_disallowed': ['Không kiểm tra lại: robots.txt của trang không cho phép.', 'Not re-checked: the site\'s robots.txt disallows it.'],
    'err.other': ['Lỗi máy chủ ({n}).', 'Server error ({n}).'],
    'err.forbidden.view': ['Vai trò của bạn không xem được trang này.', 'Your role cannot see this page.'],

    'state.received': ['Mới tiếp nhận', 'Received'],
    'state.classified': ['Đã phân loại', 'Classified'],
    'state.verified': ['Đã xác minh', 'Verified'],
    'state.needs_info': ['Cần thêm thông tin', 'Needs information'],
    'state.dismissed': ['Đã loại bỏ', 'Dismissed'],
    'state.handled': ['Đã xử lý', 'Handled'],
    'state.transferred': ['Đã chuyển giao', 'Transferred'],
    'state.claimed': ['Đang có người nhận', 'Claimed'],

    'sev.low': ['Thấp', 'Low'],
    'sev.medium': ['Trung bình', 'Medium'],
    'sev.high': ['Cao', 'High'],
    'sev.critical': ['Nghiêm trọng', 'Critical'],

    'kind.trademark': ['Nhãn hiệu', 'Trademark'],
    'kind.gi': ['Chỉ dẫn địa lý', 'Geographical indication'],
    'kind.collective_mark': ['Nhãn hiệu tập thể', 'Collective mark'],
    'kind.certification_mark': ['Nhãn hiệu chứng nhận', 'Certification mark'],
    'kind.ocop': ['Sao OCOP', 'OCOP stars'],
    'kind.plant_variety': ['Giống cây trồng', 'Plant variety'],
    'kind.copyright': ['Quyền tác giả', 'Copyright'],

    'act.classify': ['Phân loại', 'Classify'],
    'act.verify': ['Xác minh', 'Verify'],
    'act.dismiss': ['Loại bỏ', 'Dismiss'],
    'act.need_info': ['Cần thông tin', 'Needs information'],
    'act.needs_info': ['Cần thông tin', 'Needs information'],
    'act.reclassify': ['Phân loại lại', 'Reclassify'],
    'act.handle': ['Xử lý', 'Handle'],
    'act.transfer': ['Chuyển giao', 'Transfer'],
    'act.release': ['Trả lại', 'Release'],
    'act.next': ['Vụ tiếp theo', 'Next case'],
    'act.claim': ['Nhận vụ', 'Claim'],
    'act.reassign': ['Giao lại', 'Reassign'],
    'act.intake': ['Tiếp nhận', 'Intake'],
    'act.done': ['Đã ghi: {a}', 'Recorded: {a}'],
    'act.released': ['Đã trả vụ {id} về hàng đợi.', 'Case {id} went back to the queue.'],
    'act.still_held': ['Bạn vẫn đang giữ vụ này: hãy quyết định hoặc trả lại (R) trước khi lấy vụ khác.', 'You still hold this case: decide or release it (R) before taking another.'],

    'queue.title': ['Hàng đợi vụ việc', 'Case queue'],
    'queue.title.police': ['Vụ việc chuyển đến đơn vị', 'Cases transferred to your unit'],
    'queue.counts': ['Số vụ theo trạng thái', 'Cases by state'],
    'queue.next': ['Vụ tiếp theo', 'Next case'],
    'queue.empty': ['Hàng đợi trống: không còn vụ nào khớp bộ lọc.', 'The queue is empty: no case left for these filters.'],
    'queue.list': ['Danh sách vụ việc', 'Cases'],
    'queue.none': ['Không có vụ nào khớp bộ lọc.', 'No case matches the filters.'],
    'queue.range': ['{a}–{b} trên {n}', '{a}–{b} of {n}'],
    'queue.prev': ['← Trước', '← Previous'],
    'queue.nextpage': ['Sau →', 'Next →'],
    'queue.all': ['tất cả', 'all'],

    'filter.title': ['Bộ lọc', 'Filters'],
    'filter.state': ['Trạng thái', 'State'],
    'filter.kind': ['Loại quyền', 'Kind of right'],
    'filter.goods_group': ['Nhóm hàng', 'Goods group'],
    'filter.platform': ['Sàn', 'Platform'],
    'filter.province': ['Tỉnh/thành', 'Province'],
    'filter.campaign': ['Chiến dịch', 'Campaign'],
    'filter.severity': ['Mức độ', 'Severity'],
    'filter.age': ['Chờ ít nhất (giờ)', 'Waiting at least (hours)'],
    'filter.any': ['— tất cả —', '— any —'],
    'filter.apply': ['Lọc', 'Apply'],
    'filter.clear': ['Xoá lọc', 'Clear'],

    'col.case': ['Mã vụ', 'Case'],
    'col.state': ['Trạng thái', 'State'],
    'col.severity': ['Mức độ', 'Severity'],
    'col.kind': ['Loại quyền', 'Kind'],
    'col.platform': ['Sàn', 'Platform'],
    'col.title': ['Tiêu đề', 'Title'],
    'col.price': ['Giá', 'Price'],
    'col.seller': ['Người bán', 'Seller'],
    'col.province': ['Tỉnh/thành', 'Province'],
    'col.last_seen': ['Thấy lần cuối', 'Last seen'],
    'col.sightings': ['Số lần thấy', 'Sightings'],
    'col.claimed_by': ['Người nhận', 'Claimed by'],

    'case.title': ['Vụ {id}', 'Case {id}'],
    'case.back': ['← Hàng đợi', '← Queue'],
    'case.decisions': ['Quyết định', 'Decisions'],
    'case.claimed.other': ['Vụ này đang do {name} nhận.', 'This case is held by {name}.'],
    'case.claimed.me': ['Bạn đang nhận vụ này.', 'You hold this case.'],
    'case.listing': ['Tin đăng', 'Listing'],
    'case.description': ['Mô tả', 'Description'],
    'case.nodesc': ['(không có mô tả)', '(no description)'],
    'case.explain': ['Lý do bị gắn cờ', 'Why it was flagged'],
    'case.rules': ['Luật đã khớp', 'Rules that fired'],
    'case.signals': ['Dấu hiệu', 'Signals'],
    'case.price': ['Giá và giá tham chiếu', 'Price and reference price'],
    'case.price.listing': ['Giá rao bán', 'Listed price'],
    'case.price.reference': ['Giá tham chiếu', 'Reference price'],
    'case.price.ratio': ['Tỉ lệ', 'Ratio'],
    'case.price.ratio.v': ['{r} lần giá tham chiếu ({p})', '{r} × the reference ({p})'],
    'case.seller': ['Người bán', 'Seller'],
    'case.seller.name': ['Tên', 'Name'],
    'case.seller.id': ['Mã người bán', 'Seller id'],
    'case.seller.location': ['Địa điểm', 'Location'],
    'case.seller.official': ['Gian hàng chính hãng', 'Official store'],
    'case.seller.notofficial': ['Không phải gian hàng chính hãng', 'Not an official store'],
    'case.seller.other': ['Vụ khác của người bán', 'Other cases of this seller'],
    'case.seller.page': ['Trang người bán →', 'Seller page →'],
    'case.platform': ['Sàn', 'Platform'],
    'case.listing_id': ['Mã tin đăng', 'Listing id'],
    'case.url': ['Địa chỉ tin đăng', 'Listing address'],
    'case.open': ['Mở tin đăng trong thẻ mới ↗', 'Open the listing in a new tab ↗'],
    'case.open.none': ['(địa chỉ không phải http/https, không mở)', '(not an http/https address; not opened)'],
    'case.kind': ['Loại quyền', 'Kind of right'],
    'case.goods_group': ['Nhóm hàng', 'Goods group'],
    'case.province': ['Tỉnh/thành', 'Province'],
    'case.location_raw': ['Địa điểm gốc', 'Location as written'],
    'case.first_seen': ['Thấy lần đầu', 'First seen'],
    'case.last_seen': ['Thấy lần cuối', 'Last seen'],
    'case.due': ['Hạn bổ sung thông tin', 'Information due'],
    'case.claimed_by': ['Người nhận', 'Claimed by'],
    'case.sightings': ['Các lần phát hiện', 'Sightings'],
    'case.history': ['Lịch sử quyết định', 'Decision history'],
    'case.history.none': ['Chưa có quyết định nào.', 'No decision yet.'],
    'case.details': ['Thông tin vụ', 'Case details'],
    'sight.seen_at': ['Thời điểm', 'Seen at'],
    'sight.scan': ['Lượt quét', 'Scan'],
    'sight.price': ['Giá', 'Price'],
    'sight.evidence': ['Bằng chứng', 'Evidence'],
    'ev.fetched_at': ['Thu thập lúc', 'Captured'],
    'ev.http_status': ['Mã HTTP', 'HTTP status'],
    'ev.sha256': ['SHA-256', 'SHA-256'],
    'ev.url': ['URL', 'URL'],
    'ev.warc': ['Bản lưu trữ (WARC)', 'Archived copy (WARC)'],
    'ev.record': ['Mã bản ghi', 'Record id'],
    'ev.ip': ['IP máy chủ', 'Server IP'],
    'ev.recheck': ['Kiểm tra lại', 'Re-check'],
    'rc.unchanged': ['Vẫn còn, không đổi', 'Online, unchanged'],
    'rc.changed': ['Vẫn còn, đã thay đổi', 'Online, changed'],
    'rc.removed': ['Đã gỡ', 'Removed'],
    'rc.unreadable': ['Vẫn còn, không đọc được', 'Online, unreadable'],
    'case.package': ['Tải gói chứng cứ (.wacz)', 'Download evidence package (.wacz)'],
    'case.recheck': ['Kiểm tra lại tin đăng', 'Re-check the listing'],
    'case.rechecked': ['Đã kiểm tra lại: {o}', 'Re-checked: {o}'],
    'ev.none': ['(chưa có bằng chứng)', '(no evidence)'],
    'hist.seq': ['#', '#'],
    'hist.at': ['Thời điểm', 'When'],
    'hist.actor': ['Người thực hiện', 'Actor'],
    'hist.action': ['Hành động', 'Action'],
    'hist.states': ['Trạng thái', 'States'],
    'hist.reason': ['Lý do', 'Reason'],
    'hist.note': ['Ghi chú', 'Note'],
    'hist.transfer': ['Chuyển giao', 'Transfer'],
    'hist.due': ['hạn {d}', 'due {d}'],
    'rule.id': ['Mã luật', 'Rule'],
    'rule.name': ['Tên', 'Name'],
    'rule.score': ['Điểm', 'Score'],
    'yes': ['có', 'yes'],
    'no': ['không', 'no'],
    'unknown': ['không rõ', 'unknown'],

    'dlg.cancel': ['Huỷ (Esc)', 'Cancel (Esc)'],
    'dlg.submit': ['Ghi quyết định (Enter)', 'Record (Enter)'],
    'dlg.case': ['Vụ {id}: {title}', 'Case {id}: {title}'],
    'dlg.kind': ['Loại quyền', 'Kind of right'],
    'dlg.goods_group': ['Nhóm hàng', 'Goods group'],
    'dlg.reason': ['Lý do', 'Reason'],
    'dlg.reason.verify': ['Lý do xác minh (bắt buộc)', 'Reason for verifying (required)'],
    'dlg.classify.hint': ['Xác nhận hoặc sửa loại quyền và nhóm hàng.', 'Confirm or correct the kind of right and the goods group.'],
    'dlg.reason.dismiss': ['Lý do loại bỏ', 'Reason for dismissing'],
    'dlg.note': ['Ghi chú', 'Note'],
    'dlg.note.required': ['Ghi chú (bắt buộc)', 'Note (required)'],
    'dlg.due': ['Hạn bổ sung', 'Due date'],
    'dlg.measure': ['Biện pháp', 'Measure'],
    'dlg.unit': ['Đơn vị tiếp nhận (bắt buộc)', 'Receiving unit (required)'],
    'dlg.reference': ['Số văn bản / số hiệu (bắt buộc)', 'Reference number (required)'],
    'dlg.choose': ['— chọn —', '— choose —'],
    'dlg.working': ['Đang ghi…', 'Recording…'],

    'seller.title': ['Người bán', 'Seller'],
    'seller.cases': ['Các vụ của người bán', 'Cases of this seller'],

    'dash.title': ['Tổng quan', 'Dashboard'],
    'dash.reports': ['Báo cáo', 'Reports'],
    'dash.report.daily': ['Báo cáo nhanh ngày {p}', 'Daily quick report {p}'],
    'dash.report.monthly': ['Báo cáo tháng {p}', 'Monthly report {p}'],
    'dash.report.range': ['Báo cáo kỳ đang xem {p}', 'Report of the period shown {p}'],
    'dash.days': ['Khoảng thời gian', 'Period'],
    'dash.days.n': ['{n} ngày', '{n} days'],
    'dash.perday': ['Vụ việc theo ngày', 'Cases per day'],
    'dash.received': ['Phát hiện', 'Received'],
    'dash.closed': ['Kết thúc', 'Closed'],
    'dash.open': ['Đang mở', 'Open'],
    'dash.stages': ['Vụ việc theo giai đoạn (lần đầu trong kỳ)', 'Cases by stage (first reached in the period)'],
    'dash.backlog': ['Vụ việc đang mở theo tuổi', 'Open cases by age'],
    'dash.backlog.24h': ['dưới 24 giờ', 'under 24 h'],
    'dash.backlog.7d': ['1–7 ngày', '1–7 days'],
    'dash.backlog.old': ['trên 7 ngày', 'over 7 days'],
    'dash.share': ['Tỷ lệ vụ phát hiện đã được phân loại', 'Share of received cases classified'],
    'dash.share.none': ['Chưa có số liệu', 'No data yet'],
    'dash.share.closed': ['Đã kết thúc: {p}', 'Closed: {p}'],
    'dash.kinds': ['Theo lĩnh vực', 'By field'],
    'dash.sellers': ['{n} người bán, {r} vi phạm lặp lại', '{n} sellers, {r} repeat offenders'],
    'dash.serious': ['Vụ việc nghiêm trọng ({n})', 'Serious cases ({n})'],
    'dash.serious.more': ['… và {n} vụ khác trong báo cáo', '… and {n} more in the report'],
    'dash.chain': ['Chuỗi quyết định: {n} quyết định, mã cuối {h}', 'Decision chain: {n} decisions, head {h}'],
    'dash.same': ['Cùng số liệu với báo cáo (lscan report range {p}), tính lúc {t}.', 'The same figures as the report (lscan report range {p}), as of {t}.'],
    'dash.platforms': ['Sàn nhiều nhất', 'Top platforms'],
    'dash.provinces': ['Tỉnh/thành nhiều nhất', 'Top provinces'],
    'dash.peak': ['Đợt cao điểm so với cùng kỳ năm trước', 'Peak campaign against the same period last year'],
    'dash.peak.period': ['Từ {a} đến {b}', 'From {a} to {b}'],
    'dash.peak.this': ['Năm nay', 'This year'],
    'dash.peak.last': ['Năm trước', 'Last year'],
    'dash.peak.change': ['Thay đổi: {p}', 'Change: {p}'],
    'dash.peak.met': ['Đạt mục tiêu', 'Target met'],
    'dash.peak.notmet': ['Chưa đạt mục tiêu', 'Target not met'],
    'dash.peak.nolast': ['Không có số liệu năm trước', 'No figures for last year'],
    'dash.nodata': ['Chưa có số liệu.', 'No data yet.'],
    'dash.chart.perday': ['Biểu đồ cột: số vụ phát hiện mỗi ngày; đường: số vụ kết thúc', 'Bar chart: cases received per day; line: cases closed'],
  };

  // ------------------------------------------------------------------ state

  const VN_OFFSET_MS = 7 * 3600 * 1000;
  const PAGE_SIZE = 50;
  const STATES = ['received', 'classified', 'verified', 'needs_info', 'dismissed', 'handled', 'transferred'];
  const SEVERITIES = ['low', 'medium', 'high', 'critical'];
  const FILTER_KEYS = ['state', 'kind', 'goods_group', 'platform', 'province', 'campaign', 'severity', 'min_age_hours'];

  const state = {
    lang: 'vi',
    user: null,
    csrf: null,           // kept in memory only
    meta: null,
    filters: {},
    queueOffset: 0,
    current: null,        // the CASE on screen, as last returned by the server
    afterLogin: null,
    renderSeq: 0,
    timers: [],
  };

  const enc = new TextEncoder();
  const dec = new TextDecoder('utf-8');

  function t(key, vars) {
    const e = STR[key];
    let s = e ? e[state.lang === 'en' ? 1 : 0] : key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  }

  // Control characters, bidi overrides/isolates and invisible format
  // characters become visible markers: ESC is shown as "␛", U+202E as
  // "[U+202E]". Tab, LF and CR stay (descriptions keep their lines).
  const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
  function visible(s) {
    return String(s).replace(INVISIBLE, (c) => {
      const cp = c.codePointAt(0);
      if (cp < 0x20) return String.fromCodePoint(0x2400 + cp);
      if (cp === 0x7f) return '\u2421';
      return '[U+' + cp.toString(16).toUpperCase().padStart(4, '0') + ']';
    });
  }

  // ------------------------------------------------------------ DOM helpers

  const SAFE_ATTRS = new Set([
    'id', 'type', 'name', 'value', 'for', 'title', 'role', 'tabindex', 'lang', 'dir',
    'colspan', 'rowspan', 'scope', 'placeholder', 'required', 'min', 'max', 'step',
    'autocomplete', 'hidden', 'disabled', 'selected', 'checked', 'rel', 'target',
    'datetime', 'maxlength', 'inputmode', 'spellcheck', 'rows', 'size', 'headers',
  ]);

  function append(el, kids) {
    for (const k of kids) {
      if (k === null || k === undefined || k === false) continue;
      if (Array.isArray(k)) append(el, k);
      else if (k instanceof Node) el.appendChild(k);
      else el.appendChild(document.createTextNode(visible(k)));
    }
    return el;
  }

  // Internal links only: "#/..." with every part URI-encoded by route().
  function setInternalHref(el, href) {
    if (typeof href !== 'string' || !href.startsWith('#/')) throw new Error('internal links only');
    el.setAttribute('href', href);
  }

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'text') el.textContent = visible(v);
        else if (k === 'class') el.className = v;
        else if (k === 'href') setInternalHref(el, v);
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (SAFE_ATTRS.has(k) || k.startsWith('aria-') || k.startsWith('data-')) {
          el.setAttribute(k, v === true ? '' : visible(v));
        } else throw new Error('attribute not allowed: ' + k);
      }
    }
    return append(el, kids);
  }

  const SVGNS = 'http://www.w3.org/2000/svg';
  const SVG_ATTRS = new Set([
    'viewBox', 'width', 'height', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r',
    'd', 'points', 'class', 'role', 'text-anchor', 'dominant-baseline', 'transform',
    'preserveAspectRatio', 'focusable', 'rx', 'stroke-dasharray',
  ]);
  function s(tag, props, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null) continue;
        if (k === 'text') el.textContent = visible(v);
        else if (SVG_ATTRS.has(k) || k.startsWith('aria-') || k.startsWith('data-')) el.setAttribute(k, String(v));
        else throw new Error('svg attribute not allowed: ' + k);
      }
    }
    return append(el, kids);
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

  // An absolute http(s) URL, or null. Never relative, never javascript:/data:.
  function safeHttpUrl(raw) {
    if (typeof raw !== 'string' || raw.length > 4096) return null;
    let u;
    try { u = new URL(raw); } catch (e) { return null; }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.username || u.password) return null;
    return u.href;
  }

  function externalLink(raw, label, id) {
    const a = h('a', { id, rel: 'noopener noreferrer', target: '_blank', class: 'external' }, label);
    const href = safeHttpUrl(raw);
    if (href) a.setAttribute('href', href);
    else a.setAttribute('aria-disabled', 'true');
    a.setAttribute('referrerpolicy', 'no-referrer');
    return a;
  }

  // The case's evidence package: our own endpoint, the id encoded; set
  // after h() since href is not among the attributes h() copies.
  function packageLink(caseId) {
    const a = h('a', { id: 'package-link', class: 'package' }, t('case.package'));
    a.setAttribute('href', '/api/cases/' + encodeURIComponent(String(caseId)) + '/package');
    a.setAttribute('download', 'lscan-' + String(caseId).replace(/[^0-9a-zA-Z_-]/g, '') + '.wacz');
    return a;
  }

  // Fetch the listing again now (POST /api/cases/{id}/recheck): the answer
  // is archived and becomes a sighting with its outcome.
  function recheckButton(c) {
    const b = h('button', { type: 'button', id: 'recheck', class: 'secondary' }, t('case.recheck'));
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        const r = await api('POST', '/api/cases/' + encodeURIComponent(c.case_id) + '/recheck', {});
        const outcome = r.data && r.data.outcome ? String(r.data.outcome) : '';
        toast(t('case.rechecked', { o: t('rc.' + outcome) !== 'rc.' + outcome ? t('rc.' + outcome) : outcome }));
        if (r.data && r.data.case) {
          state.current = r.data.case;
          setView($('main'), caseView(r.data.case), $('case-title'));
        }
      } catch (e) {
        if (e.status !== 401) toast(errText(e), 'error');
      } finally {
        b.disabled = false;
      }
    });
    return b;
  }

  function route(...parts) {
    return '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
  }

  // -------------------------------------------------------------- formatting

  function pad2(n) { return String(n).padStart(2, '0'); }

  function vnDate(iso) {
    if (!iso) return null;
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return null;
    return new Date(ms + VN_OFFSET_MS); // read with getUTC*
  }
  // dd/mm/yyyy HH:MM in Vietnam time.
  function fmtTime(iso) {
    const d = vnDate(iso);
    if (!d) return iso ? String(iso) : '—';
    return pad2(d.getUTCDate()) + '/' + pad2(d.getUTCMonth() + 1) + '/' + d.getUTCFullYear() +
      ' ' + pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes());
  }
  // A calendar date "YYYY-MM-DD" (or a time) as dd/mm/yyyy.
  function fmtDay(v, short) {
    if (!v) return '—';
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(v));
    if (m) return short ? m[3] + '/' + m[2] : m[3] + '/' + m[2] + '/' + m[1];
    const d = vnDate(v);
    if (!d) return String(v);
    const full = pad2(d.getUTCDate()) + '/' + pad2(d.getUTCMonth() + 1) + '/' + d.getUTCFullYear();
    return short ? full.slice(0, 5) : full;
  }
  function timeEl(iso) {
    const e = h('time', {}, fmtTime(iso));
    if (iso && !Number.isNaN(Date.parse(iso))) e.setAttribute('datetime', new Date(Date.parse(iso)).toISOString());
    return e;
  }
  function locale() { return state.lang === 'en' ? 'en-GB' : 'vi-VN'; }
  function fmtNum(n, digits) {
    if (n === null || n === undefined || n === '' || Number.isNaN(Number(n))) return '—';
    return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits ?? 0 }).format(Number(n));
  }
  function fmtMoney(n, cur) {
    if (n === null || n === undefined || n === '') return '—';
    const c = (typeof cur === 'string' && /^[A-Z]{3}$/.test(cur)) ? cur : 'VND';
    try {
      return new Intl.NumberFormat(locale(), { style: 'currency', currency: c, maximumFractionDigits: c === 'VND' ? 0 : 2 }).format(Number(n));
    } catch (e) { return fmtNum(n) + ' ' + c; }
  }
  function fmtPercent(x, digits) {
    if (x === null || x === undefined || Number.isNaN(Number(x))) return '—';
    return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits ?? 0 }).format(Number(x));
  }
  function vnToday() { return new Date(Date.now() + VN_OFFSET_MS).toISOString().slice(0, 10); }

  // Labels for values that the server may give as strings or as
  // {code, vi, en} objects.
  function itemCode(it) {
    if (it === null || it === undefined) return '';
    if (typeof it !== 'object') return String(it);
    return String(it.code ?? it.id ?? it.key ?? it.value ?? it.name ?? '');
  }
  function itemLabel(it) {
    if (it === null || it === undefined) return '';
    if (typeof it !== 'object') return String(it);
    return String((state.lang === 'en' ? it.en : it.vi) ?? it.label ?? it.name ?? it.vi ?? it.en ?? itemCode(it));
  }
  function metaList(name) {
    const l = state.meta && state.meta[name];
    return Array.isArray(l) ? l : [];
  }
  function labelFrom(listName, code, prefix) {
    if (code === null || code === undefined || code === '') return '—';
    for (const it of metaList(listName)) {
      if (itemCode(it) === String(code) && typeof it === 'object') return itemLabel(it);
    }
    if (prefix && STR[prefix + code]) return t(prefix + code);
    return String(code);
  }
  const stateLabel = (c) => labelFrom('states', c, 'state.');
  const kindLabel = (c) => labelFrom('kinds', c, 'kind.');
  const sevLabel = (c) => (c ? (STR['sev.' + c] ? t('sev.' + c) : String(c)) : '—');
  const actionLabel = (c) => labelFrom('actions', c, 'act.');
  const goodsLabel = (c) => labelFrom('goods_groups', c);
  const platformLabel = (c) => labelFrom('platforms', c);
  const provinceLabel = (c) => labelFrom('provinces', c);
  function reasonLabel(c) {
    if (!c) return '—';
    for (const list of ['verify_reasons', 'dismiss_reasons', 'handle_measures']) {
      for (const it of metaList(list)) if (itemCode(it) === String(c) && typeof it === 'object') return itemLabel(it);
    }
    return String(c);
  }

  function stateBadge(st, id) {
    return h('span', { class: 'badge state st-' + cssToken(st), id, 'data-state': st || '' }, stateLabel(st));
  }
  function sevBadge(sev) {
    return h('span', { class: 'badge sev sev-' + cssToken(sev) }, sevLabel(sev));
  }
  function cssToken(v) { return String(v || 'none').replace(/[^a-z0-9_-]/gi, '_'); }

  // ------------------------------------------------------------ highlighting

  // Title or description with the hits of that field in <mark>. Hits are byte
  // offsets into the UTF-8 text; they are snapped outwards to character
  // boundaries, clamped, sorted and merged. Only text nodes and <mark>.
  function highlighted(text, hits, field) {
    const frag = document.createDocumentFragment();
    const str = text === null || text === undefined ? '' : String(text);
    const bytes = enc.encode(str);
    const n = bytes.length;
    const cont = (i) => i < n && (bytes[i] & 0xc0) === 0x80;
    const spans = [];
    for (const hit of Array.isArray(hits) ? hits : []) {
      if (!hit || hit.field !== field) continue;
      let a = Number(hit.start), b = Number(hit.end);
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      a = Math.max(0, Math.min(n, Math.floor(a)));
      b = Math.max(0, Math.min(n, Math.ceil(b)));
      while (a > 0 && cont(a)) a--;
      while (b < n && cont(b)) b++;
      if (b <= a) continue;
      spans.push({ a, b, why: [hit.term, hit.rule].filter(Boolean).map(String) });
    }
    spans.sort((x, y) => x.a - y.a || x.b - y.b);
    const merged = [];
    for (const sp of spans) {
      const last = merged[merged.length - 1];
      if (last && sp.a <= last.b) { last.b = Math.max(last.b, sp.b); last.why.push(...sp.why); } else merged.push(sp);
    }
    let pos = 0;
    for (const sp of merged) {
      if (sp.a > pos) frag.appendChild(document.createTextNode(visible(dec.decode(bytes.subarray(pos, sp.a)))));
      const m = document.createElement('mark');
      m.textContent = visible(dec.decode(bytes.subarray(sp.a, sp.b)));
      m.setAttribute('title', visible([...new Set(sp.why)].join(' · ')));
      frag.appendChild(m);
      pos = sp.b;
    }
    if (pos < n) frag.appendChild(document.createTextNode(visible(dec.decode(bytes.subarray(pos)))));
    return frag;
  }

  // --------------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message || code || ('HTTP ' + status));
      this.status = status; this.code = code; this.retryAfter = retryAfter;
    }
  }

  function qs(obj) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(obj || {})) {
      if (v === undefined || v === null || v === '') continue;
      p.set(k, String(v));
    }
    const q = p.toString();
    return q ? '?' + q : '';
  }

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error', referrerPolicy: 'no-referrer' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      if (state.csrf) headers['X-CSRF-Token'] = state.csrf;
      init.body = JSON.stringify(body || {});
    }
    let res;
    try { res = await fetch(path, init); } catch (e) { throw new ApiError(0, 'network', t('err.network')); }
    let data = null;
    if (res.status !== 204) {
      const txt = await res.text();
      if (txt) { try { data = JSON.parse(txt); } catch (e) { data = null; } }
    }
    if (res.status === 401 && path !== '/api/login') {
      sessionLost();
      throw new ApiError(401, 'unauthorized', t('login.expired'));
    }
    if (!res.ok) {
      const ra = res.headers.get('Retry-After');
      throw new ApiError(res.status, data && data.error, data && data.message, ra);
    }
    return { status: res.status, data };
  }

  function errText(e) {
    if (!(e instanceof ApiError)) return String(e && e.message || e);
    // A code of its own (robots_disallowed) says more than its status.
    const generic = e.code && STR['err.' + e.code] ? t('err.' + e.code)
      : STR['err.' + e.status] ? t('err.' + e.status) : t('err.other', { n: e.status });
    if (e.status === 0) return generic;
    // The server's message is for a person (and is shown as text only).
    return e.message && e.message !== e.code ? generic + ' ' + e.message : generic;
  }

  function sessionLost() {
    const wasIn = !!state.user;
    state.user = null; state.csrf = null;
    updateChrome();
    const raw = location.hash || '#/queue';
    if (!raw.startsWith('#/login')) state.afterLogin = raw;
    state.loginNotice = wasIn ? t('login.expired') : null;
    if (!location.hash.startsWith('#/login')) location.hash = '#/login';
  }

  async function loadMeta() {
    try { state.meta = (await api('GET', '/api/meta')).data || {}; } catch (e) { if (!state.meta) state.meta = {}; }
  }

  // ------------------------------------------------------------------- chrome

  const $ = (id) => document.getElementById(id);

  function role() { return state.user ? String(state.user.role || '') : ''; }
  function canWork() { return ['reviewer', 'lead', 'admin'].includes(role()); }
  function canLead() { return ['lead', 'admin'].includes(role()); }

  function applyStaticStrings() {
    document.documentElement.lang = state.lang;
    document.title = t('app.title');
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.getAttribute('data-i18n'));
    for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.getAttribute('data-i18n-aria')));
    for (const el of document.querySelectorAll('[data-i18n-ph]')) el.setAttribute('placeholder', t(el.getAttribute('data-i18n-ph')));
    const ls = $('lang-switch');
    ls.textContent = t('lang.switch');
    ls.setAttribute('lang', state.lang === 'en' ? 'vi' : 'en');
    ls.setAttribute('aria-label', t('lang.switch.aria'));
  }

  function updateChrome() {
    const inUser = !!state.user;
    $('nav').hidden = !inUser;
    $('search-form').hidden = !inUser || !canWork();
    $('logout').hidden = !inUser;
    $('nav-dashboard').hidden = !canLead();
    $('nav-queue').textContent = role() === 'police' ? t('nav.queue.police') : t('nav.queue');
    const who = clear($('who'));
    if (inUser) {
      append(who, [h('span', { class: 'who-name', id: 'who-name' }, state.user.name || ''), ' · ', t('role.' + role()) !== 'role.' + role() ? t('role.' + role()) : role()]);
      if (state.user.unit) append(who, [' · ', h('span', { class: 'who-unit' }, state.user.unit)]);
    }
    const r = parseRoute();
    for (const a of $('nav').querySelectorAll('a')) {
      const on = (a.id === 'nav-queue' && (r.segs[0] === 'queue')) || (a.id === 'nav-dashboard' && r.segs[0] === 'dashboard');
      if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
  }

  let toastTimer = null;
  function toast(msg, kind) {
    const el = $('toast');
    el.textContent = visible(msg);
    el.className = 'toast' + (kind ? ' ' + kind : '');
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 8000 : 4000);
  }

  // ------------------------------------------------------------------ router

  function parseRoute() {
    const raw = (location.hash || '').replace(/^#/, '');
    const qi = raw.indexOf('?');
    const pathPart = qi >= 0 ? raw.slice(0, qi) : raw;
    const query = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
    const segs = pathPart.split('/').filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch (e) { return p; } });
    return { segs, query, raw };
  }

  function stopTimers() { for (const id of state.timers) clearInterval(id); state.timers = []; }

  async function render() {
    const seq = ++state.renderSeq;
    stopTimers();
    const r = parseRoute();
    if (!state.user && r.segs[0] !== 'login') {
      state.afterLogin = location.hash || '#/queue';
      location.hash = '#/login';
      return;
    }
    updateChrome();
    const main = $('main');
    const view = r.segs[0] || 'queue';
    try {
      if (view === 'login') return renderLogin(main);
      if (view === 'case' && r.segs[1]) return await renderCase(main, r.segs[1], seq);
      if (view === 'seller' && r.segs[1]) return await renderSeller(main, r.segs[1], r.segs.slice(2).join('/'), seq);
      if (view === 'search') return await renderSearch(main, r.query.get('q') || '', Number(r.query.get('offset')) || 0, seq);
      if (view === 'dashboard') return await renderDashboard(main, Number(r.query.get('days')) || 30, seq);
      if (view !== 'queue') { location.hash = '#/queue'; return; }
      return await renderQueue(main, seq);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      if (seq !== state.renderSeq) return;
      clear(main).appendChild(h('p', { class: 'error', role: 'alert', id: 'view-error' }, errText(e)));
    }
  }

  function stale(seq) { return seq !== state.renderSeq; }

  function setView(main, node, focusTarget) {
    clear(main).appendChild(node);
    (focusTarget || main).focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }

  // ------------------------------------------------------------------- login

  function renderLogin(main) {
    if (state.user) { location.hash = state.afterLogin && !state.afterLogin.startsWith('#/login') ? state.afterLogin : '#/queue'; return; }
    const err = h('p', { id: 'login-error', class: 'error', role: 'alert', hidden: !state.loginNotice }, state.loginNotice || '');
    const user = h('input', { id: 'login-user', name: 'username', type: 'text', autocomplete: 'username', required: true, spellcheck: 'false', maxlength: '128' });
    const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: '1024' });
    const submit = h('button', { type: 'submit', id: 'login-submit', class: 'primary' }, t('login.submit'));
    const form = h('form', { id: 'login-form', class: 'login card', 'aria-labelledby': 'login-title' },
      h('h1', { id: 'login-title' }, t('login.title')),
      h('p', { class: 'muted' }, t('login.intro')),
      h('label', { for: 'login-user' }, t('login.user')), user,
      h('label', { for: 'login-pass' }, t('login.pass')), pass,
      submit, err);
    let lockTimer = null;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!form.reportValidity()) return;
      submit.disabled = true;
      err.hidden = true;
      try {
        const { data } = await api('POST', '/api/login', { username: user.value, password: pass.value });
        pass.value = '';
        state.user = data.user; state.csrf = data.csrf; state.loginNotice = null;
        await loadMeta();
        const dest = state.afterLogin && !state.afterLogin.startsWith('#/login') ? state.afterLogin : '#/queue';
        state.afterLogin = null;
        updateChrome();
        if (location.hash === dest) render(); else location.hash = dest;
      } catch (e) {
        pass.value = '';
        err.hidden = false;
        if (e instanceof ApiError && e.status === 429) {
          let left = Math.max(1, parseInt(e.retryAfter, 10) || 60);
          err.textContent = t('login.locked', { n: left });
          err.setAttribute('data-retry-after', String(left));
          if (lockTimer) clearInterval(lockTimer);
          lockTimer = setInterval(() => {
            left -= 1;
            err.textContent = left > 0 ? t('login.locked', { n: left }) : t('login.locked.done');
            if (left <= 0) clearInterval(lockTimer);
          }, 1000);
          state.timers.push(lockTimer);
        } else if (e instanceof ApiError && e.status === 401) {
          err.textContent = t('login.wrong');
        } else {
          err.textContent = errText(e);
        }
        pass.focus();
      } finally {
        submit.disabled = false;
      }
    });
    setView(main, h('section', { class: 'login-wrap', id: 'login-view' }, form), user);
  }

  // ------------------------------------------------------------------- queue

  function filterQuery(withState) {
    const f = {};
    for (const k of FILTER_KEYS) {
      if (k === 'state' && !withState) continue;
      if (state.filters[k] !== undefined && state.filters[k] !== '') f[k] = state.filters[k];
    }
    return f;
  }

  function saveFilters() {
    try { sessionStorage.setItem('lscan.filters', JSON.stringify(state.filters)); } catch (e) { /* private mode */ }
  }

  function selectField(key, label, items, labelFn) {
    const id = 'f-' + key;
    const sel = h('select', { id, name: key },
      h('option', { value: '' }, t('filter.any')),
      items.map((it) => h('option', { value: itemCode(it) }, labelFn ? labelFn(it) : itemLabel(it))));
    sel.value = state.filters[key] || '';
    return h('div', { class: 'field' }, h('label', { for: id }, label), sel);
  }

  function filtersForm(onApply) {
    const m = state.meta || {};
    const fields = [
      selectField('state', t('filter.state'), (Array.isArray(m.states) && m.states.length ? m.states : STATES), (it) => typeof it === 'object' ? itemLabel(it) : stateLabel(it)),
      selectField('kind', t('filter.kind'), metaList('kinds'), (it) => typeof it === 'object' ? itemLabel(it) : kindLabel(it)),
      selectField('goods_group', t('filter.goods_group'), metaList('goods_groups')),
      selectField('platform', t('filter.platform'), metaList('platforms')),
      selectField('province', t('filter.province'), metaList('provinces')),
    ];
    if (metaList('campaigns').length) fields.push(selectField('campaign', t('filter.campaign'), metaList('campaigns')));
    else {
      const inp = h('input', { id: 'f-campaign', name: 'campaign', type: 'text', size: '14', spellcheck: 'false' });
      inp.value = state.filters.campaign || '';
      fields.push(h('div', { class: 'field' }, h('label', { for: 'f-campaign' }, t('filter.campaign')), inp));
    }
    fields.push(selectField('severity', t('filter.severity'), metaList('severities').length ? metaList('severities') : SEVERITIES, (it) => typeof it === 'object' ? itemLabel(it) : sevLabel(it)));
    const age = h('input', { id: 'f-min_age_hours', name: 'min_age_hours', type: 'number', min: '0', step: '1', inputmode: 'numeric', size: '5' });
    age.value = state.filters.min_age_hours || '';
    fields.push(h('div', { class: 'field' }, h('label', { for: 'f-min_age_hours' }, t('filter.age')), age));
    const form = h('form', { class: 'filters', id: 'filters', 'aria-label': t('filter.title') },
      fields,
      h('div', { class: 'field buttons' },
        h('button', { type: 'submit', id: 'filters-apply' }, t('filter.apply')),
        h('button', { type: 'button', id: 'filters-clear', class: 'link-button', onclick: () => { state.filters = {}; state.queueOffset = 0; saveFilters(); onApply(); } }, t('filter.clear'))));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const fd = new FormData(form);
      state.filters = {};
      for (const k of FILTER_KEYS) { const v = fd.get(k); if (v !== null && String(v).trim() !== '') state.filters[k] = String(v).trim(); }
      state.queueOffset = 0;
      saveFilters();
      onApply();
    });
    return form;
  }

  function casesTable(cases, id, opts) {
    opts = opts || {};
    const cols = ['case', 'state', 'severity', 'kind', 'platform', 'title', 'price', 'seller', 'province', 'last_seen', 'sightings', 'claimed_by'];
    const head = h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: 'c-' + c }, t('col.' + c)))));
    const rows = cases.map((c) => {
      const href = route('case', c.case_id);
      const seller = c.seller || {};
      return h('tr', { 'data-case-id': c.case_id },
        h('td', { class: 'c-case mono' }, h('a', { href, 'data-case-id': c.case_id }, String(c.case_id))),
        h('td', { class: 'c-state' }, stateBadge(c.state)),
        h('td', { class: 'c-severity' }, c.severity ? sevBadge(c.severity) : '—'),
        h('td', { class: 'c-kind' }, kindLabel(c.kind)),
        h('td', { class: 'c-platform' }, platformLabel(c.platform)),
        h('td', { class: 'c-title' }, h('a', { href, class: 'case-title-link', dir: 'auto' }, c.title || '—')),
        h('td', { class: 'c-price num' }, fmtMoney(c.price, c.currency)),
        h('td', { class: 'c-seller', dir: 'auto' }, seller.name || seller.id || '—'),
        h('td', { class: 'c-province' }, c.province ? provinceLabel(c.province) : '—'),
        h('td', { class: 'c-last_seen nowrap' }, timeEl(c.last_seen)),
        h('td', { class: 'c-sightings num' }, fmtNum(c.sightings)),
        h('td', { class: 'c-claimed_by' }, c.claimed_by || ''));
    });
    return h('div', { class: 'table-wrap' },
      h('table', { class: 'cases', id, 'aria-label': opts.label || t('queue.list') }, head, h('tbody', {}, rows)));
  }

  function pager(total, offset, onGo) {
    const a = total ? offset + 1 : 0;
    const b = Math.min(total, offset + PAGE_SIZE);
    return h('nav', { class: 'pager', 'aria-label': t('queue.list') },
      h('button', { type: 'button', id: 'page-prev', disabled: offset <= 0, onclick: () => onGo(Math.max(0, offset - PAGE_SIZE)) }, t('queue.prev')),
      h('span', { class: 'range', id: 'page-range' }, t('queue.range', { a: fmtNum(a), b: fmtNum(b), n: fmtNum(total) })),
      h('button', { type: 'button', id: 'page-next', disabled: offset + PAGE_SIZE >= total, onclick: () => onGo(offset + PAGE_SIZE) }, t('queue.nextpage')));
  }

  async function claimNext(btn) {
    const msg = $('queue-msg');
    if (btn) btn.disabled = true;
    try {
      const before = state.current;
      const res = await api('POST', '/api/claim', { filters: filterQuery(true) });
      if (res.status === 204 || !res.data || !res.data.case) {
        if (msg) { msg.textContent = t('queue.empty'); msg.hidden = false; } else {
          state.queueNotice = t('queue.empty');
          location.hash = '#/queue';
        }
        return;
      }
      state.current = res.data.case;
      if (before && String(before.case_id) === String(state.current.case_id) && parseRoute().segs[0] === 'case') toast(t('act.still_held'));
      const dest = route('case', state.current.case_id);
      if (location.hash === dest) render(); else location.hash = dest;
    } catch (e) {
      if (e.status === 401) return;
      toast(errText(e), 'error');
    } finally {
      if (btn) btn.disabled = false;
    }
  }

  async function renderQueue(main, seq) {
    const police = role() === 'police';
    const offset = state.queueOffset;
    const [countsRes, listRes] = await Promise.all([
      canWork() ? api('GET', '/api/counts' + qs(filterQuery(false))).catch((e) => { if (e.status === 401) throw e; return null; }) : null,
      api('GET', '/api/cases' + qs(Object.assign(filterQuery(true), { limit: PAGE_SIZE, offset }))),
    ]);
    if (stale(seq)) return;
    const counts = countsRes && countsRes.data ? countsRes.data : null;
    const list = listRes.data || { cases: [], total: 0 };
    const total = Number(list.total) || 0;
    const cases = Array.isArray(list.cases) ? list.cases : [];

    const sec = h('section', { class: 'queue', id: 'queue-view', 'aria-labelledby': 'queue-title' });
    sec.appendChild(h('h1', { id: 'queue-title', class: 'sr-only' }, police ? t('queue.title.police') : t('queue.title')));

    if (canWork()) {
      const top = h('div', { class: 'queue-top' });
      const next = h('button', { type: 'button', id: 'next-case', class: 'next-case primary', 'aria-keyshortcuts': 'N' },
        h('span', {}, t('queue.next')), ' ', h('kbd', {}, 'N'));
      next.addEventListener('click', () => claimNext(next));
      top.appendChild(next);
      if (counts) {
        const chips = h('ul', { class: 'counts', id: 'counts', 'aria-label': t('queue.counts') });
        const keys = STATES.concat(['claimed']);
        for (const k of keys) {
          if (!(k in counts)) continue;
          const active = state.filters.state === k;
          const b = h('button', { type: 'button', class: 'count' + (active ? ' active' : '') + ' st-' + k, 'data-state': k, 'aria-pressed': active ? 'true' : 'false', disabled: k === 'claimed' },
            h('span', { class: 'count-n' }, fmtNum(counts[k])), h('span', { class: 'count-l' }, stateLabel(k)));
          if (k !== 'claimed') b.addEventListener('click', () => {
            state.filters.state = active ? '' : k; state.queueOffset = 0; saveFilters(); render();
          });
          chips.appendChild(h('li', {}, b));
        }
        top.appendChild(chips);
      }
      sec.appendChild(top);
      sec.appendChild(h('p', { id: 'queue-msg', class: 'notice', role: 'status', hidden: !state.queueNotice }, state.queueNotice || ''));
      state.queueNotice = null;
    } else {
      sec.appendChild(h('h2', {}, t('queue.title.police')));
    }
    sec.appendChild(filtersForm(() => render()));
    if (cases.length) {
      sec.appendChild(casesTable(cases, 'case-list', { label: police ? t('queue.title.police') : t('queue.list') }));
      sec.appendChild(pager(total, offset, (o) => { state.queueOffset = o; render(); }));
    } else {
      sec.appendChild(h('p', { class: 'muted empty', id: 'case-list-empty' }, t('queue.none')));
    }
    setView(main, sec);
  }

  // -------------------------------------------------------------------- case

  function dl(pairs, cls) {
    const d = h('dl', { class: 'kv ' + (cls || '') });
    for (const [k, v, id] of pairs) {
      if (v === undefined) continue;
      d.appendChild(h('dt', {}, k));
      d.appendChild(h('dd', { id }, v === null || v === '' ? '—' : v));
    }
    return d;
  }

  function section(titleKey, id, ...kids) {
    return h('section', { class: 'panel', id, 'aria-labelledby': id + '-h' }, h('h2', { id: id + '-h' }, t(titleKey)), kids);
  }

  function signalText(sig) {
    if (!sig || typeof sig !== 'object') return String(sig);
    const parts = [];
    for (const [k, v] of Object.entries(sig)) {
      if (k === 'type') continue;
      let val = v;
      if (k === 'ratio' && typeof v === 'number') val = fmtNum(v, 2) + ' (' + fmtPercent(v) + ')';
      else if (v && typeof v === 'object') val = JSON.stringify(v);
      parts.push(k + ': ' + val);
    }
    return parts.join(', ');
  }

  // A decision's details (due date, kind, goods group) after its note.
  function detailsText(det) {
    if (!det || typeof det !== 'object') return null;
    const parts = [];
    if (det.kind) parts.push(kindLabel(det.kind));
    if (det.goods_group) parts.push(goodsLabel(det.goods_group));
    if (det.due) parts.push(t('hist.due', { d: fmtDay(det.due) }));
    if (det.measure) parts.push(reasonLabel(det.measure));
    return parts.length ? h('span', { class: 'details muted' }, (parts.length ? ' (' : ''), parts.join(', '), ')') : null;
  }

  function evidenceBlock(ev) {
    if (!ev || typeof ev !== 'object') return h('span', { class: 'muted' }, t('ev.none'));
    const w = ev.warc && typeof ev.warc === 'object' ? ev.warc : null;
    const warc = w ? String(w.file || '') + ' @ ' + String(w.offset === undefined ? '?' : w.offset) : null;
    const rc = ev.recheck && typeof ev.recheck === 'object' ? ev.recheck : null;
    const pairs = [];
    if (rc) {
      const label = t('rc.' + String(rc.outcome)) !== 'rc.' + String(rc.outcome) ? t('rc.' + String(rc.outcome)) : String(rc.outcome || '');
      pairs.push([t('ev.recheck'), h('strong', { class: 'recheck-' + String(rc.outcome || '') }, label + (rc.changes ? ' (' + String(rc.changes) + ')' : ''))]);
    }
    pairs.push(
      [t('ev.fetched_at'), timeEl(ev.fetched_at)],
      [t('ev.http_status'), ev.http_status === undefined || ev.http_status === null ? '—' : String(ev.http_status)],
      [t('ev.sha256'), ev.sha256 ? h('code', { class: 'hash' }, ev.sha256) : '—'],
      [t('ev.url'), ev.url ? h('span', { class: 'url', dir: 'ltr' }, ev.url) : '—']);
    if (ev.ip) pairs.push([t('ev.ip'), h('code', {}, String(ev.ip))]);
    if (warc) pairs.push([t('ev.warc'), h('code', { class: 'warc' }, warc)]);
    if (w && w.record_id) pairs.push([t('ev.record'), h('code', { class: 'hash' }, String(w.record_id))]);
    return dl(pairs, 'evidence');
  }

  function decisionButtons(c) {
    const bar = h('div', { class: 'decide-bar', id: 'decide-bar', role: 'toolbar', 'aria-label': t('case.decisions') });
    const mk = (action, key, cls) => {
      const b = h('button', { type: 'button', class: 'decide ' + (cls || ''), 'data-action': action, 'aria-keyshortcuts': key, id: 'act-' + action },
        h('span', {}, t('act.' + action)), ' ', h('kbd', {}, key));
      b.addEventListener('click', () => runAction(action));
      return b;
    };
    bar.append(
      mk('classify', 'C'), mk('verify', 'V', 'good'), mk('dismiss', 'D', 'warn'),
      mk('need_info', 'I'), mk('handle', 'H'), mk('transfer', 'T'),
      mk('release', 'R', 'quiet'), mk('next', 'N', 'primary'));
    return bar;
  }

  async function renderCase(main, id, seq) {
    let c = state.current && String(state.current.case_id) === String(id) ? state.current : null;
    if (!c || c.__stale) {
      c = (await api('GET', '/api/cases/' + encodeURIComponent(id))).data;
      if (stale(seq)) return;
    }
    c.__stale = true; // the next render of this route fetches again
    state.current = c;
    setView(main, caseView(c), $('case-title'));
  }

  function caseView(c) {
    const flag = c.flag || {};
    // the rule's own hits and the words of its signals (slang, accessory words) that carry offsets
    const hits = (Array.isArray(flag.hits) ? flag.hits : []).concat(
      (Array.isArray(flag.signals) ? flag.signals : []).filter((sg) => sg && sg.field && Number.isFinite(Number(sg.start))));
    const seller = c.seller || {};
    const me = state.user ? state.user.name : '';

    const head = h('header', { class: 'case-head' },
      h('div', { class: 'case-meta-line' },
        h('a', { href: '#/queue', class: 'back' }, t('case.back')),
        h('span', { class: 'case-id mono', id: 'case-id' }, t('case.title', { id: c.case_id })),
        stateBadge(c.state, 'case-state'),
        c.severity ? sevBadge(c.severity) : null,
        h('span', { class: 'chip' }, kindLabel(c.kind)),
        c.goods_group ? h('span', { class: 'chip' }, goodsLabel(c.goods_group)) : null,
        h('span', { class: 'chip' }, platformLabel(c.platform))),
      h('h1', { id: 'case-title', class: 'case-title seller-text', dir: 'auto', tabindex: '-1' }, highlighted(c.title, hits, 'title')));

    let claimNote = null;
    if (c.claimed_by) {
      claimNote = h('p', { class: 'notice' + (c.claimed_by === me ? '' : ' warn'), id: 'claim-note' },
        c.claimed_by === me ? t('case.claimed.me') : t('case.claimed.other', { name: c.claimed_by }));
    }

    const desc = section('case.description', 'p-desc',
      c.description
        ? h('div', { id: 'case-description', class: 'description seller-text', dir: 'auto' }, highlighted(c.description, hits, 'description'))
        : h('p', { id: 'case-description', class: 'muted' }, t('case.nodesc')));

    const rules = Array.isArray(flag.rules) ? flag.rules : [];
    const signals = Array.isArray(flag.signals) ? flag.signals : [];
    const why = section('case.explain', 'p-why',
      h('p', { class: 'explain', id: 'case-explain' }, flag.explain || '—'),
      rules.length ? h('table', { class: 'compact rules', 'aria-label': t('case.rules') },
        h('thead', {}, h('tr', {}, [t('rule.id'), t('rule.name'), t('case.kind'), t('col.severity'), t('rule.score')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, rules.map((r) => h('tr', {},
          h('td', { class: 'mono' }, r.id || ''), h('td', {}, r.name || ''), h('td', {}, kindLabel(r.kind)),
          h('td', {}, r.severity ? sevBadge(r.severity) : '—'), h('td', { class: 'num' }, fmtNum(r.score, 2)))))) : null,
      signals.length ? h('ul', { class: 'signals', 'aria-label': t('case.signals') },
        signals.map((sg) => h('li', {}, h('span', { class: 'sig-type' }, (sg && sg.type) || ''), ' ', signalText(sg)))) : null);

    // Price against the reference price. The engine's own comparison (a
    // price_below signal: the model's reference, converted per unit) wins;
    // a reference for a unit ("120 viên") is not the listing's price, so
    // without that signal no ratio is made up from it.
    const below = signals.find((sg) => sg && sg.type === 'price_below' && Number(sg.reference) > 0);
    const unit = below ? (below.unit || '') : ((rules[0] && rules[0].reference_unit) || '');
    const refValue = below ? below.reference : c.reference_price;
    const price = Number(c.price), ref = Number(refValue);
    let ratio = null;
    if (below && Number.isFinite(Number(below.ratio))) ratio = Number(below.ratio);
    else if (!unit && c.price !== null && c.price !== undefined && refValue && ref > 0 && Number.isFinite(price)) ratio = price / ref;
    const priceBox = section('case.price', 'p-price', dl([
      [t('case.price.listing'), h('strong', { id: 'case-price' }, fmtMoney(c.price, c.currency))],
      [t('case.price.reference'), h('span', { id: 'case-ref-price' }, fmtMoney(refValue, c.currency), unit ? ' / ' + unit : '')],
      [t('case.price.ratio'), ratio === null ? '—' : h('span', { id: 'case-ratio', class: ratio < 0.5 ? 'low-ratio' : '' }, t('case.price.ratio.v', { r: fmtNum(ratio, 2), p: fmtPercent(ratio) }))],
    ]));

    const sellerPairs = [
      [t('case.seller.name'), h('span', { class: 'seller-text', id: 'seller-name', dir: 'auto' }, seller.name || '—')],
      [t('case.seller.id'), h('span', { class: 'mono' }, seller.id || '—')],
      [t('case.seller.location'), h('span', { class: 'seller-text', id: 'seller-location', dir: 'auto' }, seller.location || c.location_raw || '—')],
      [t('case.seller.official'), seller.official === true ? h('span', { class: 'badge official' }, t('case.seller.official'))
        : seller.official === false ? t('case.seller.notofficial') : t('unknown')],
      [t('case.seller.other'), seller.other_cases === undefined ? '—' : fmtNum(seller.other_cases)],
    ];
    const sellerBox = section('case.seller', 'p-seller', dl(sellerPairs),
      canWork() && seller.id !== undefined && seller.id !== null && seller.id !== ''
        ? h('p', {}, h('a', { href: route('seller', c.platform, seller.id), id: 'seller-link' }, t('case.seller.page'))) : null);

    const href = safeHttpUrl(c.url);
    const listingBox = section('case.listing', 'p-listing', dl([
      [t('case.platform'), platformLabel(c.platform)],
      [t('case.listing_id'), h('span', { class: 'mono' }, c.listing_id || '—')],
      [t('case.url'), c.url ? h('span', { class: 'url', dir: 'ltr', id: 'case-url' }, c.url) : '—'],
      [t('case.province'), c.province ? provinceLabel(c.province) : '—'],
      [t('case.location_raw'), c.location_raw ? h('span', { class: 'seller-text', dir: 'auto' }, c.location_raw) : '—'],
      [t('case.first_seen'), timeEl(c.first_seen)],
      [t('case.last_seen'), timeEl(c.last_seen)],
      c.due ? [t('case.due'), h('span', { id: 'case-due' }, fmtDay(c.due))] : [t('case.due'), undefined],
      [t('case.claimed_by'), c.claimed_by || '—'],
    ]), h('p', {}, externalLink(c.url, href ? t('case.open') : t('case.open.none'), 'listing-link')),
    (canLead() || role() === 'police') ? h('p', {}, packageLink(c.case_id)) : null,
    canWork() ? h('p', {}, recheckButton(c)) : null);

    const sightings = Array.isArray(c.sightings) ? c.sightings : [];
    const sightBox = section('case.sightings', 'p-sightings', sightings.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'compact sightings', id: 'sightings' },
        h('thead', {}, h('tr', {}, [t('sight.seen_at'), t('sight.scan'), t('sight.price'), t('sight.evidence')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, sightings.map((sg) => h('tr', {},
          h('td', { class: 'nowrap' }, timeEl(sg.seen_at)),
          h('td', { class: 'mono' }, sg.scan_id || '—'),
          h('td', { class: 'num nowrap' }, fmtMoney(sg.price, c.currency)),
          h('td', {}, evidenceBlock(sg.evidence)))))))
      : h('p', { class: 'muted' }, '—'));

    const history = Array.isArray(c.history) ? c.history : [];
    const histBox = section('case.history', 'p-history', history.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'compact history', id: 'history' },
        h('thead', {}, h('tr', {}, ['hist.seq', 'hist.at', 'hist.actor', 'hist.action', 'hist.states', 'hist.reason', 'hist.note', 'hist.transfer'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, history.map((d) => h('tr', { 'data-action': d.action || '' },
          h('td', { class: 'num' }, d.seq === undefined ? '' : String(d.seq)),
          h('td', { class: 'nowrap' }, timeEl(d.at)),
          h('td', {}, d.actor || ''),
          h('td', {}, actionLabel(d.action)),
          h('td', { class: 'nowrap' }, d.from_state ? stateLabel(d.from_state) : '—', ' → ', d.to_state ? stateLabel(d.to_state) : '—'),
          h('td', { dir: 'auto' }, reasonLabel(d.reason)),
          h('td', { dir: 'auto', class: 'note' }, d.note || '', detailsText(d.details)),
          h('td', {}, d.transfer && (d.transfer.unit || d.transfer.reference)
            ? [d.transfer.unit || '', d.transfer.reference ? ' · ' + d.transfer.reference : ''] : ''))))))
      : h('p', { class: 'muted' }, t('case.history.none')));

    const view = h('article', { class: 'case', id: 'case-view', 'data-case-id': c.case_id, 'data-state': c.state || '', 'aria-labelledby': 'case-title' },
      head,
      canWork() ? decisionButtons(c) : null,
      claimNote,
      h('div', { class: 'case-grid' },
        h('div', { class: 'case-main' }, why, desc, sightBox, histBox),
        h('aside', { class: 'case-side' }, priceBox, sellerBox, listingBox)));
    return view;
  }

  // ------------------------------------------------------------------ decide

  const dialog = () => $('decide-dialog');
  let dlgAction = null;
  let dlgReturnFocus = null;

  function field(id, label, control) {
    return h('div', { class: 'field' }, h('label', { for: id }, label), control);
  }
  function optionSelect(id, name, items, labelFn, current, required) {
    const sel = h('select', { id, name, required },
      h('option', { value: '' }, t('dlg.choose')),
      items.map((it) => h('option', { value: itemCode(it) }, labelFn ? labelFn(it) : itemLabel(it))));
    if (current) sel.value = String(current);
    return sel;
  }
  function textInput(id, name, required, opts) {
    const i = h('input', Object.assign({ id, name, type: 'text', required, autocomplete: 'off', maxlength: '2000' }, opts || {}));
    return i;
  }
  function noteArea(required) {
    return h('textarea', { id: 'dlg-note', name: 'note', rows: '3', required, maxlength: '4000' });
  }

  // The note, required when the chosen reason or measure is "other".
  function noteField() {
    const note = noteArea(false);
    const label = h('label', { for: 'dlg-note' }, t('dlg.note'));
    return h('div', { class: 'field' }, label, note);
  }
  function syncNoteRequired() {
    const note = $('dlg-note');
    if (!note) return;
    const pick = $('decide-fields').querySelector('select[name="reason"], select[name="measure"]');
    if (!pick) return;
    const other = pick.value === 'other';
    note.required = other || dlgAction === 'need_info';
    const label = $('decide-fields').querySelector('label[for="dlg-note"]');
    if (label) label.textContent = note.required ? t('dlg.note.required') : t('dlg.note');
  }

  function buildDialogFields(action, c) {
    const f = [];
    if (action === 'classify' || action === 'reclassify') {
      f.push(h('p', { class: 'muted' }, t('dlg.classify.hint')));
      f.push(field('dlg-kind', t('dlg.kind'), optionSelect('dlg-kind', 'kind', metaList('kinds').length ? metaList('kinds') : Object.keys(STR).filter((k) => k.startsWith('kind.')).map((k) => k.slice(5)),
        (it) => typeof it === 'object' ? itemLabel(it) : kindLabel(it), c.kind, true)));
      f.push(field('dlg-goods', t('dlg.goods_group'), metaList('goods_groups').length
        ? optionSelect('dlg-goods', 'goods_group', metaList('goods_groups'), null, c.goods_group, true)
        : (() => { const i = textInput('dlg-goods', 'goods_group', true); i.value = c.goods_group || ''; return i; })()));
      f.push(field('dlg-note', t('dlg.note'), noteArea(false)));
    } else if (action === 'verify') {
      // A reason from the list when the server gives one, else free text.
      f.push(field('dlg-reason', t('dlg.reason.verify'), metaList('verify_reasons').length
        ? optionSelect('dlg-reason', 'reason', metaList('verify_reasons'), null, null, true)
        : textInput('dlg-reason', 'reason', true)));
      f.push(noteField());
    } else if (action === 'dismiss') {
      f.push(field('dlg-reason', t('dlg.reason.dismiss'), optionSelect('dlg-reason', 'reason', metaList('dismiss_reasons'), null, null, true)));
      f.push(noteField());
    } else if (action === 'need_info') {
      const due = h('input', { id: 'dlg-due', name: 'due', type: 'date', required: true, min: vnToday() });
      f.push(field('dlg-due', t('dlg.due'), due));
      f.push(field('dlg-note', t('dlg.note.required'), noteArea(true)));
    } else if (action === 'handle') {
      f.push(field('dlg-measure', t('dlg.measure'), optionSelect('dlg-measure', 'measure', metaList('handle_measures'), null, null, true)));
      f.push(noteField());
    } else if (action === 'transfer') {
      f.push(field('dlg-unit', t('dlg.unit'), textInput('dlg-unit', 'unit', true)));
      f.push(field('dlg-reference', t('dlg.reference'), textInput('dlg-reference', 'reference', true, { maxlength: '200' })));
      f.push(field('dlg-note', t('dlg.note'), noteArea(false)));
    }
    return f;
  }

  function openDecision(action) {
    const c = state.current;
    if (!c || !canWork()) return;
    const dlg = dialog();
    if (dlg.open) return;
    dlgAction = action;
    dlgReturnFocus = document.activeElement;
    $('decide-title').textContent = t('act.' + action);
    $('decide-case').textContent = visible(t('dlg.case', { id: c.case_id, title: c.title || '' }));
    const fields = clear($('decide-fields'));
    append(fields, buildDialogFields(action, c));
    for (const sel of fields.querySelectorAll('select[name="reason"], select[name="measure"]')) sel.addEventListener('change', syncNoteRequired);
    const err = $('decide-error'); err.hidden = true; err.textContent = '';
    $('decide-submit').disabled = false;
    $('decide-submit').textContent = t('dlg.submit');
    dlg.setAttribute('data-action', action);
    dlg.showModal();
    const first = fields.querySelector('input, select, textarea');
    if (first) first.focus();
  }

  async function submitDecision() {
    const c = state.current;
    const form = $('decide-form');
    if (!c || !dlgAction) return;
    if (!form.reportValidity()) return;
    const body = { action: dlgAction };
    for (const el of form.querySelectorAll('input[name], select[name], textarea[name]')) {
      const v = el.value.trim();
      if (v !== '') body[el.name] = v;
    }
    const btn = $('decide-submit');
    btn.disabled = true; btn.textContent = t('dlg.working');
    const err = $('decide-error');
    err.hidden = true;
    try {
      const { data } = await api('POST', '/api/cases/' + encodeURIComponent(c.case_id) + '/decide', body);
      const action = dlgAction;
      closeDialog();
      if (data && data.case) { state.current = data.case; }
      else { state.current = null; }
      toast(t('act.done', { a: t('act.' + action) }));
      const dest = route('case', c.case_id);
      if (location.hash === dest) render(); else location.hash = dest;
    } catch (e) {
      if (e.status === 401) { closeDialog(); return; }
      err.textContent = visible(errText(e));
      err.hidden = false;
      btn.disabled = false; btn.textContent = t('dlg.submit');
    }
  }

  function closeDialog() {
    const dlg = dialog();
    if (dlg.open) dlg.close();
  }

  async function release() {
    const c = state.current;
    if (!c) return;
    try {
      await api('POST', '/api/cases/' + encodeURIComponent(c.case_id) + '/release', {});
      toast(t('act.released', { id: c.case_id }));
      state.current = null;
      location.hash = '#/queue';
    } catch (e) {
      if (e.status !== 401) toast(errText(e), 'error');
    }
  }

  function runAction(action) {
    if (!canWork()) return;
    if (action === 'next') return claimNext(null);
    if (action === 'release') return release();
    // C classifies a new case and corrects (reclassify) a classified one.
    if (action === 'classify' && state.current && !['received', 'needs_info'].includes(state.current.state)) action = 'reclassify';
    return openDecision(action);
  }

  const KEYS = { c: 'classify', v: 'verify', d: 'dismiss', i: 'need_info', h: 'handle', t: 'transfer', r: 'release', n: 'next' };

  function onKey(ev) {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (dialog().open) return;
    const tgt = ev.target;
    if (tgt && (tgt.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(tgt.tagName))) return;
    if (!state.user || !canWork()) return;
    const key = (ev.key || '').toLowerCase();
    const action = KEYS[key];
    if (!action) return;
    const view = parseRoute().segs[0] || 'queue';
    if (view === 'case' && state.current) { ev.preventDefault(); runAction(action); }
    else if (view === 'queue' && action === 'next') { ev.preventDefault(); claimNext($('next-case')); }
  }

  // ------------------------------------------------------------------ seller

  async function renderSeller(main, platform, sellerId, seq) {
    const { data } = await api('GET', '/api/sellers/' + encodeURIComponent(platform) + '/' + encodeURIComponent(sellerId));
    if (stale(seq)) return;
    const sl = (data && data.seller) || {};
    const cases = (data && Array.isArray(data.cases)) ? data.cases : [];
    const known = new Set(['name', 'id', 'platform', 'location', 'official']);
    const pairs = [
      [t('case.seller.name'), h('span', { class: 'seller-text', dir: 'auto', id: 'seller-page-name' }, sl.name || '—')],
      [t('case.seller.id'), h('span', { class: 'mono' }, sl.id || sellerId)],
      [t('case.platform'), platformLabel(sl.platform || platform)],
      [t('case.seller.location'), h('span', { class: 'seller-text', dir: 'auto' }, sl.location || '—')],
      [t('case.seller.official'), sl.official === true ? h('span', { class: 'badge official' }, t('case.seller.official')) : sl.official === false ? t('case.seller.notofficial') : t('unknown')],
    ];
    for (const [k, v] of Object.entries(sl)) {
      if (known.has(k) || v === null || typeof v === 'object') continue;
      pairs.push([k, typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) ? timeEl(v) : String(v)]);
    }
    const sec = h('section', { class: 'seller-view', id: 'seller-view', 'aria-labelledby': 'seller-h' },
      h('h1', { id: 'seller-h' }, t('seller.title'), ': ', h('span', { class: 'seller-text', dir: 'auto' }, sl.name || sellerId)),
      h('div', { class: 'panel' }, dl(pairs)),
      h('h2', {}, t('seller.cases'), ' (', fmtNum(cases.length), ')'),
      cases.length ? casesTable(cases, 'seller-cases', { label: t('seller.cases') }) : h('p', { class: 'muted' }, t('queue.none')));
    setView(main, sec);
  }

  // ------------------------------------------------------------------ search

  async function renderSearch(main, q, offset, seq) {
    $('search-input').value = q;
    const sec = h('section', { class: 'search-view', id: 'search-view', 'aria-labelledby': 'search-h' },
      h('h1', { id: 'search-h' }, q ? t('search.title', { q }) : t('search.label')));
    if (!q.trim()) {
      sec.appendChild(h('p', { class: 'muted' }, t('search.prompt')));
      setView(main, sec);
      return;
    }
    const { data } = await api('GET', '/api/cases' + qs({ q, limit: PAGE_SIZE, offset }));
    if (stale(seq)) return;
    const cases = (data && Array.isArray(data.cases)) ? data.cases : [];
    const total = Number(data && data.total) || cases.length;
    sec.setAttribute('data-total', String(total));
    if (cases.length) {
      sec.appendChild(casesTable(cases, 'search-results', { label: t('search.title', { q }) }));
      sec.appendChild(pager(total, offset, (o) => { location.hash = '#/search?' + new URLSearchParams({ q, offset: String(o) }).toString(); }));
    } else {
      sec.appendChild(h('p', { class: 'muted', id: 'search-empty' }, t('search.empty')));
    }
    setView(main, sec);
  }

  // --------------------------------------------------------------- dashboard

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function chartCard(titleKey, id, ...kids) {
    return h('section', { class: 'chart-card', id, 'aria-labelledby': id + '-h' }, h('h2', { id: id + '-h' }, t(titleKey)), kids);
  }

  function svgRoot(w, hgt, label) {
    const root = s('svg', { viewBox: '0 0 ' + w + ' ' + hgt, role: 'img', 'aria-label': label, class: 'chart', preserveAspectRatio: 'xMinYMin meet', focusable: 'false' });
    root.appendChild(s('title', { text: label }));
    return root;
  }

  function perDayChart(days) {
    const W = 820, H = 250, L = 44, R = 12, T = 14, B = 34;
    const root = svgRoot(W, H, t('dash.chart.perday'));
    const n = days.length;
    const max = niceMax(Math.max(1, ...days.map((d) => Math.max(Number(d.received) || 0, Number(d.closed) || 0))));
    const iw = W - L - R, ih = H - T - B;
    const y = (v) => T + ih - (ih * (Number(v) || 0)) / max;
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      root.appendChild(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
      root.appendChild(s('text', { x: L - 6, y: y(v), 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'axis', text: fmtNum(v) }));
    }
    if (!n) return root;
    const gw = iw / n;
    const bw = Math.max(1, Math.min(22, gw - 3));
    const every = Math.max(1, Math.ceil(n / 12));
    const pts = [];
    days.forEach((d, i) => {
      const x0 = L + i * gw + (gw - bw) / 2;
      const c = Number(d.received) || 0;
      const bc = s('rect', { x: x0, y: y(c), width: bw, height: Math.max(0, T + ih - y(c)), class: 'bar s2' });
      bc.appendChild(s('title', { text: fmtDay(d.date) + ' · ' + t('dash.received') + ': ' + fmtNum(c) + ' · ' + t('dash.closed') + ': ' + fmtNum(Number(d.closed) || 0) }));
      root.appendChild(bc);
      pts.push((L + i * gw + gw / 2).toFixed(1) + ',' + y(d.closed).toFixed(1));
      if (i % every === 0) root.appendChild(s('text', { x: L + i * gw + gw / 2, y: H - B + 16, 'text-anchor': 'middle', class: 'axis', text: fmtDay(d.date, true) }));
    });
    root.appendChild(s('polyline', { points: pts.join(' '), class: 'line s3' }));
    if (n <= 90) for (const p of pts) { const [cx, cy] = p.split(','); root.appendChild(s('circle', { cx, cy, r: 2.5, class: 'dot s3' })); }
    root.appendChild(s('line', { x1: L, x2: W - R, y1: T + ih, y2: T + ih, class: 'baseline' }));
    return root;
  }

  function legend(items) {
    return h('ul', { class: 'legend' }, items.map(([cls, label]) => h('li', {}, h('span', { class: 'swatch ' + cls, 'aria-hidden': 'true' }), label)));
  }

  // Horizontal bars: items = [{label, value, cls?}].
  function hbarChart(items, label, opts) {
    opts = opts || {};
    const rowH = 24, W = 420, LBL = opts.labelWidth || 150, VAL = 56;
    const H = Math.max(rowH, items.length * rowH) + 6;
    const root = svgRoot(W, H, label);
    const max = Math.max(1, ...items.map((it) => Number(it.value) || 0));
    const bwMax = W - LBL - VAL;
    items.forEach((it, i) => {
      const yy = 3 + i * rowH;
      const v = Number(it.value) || 0;
      const w = (bwMax * v) / max;
      let lbl = String(it.label);
      if (lbl.length > 24) lbl = lbl.slice(0, 23) + '…';
      const tl = s('text', { x: LBL - 8, y: yy + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'label', text: lbl });
      tl.appendChild(s('title', { text: String(it.label) }));
      root.appendChild(tl);
      const bar = s('rect', { x: LBL, y: yy + 4, width: Math.max(v > 0 ? 2 : 0, w), height: rowH - 8, rx: 2, class: 'bar ' + (it.cls || 's1') });
      bar.appendChild(s('title', { text: String(it.label) + ': ' + (it.text || fmtNum(v)) }));
      root.appendChild(bar);
      root.appendChild(s('text', { x: LBL + Math.max(2, w) + 6, y: yy + rowH / 2, 'dominant-baseline': 'middle', class: 'value', text: it.text || fmtNum(v) }));
    });
    return root;
  }

  // A breakdown of the report (rows of {key, stages}) as bars of cases received, the empty rows left out.
  function keyed(list, labelFn) {
    return (Array.isArray(list) ? list : []).map((it) => ({ label: labelFn ? labelFn(it.key) : String(it.key ?? ''), value: Number(it.stages && it.stages.received) || 0 }))
      .filter((it) => it.value > 0).slice(0, 12);
  }

  function shareGauge(share) {
    const W = 420, H = 70;
    const root = svgRoot(W, H, t('dash.share') + ': ' + (share === null || share === undefined ? t('dash.share.none') : fmtPercent(share, 1)));
    const v = share === null || share === undefined ? null : Math.max(0, Math.min(1, Number(share)));
    root.appendChild(s('rect', { x: 0, y: 40, width: W, height: 16, rx: 3, class: 'track' }));
    if (v !== null) root.appendChild(s('rect', { x: 0, y: 40, width: W * v, height: 16, rx: 3, class: 'bar ' + (v >= 0.8 ? 'good' : v >= 0.5 ? 's1' : 'warn') }));
    root.appendChild(s('text', { x: 0, y: 24, class: 'big', text: v === null ? t('dash.share.none') : fmtPercent(v, 1) }));
    return root;
  }

  // The peak campaign's figures (the campaign report) against its baseline, the same period a year before.
  function peakBlock(pk) {
    if (!pk || typeof pk !== 'object' || !pk.period) return null;
    const now = Number(pk.stages && pk.stages.received) || 0;
    const base = pk.baseline && pk.baseline.stages ? Number(pk.baseline.stages.received) || 0 : null;
    const items = [{ label: t('dash.peak.this'), value: now, cls: 's1' }];
    if (base !== null) items.push({ label: t('dash.peak.last'), value: base, cls: 's4' });
    const parts = [h('p', { class: 'muted' }, t('dash.peak.period', { a: fmtDay(pk.period.first_day), b: fmtDay(pk.period.last_day) })),
      hbarChart(items, t('dash.peak'), { labelWidth: 90 })];
    const facts = h('p', { class: 'peak-facts' });
    if (base === null) facts.appendChild(h('span', { class: 'muted' }, t('dash.peak.nolast')));
    if (pk.change_percent !== null && pk.change_percent !== undefined) {
      const cp = Number(pk.change_percent);
      facts.appendChild(h('span', { class: 'change' }, t('dash.peak.change', { p: (cp > 0 ? '+' : '') + fmtNum(cp, 1) + ' %' })));
    }
    if (pk.target_met === true) facts.appendChild(h('span', { class: 'badge good' }, t('dash.peak.met')));
    else if (pk.target_met === false) facts.appendChild(h('span', { class: 'badge warn' }, t('dash.peak.notmet')));
    parts.push(facts);
    return chartCard('dash.peak', 'ch-peak', parts);
  }

  function seriousBlock(w) {
    const list = Array.isArray(w.serious) ? w.serious : [];
    const n = Number(w.serious_count) || 0;
    const items = list.slice(0, 10).map((c) => h('li', {},
      sevBadge(c.severity), ' ',
      h('a', { href: '#/case/' + encodeURIComponent(String(c.case_id || '')) }, String(c.title || c.case_id || '')),
      h('span', { class: 'muted' }, ' · ' + platformLabel(c.platform) + ' · ' + kindLabel(c.kind) + (c.transferred ? ' · ' + stateLabel('transferred') : ''))));
    const kids = [items.length ? h('ul', { class: 'serious' }, items) : h('p', { class: 'muted' }, t('dash.nodata'))];
    if (n > items.length) kids.push(h('p', { class: 'muted' }, t('dash.serious.more', { n: fmtNum(n - items.length) })));
    return h('section', { class: 'chart-card', id: 'ch-serious', 'aria-labelledby': 'ch-serious-h' },
      h('h2', { id: 'ch-serious-h' }, t('dash.serious', { n: fmtNum(n) })), kids);
  }

  // The plans' reports (lscan report, docs/reports.md) for download: yesterday
  // and last month in Vietnam time, as PDF, XLSX and CSV.
  function reportLinks(windowLabel) {
    const vn = new Date(Date.now() + 7 * 3600 * 1000);
    const yesterday = new Date(vn.getTime() - 86400 * 1000).toISOString().slice(0, 10);
    const firstOfMonth = new Date(Date.UTC(vn.getUTCFullYear(), vn.getUTCMonth(), 1));
    const lastMonth = new Date(firstOfMonth.getTime() - 86400 * 1000).toISOString().slice(0, 7);
    const link = (kind, period, ext) => {
      const a = h('a', { class: 'report-link', id: 'report-' + kind + '-' + ext }, ext.toUpperCase());
      a.setAttribute('href', '/api/reports/' + kind + '/' + period + '.' + ext + (state.lang === 'en' ? '?lang=en' : ''));
      a.setAttribute('download', 'lscan-' + kind + '-' + period + '.' + ext);
      return a;
    };
    const row = (labelKey, kind, period) => h('li', {}, t(labelKey, { p: period }), ': ',
      link(kind, period, 'pdf'), ' · ', link(kind, period, 'xlsx'), ' · ', link(kind, period, 'csv'));
    return h('section', { class: 'panel reports', id: 'reports', 'aria-labelledby': 'reports-h' },
      h('h2', { id: 'reports-h' }, t('dash.reports')),
      h('ul', {}, row('dash.report.daily', 'daily', yesterday), row('dash.report.monthly', 'monthly', lastMonth),
        /^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$/.test(windowLabel || '') ? row('dash.report.range', 'range', windowLabel) : null));
  }

  async function renderDashboard(main, days, seq) {
    if (!canLead()) {
      setView(main, h('p', { class: 'error', role: 'alert', id: 'view-error' }, t('err.forbidden.view')));
      return;
    }
    if (![7, 30, 90, 365].includes(days)) days = 30;
    const { data } = await api('GET', '/api/dashboard' + qs({ days }));
    if (stale(seq)) return;
    // The figures of scanner/report (docs/reports.md, "JSON"): the window and the peak campaign.
    const w = (data && data.window) || {};
    const st = w.stages || {};
    const dayList = Array.isArray(w.days) ? w.days : [];
    const stageItems = ['received', 'classified', 'verified', 'dismissed', 'handled', 'transferred']
      .map((k) => ({ label: stateLabel(k), value: Number(st[k]) || 0, cls: 'st-' + k }));
    const sel = h('select', { id: 'dash-days', name: 'days' }, [7, 30, 90, 365].map((n) => h('option', { value: String(n) }, t('dash.days.n', { n }))));
    sel.value = String(days);
    sel.addEventListener('change', () => { location.hash = '#/dashboard?days=' + encodeURIComponent(sel.value); });
    const received = Number(st.received) || 0;
    const closed = (Number(st.dismissed) || 0) + (Number(st.handled) || 0) + (Number(st.transferred) || 0);
    const empty = (list) => (list.length ? null : h('p', { class: 'muted' }, t('dash.nodata')));
    const by = w.by || {};
    const kinds = keyed(by.field, kindLabel), plats = keyed(by.platform, platformLabel), provs = keyed(by.province, provinceLabel);
    const open = Number(w.open) || 0, open24 = Number(w.open_24h) || 0, open7 = Number(w.open_7d) || 0;
    const backlog = [{ label: t('dash.backlog.24h'), value: Math.max(0, open - open24), cls: 's2' },
      { label: t('dash.backlog.7d'), value: Math.max(0, open24 - open7), cls: 's2' },
      { label: t('dash.backlog.old'), value: open7, cls: 'warn' }];
    const share = received ? (Number(w.received_assessed) || 0) / received : null;
    const sellers = w.sellers || {};
    const chain = w.chain || {};
    const label = w.period && w.period.label ? String(w.period.label) : '';
    const sec = h('section', { class: 'dashboard', id: 'dashboard', 'aria-labelledby': 'dash-h' },
      h('div', { class: 'dash-head' },
        h('h1', { id: 'dash-h' }, t('dash.title')),
        h('div', { class: 'field inline' }, h('label', { for: 'dash-days' }, t('dash.days')), sel),
        h('ul', { class: 'totals' },
          h('li', {}, h('strong', { id: 'dash-received' }, fmtNum(received)), ' ', t('dash.received')),
          h('li', {}, h('strong', { id: 'dash-closed' }, fmtNum(closed)), ' ', t('dash.closed')),
          h('li', {}, h('strong', { id: 'dash-open' }, fmtNum(open)), ' ', t('dash.open')))),
      h('p', { class: 'muted', id: 'dash-same' }, t('dash.same', { p: label, t: data && data.built_at ? fmtTime(data.built_at) : '–' }), ' ',
        t('dash.sellers', { n: fmtNum(Number(sellers.distinct) || 0), r: fmtNum(Number(sellers.repeat) || 0) })),
      h('div', { class: 'dash-grid' },
        chartCard('dash.perday', 'ch-perday', legend([['s2', t('dash.received')], ['s3 line', t('dash.closed')]]),
          dayList.length ? perDayChart(dayList) : empty(dayList)),
        chartCard('dash.share', 'ch-share', shareGauge(share),
          h('p', { class: 'muted' }, t('dash.share.closed', { p: received ? fmtPercent((Number(w.received_closed) || 0) / received, 1) : '–' }))),
        chartCard('dash.stages', 'ch-stages', hbarChart(stageItems, t('dash.stages'))),
        chartCard('dash.backlog', 'ch-backlog', hbarChart(backlog, t('dash.backlog'))),
        chartCard('dash.kinds', 'ch-kinds', kinds.length ? hbarChart(kinds, t('dash.kinds')) : empty(kinds)),
        chartCard('dash.platforms', 'ch-platforms', plats.length ? hbarChart(plats, t('dash.platforms')) : empty(plats)),
        chartCard('dash.provinces', 'ch-provinces', provs.length ? hbarChart(provs, t('dash.provinces')) : empty(provs)),
        peakBlock(data && data.peak),
        seriousBlock(w)),
      h('p', { class: 'muted chain', id: 'dash-chain' }, t('dash.chain', { n: fmtNum(Number(chain.count) || 0), h: String(chain.head || '').slice(0, 16) + '…' })),
      reportLinks(label));
    setView(main, sec);
  }

  // -------------------------------------------------------------------- boot

  function setLang(lang) {
    state.lang = lang === 'en' ? 'en' : 'vi';
    try { localStorage.setItem('lscan.lang', state.lang); } catch (e) { /* storage off */ }
    applyStaticStrings();
    updateChrome();
  }

  async function boot() {
    try { const l = localStorage.getItem('lscan.lang'); if (l === 'en' || l === 'vi') state.lang = l; } catch (e) { /* storage off */ }
    try { const f = JSON.parse(sessionStorage.getItem('lscan.filters') || '{}'); if (f && typeof f === 'object') state.filters = f; } catch (e) { /* none */ }
    applyStaticStrings();

    $('lang-switch').addEventListener('click', () => { setLang(state.lang === 'en' ? 'vi' : 'en'); render(); });
    $('logout').addEventListener('click', async () => {
      try { await api('POST', '/api/logout', {}); } catch (e) { /* gone anyway */ }
      state.user = null; state.csrf = null; state.current = null; state.afterLogin = null; state.loginNotice = null;
      updateChrome();
      location.hash = '#/login';
    });
    $('search-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const q = $('search-input').value.trim();
      const dest = '#/search?' + new URLSearchParams({ q }).toString();
      if (location.hash === dest) render(); else location.hash = dest;
    });
    const form = $('decide-form');
    form.addEventListener('submit', (ev) => { ev.preventDefault(); submitDecision(); });
    form.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Enter' || ev.isComposing) return;
      const tg = ev.target;
      if (tg.tagName === 'BUTTON') return;
      if (tg.tagName === 'TEXTAREA' && ev.shiftKey) return; // Shift+Enter: a new line
      ev.preventDefault();
      submitDecision();
    });
    $('decide-cancel').addEventListener('click', () => closeDialog());
    dialog().addEventListener('close', () => {
      dlgAction = null;
      if (dlgReturnFocus && document.contains(dlgReturnFocus)) dlgReturnFocus.focus();
    });
    document.addEventListener('keydown', onKey);
    window.addEventListener('hashchange', render);

    try {
      const { data } = await api('GET', '/api/me');
      state.user = data.user; state.csrf = data.csrf;
      await loadMeta();
    } catch (e) {
      state.user = null;
    }
    if (!location.hash) history.replaceState(null, '', '#/queue');
    updateChrome();
    render();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();

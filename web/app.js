/* vanthu search page: plain JavaScript, no framework, no build step.
 * State lives in the URL hash (#q=...&type=...&page=2, #doc=ID), so the
 * back button, reloads and shared links work.  Snippets arrive as HTML
 * with <b> marks: they are rebuilt as text nodes and <b> elements, never
 * assigned to innerHTML. */
'use strict';

const PAGE = 10;
const FACETS = ['type', 'agency', 'year'];

const I18N = {
  vi: {
    title: 'Tra cứu văn bản lưu trữ', query: 'Từ khóa',
    placeholder: 'Ví dụ: quyết định chuyển đổi số, 512/QĐ-UBND', search: 'Tìm kiếm',
    options: 'Tùy chọn', from: 'Từ ngày', to: 'Đến ngày', sort: 'Sắp xếp',
    sort_relevance: 'Phù hợp nhất', sort_newest: 'Mới nhất', sort_oldest: 'Cũ nhất',
    exact: 'Đúng dấu', back: '← Quay lại kết quả', download: 'Tải bản gốc',
    fulltext: 'Toàn văn', footer: 'vanthu — tìm kiếm văn bản lưu trữ', status: 'Trạng thái',
    facet_type: 'Loại văn bản', facet_agency: 'Cơ quan ban hành', facet_year: 'Năm',
    facet_mime: 'Định dạng', results: (n, ms) => `${n.toLocaleString('vi-VN')} kết quả (${ms} ms)`,
    all: (n) => `Tất cả ${n.toLocaleString('vi-VN')} văn bản, mới nhất trước`,
    none: 'Không tìm thấy văn bản nào. Hãy thử bỏ bớt bộ lọc hoặc gõ không dấu.',
    prev: '← Trước', next: 'Sau →', page: (p, n) => `Trang ${p}/${n}`,
    number: 'Số, ký hiệu', issued: 'Ngày ban hành', agency: 'Cơ quan', type: 'Loại',
    subject: 'Trích yếu', signer: 'Người ký', signer_title: 'Chức vụ', place: 'Nơi ban hành',
    secrecy: 'Độ mật', urgency: 'Độ khẩn', path: 'Tệp', mime: 'Định dạng', size: 'Kích thước',
    pages: 'Số trang', status_label: 'Trạng thái', sha256: 'SHA-256', ocr_confidence: 'Độ tin cậy OCR',
    lang: 'Ngôn ngữ', untitled: '(không có tiêu đề)', remove: 'Bỏ lọc', loading: 'Đang tìm…',
    error: 'Lỗi', filters: 'Bộ lọc', from_chip: 'từ', to_chip: 'đến',
    st_indexed: 'đã lập chỉ mục', 'st_needs-ocr': 'chờ nhận dạng (OCR)', st_failed: 'lỗi',
    st_unsupported: 'không hỗ trợ', other_lang: 'EN', other_lang_label: 'English',
    didyoumean: 'Có phải bạn muốn tìm:',
    nowords: 'Câu tìm kiếm không có từ nào tìm được (chỉ có ký hiệu, biểu tượng hoặc từ quá dài).',
  },
  en: {
    title: 'Archive document search', query: 'Search terms',
    placeholder: 'e.g. quyet dinh chuyen doi so, 512/QĐ-UBND', search: 'Search',
    options: 'Options', from: 'From', to: 'To', sort: 'Sort',
    sort_relevance: 'Best match', sort_newest: 'Newest first', sort_oldest: 'Oldest first',
    exact: 'Exact diacritics', back: '← Back to results', download: 'Download original',
    fulltext: 'Full text', footer: 'vanthu — archive search', status: 'Status',
    facet_type: 'Document type', facet_agency: 'Issuing agency', facet_year: 'Year',
    facet_mime: 'Format', results: (n, ms) => `${n.toLocaleString('en')} results (${ms} ms)`,
    all: (n) => `All ${n.toLocaleString('en')} documents, newest first`,
    none: 'No documents found. Try removing a filter or typing without diacritics.',
    prev: '← Previous', next: 'Next →', page: (p, n) => `Page ${p} of ${n}`,
    number: 'Number', issued: 'Issued', agency: 'Agency', type: 'Type',
    subject: 'Subject', signer: 'Signed by', signer_title: 'Title', place: 'Place',
    secrecy: 'Secrecy', urgency: 'Urgency', path: 'File', mime: 'Format', size: 'Size',
    pages: 'Pages', status_label: 'Status', sha256: 'SHA-256', ocr_confidence: 'OCR confidence',
    lang: 'Language', untitled: '(untitled)', remove: 'Remove filter', loading: 'Searching…',
    error: 'Error', filters: 'Filters', from_chip: 'from', to_chip: 'to',
    st_indexed: 'indexed', 'st_needs-ocr': 'awaiting OCR', st_failed: 'failed',
    st_unsupported: 'unsupported', other_lang: 'VI', other_lang_label: 'Tiếng Việt',
    didyoumean: 'Did you mean:',
    nowords: 'The query has no searchable words (only symbols, emoji or over-long words).',
  },
};

let lang = localStorage.getItem('vanthu.lang') === 'en' ? 'en' : 'vi';
const t = (k, ...a) => { const v = I18N[lang][k]; return typeof v === 'function' ? v(...a) : (v ?? k); };
const $ = (id) => document.getElementById(id);
let seq = 0; /* answers to superseded requests are dropped */
const wide = window.matchMedia('(min-width: 760px)');

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

/* "…a <b>quyết</b> &amp; b…" -> nodes, trusting nothing but <b> and </b>. */
function snippetNodes(html) {
  const frag = document.createDocumentFragment();
  const decode = (s) => s.replace(/&(lt|gt|amp|quot|#39);/g,
    (m, e) => ({ lt: '<', gt: '>', amp: '&', quot: '"', '#39': "'" })[e]);
  let bold = false;
  for (const part of (html || '').split(/(<\/?b>)/)) {
    if (part === '<b>') bold = true;
    else if (part === '</b>') bold = false;
    else if (part) frag.append(bold ? el('b', { text: decode(part) }) : document.createTextNode(decode(part)));
  }
  return frag;
}

function readState() {
  const p = new URLSearchParams(location.hash.slice(1));
  return {
    doc: p.get('doc') || '', q: p.get('q') || '', from: p.get('from') || '', to: p.get('to') || '',
    sort: p.get('sort') || '', exact: p.get('exact') === '1', page: Math.max(1, parseInt(p.get('page') || '1', 10) || 1),
    type: p.get('type') || '', agency: p.get('agency') || '', year: p.get('year') || '',
  };
}

function writeState(s) {
  const p = new URLSearchParams();
  for (const k of ['q', 'type', 'agency', 'year', 'from', 'to', 'sort']) if (s[k]) p.set(k, s[k]);
  if (s.exact) p.set('exact', '1');
  if (s.page > 1) p.set('page', String(s.page));
  const h = '#' + p.toString();
  if (location.hash !== h) location.hash = h; else render();
}

function formState(base) {
  return { ...base, doc: '', q: $('q').value.trim(), from: $('from').value, to: $('to').value,
           sort: $('sort').value === 'relevance' ? '' : $('sort').value, exact: $('exact').checked, page: 1 };
}

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  let body;
  try { body = await r.json(); } catch (e) { body = { error: r.statusText }; }
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function applyLang() {
  document.documentElement.lang = lang;
  document.title = t('title') + ' — vanthu';
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
  $('lang').textContent = t('other_lang');
  $('lang').setAttribute('aria-label', t('other_lang_label'));
  $('facets').setAttribute('aria-label', t('filters'));
}

function renderChips(s) {
  const box = $('chips');
  box.replaceChildren();
  const chip = (label, drop) => {
    const b = el('button', { type: 'button', class: 'chip', title: t('remove') }, label + ' ✕');
    b.addEventListener('click', () => writeState({ ...s, ...drop, page: 1 }));
    box.append(b);
  };
  for (const f of FACETS) if (s[f]) chip(`${t('facet_' + f)}: ${s[f]}`, { [f]: '' });
  if (s.from) chip(`${t('from_chip')} ${s.from}`, { from: '' });
  if (s.to) chip(`${t('to_chip')} ${s.to}`, { to: '' });
}

function renderFacets(s, facets) {
  const box = $('facets');
  box.replaceChildren();
  for (const f of FACETS) {
    const counts = Object.entries((facets || {})[f] || {});
    if (!counts.length) continue;
    counts.sort((a, b) => (f === 'year' ? b[0].localeCompare(a[0]) : b[1] - a[1] || a[0].localeCompare(b[0], 'vi')));
    const ul = el('ul');
    for (const [value, n] of counts.slice(0, 12)) {
      const on = s[f] === value;
      const a = el('a', { href: '#', class: on ? 'facet on' : 'facet', 'data-facet': f, 'data-value': value },
        el('span', { class: 'fv', text: value }), el('span', { class: 'fn', text: String(n) }));
      a.addEventListener('click', (ev) => { ev.preventDefault(); writeState({ ...s, [f]: on ? '' : value, page: 1 }); });
      ul.append(el('li', null, a));
    }
    /* On a phone the groups start closed so the results stay in view. */
    const g = el('details', { class: 'facet-group' }, el('summary', { text: t('facet_' + f) }), ul);
    g.open = wide.matches || Boolean(s[f]);
    box.append(g);
  }
}

function resultItem(r) {
  const m = r.meta || {};
  const bits = [];
  if (m.type) bits.push(el('span', { class: 'tag', text: m.type }));
  if (m.number) bits.push(el('span', { class: 'num', text: m.number }));
  if (m.issued) bits.push(el('time', { datetime: m.issued, text: m.issued }));
  if (m.agency) bits.push(el('span', { class: 'agency', text: m.agency }));
  if (r.status && r.status !== 'indexed') bits.push(el('span', { class: 'status', text: t('st_' + r.status) }));
  const name = (r.path || '').split('/').pop();
  return el('li', { class: 'result' },
    el('h3', null, el('a', { href: '#doc=' + encodeURIComponent(r.id), class: 'title', text: r.title || name || t('untitled') })),
    el('div', { class: 'info' }, ...bits),
    el('p', { class: 'snippet' }, snippetNodes(r.snippet)),
    el('div', { class: 'file', text: name }));
}

function renderPager(s, total) {
  const nav = $('pager');
  nav.replaceChildren();
  const pages = Math.ceil(total / PAGE);
  if (pages <= 1) return;
  const btn = (label, page, cls) => {
    const b = el('button', { type: 'button', class: cls }, label);
    if (page < 1 || page > pages) b.disabled = true;
    b.addEventListener('click', () => { writeState({ ...s, page }); window.scrollTo(0, 0); });
    return b;
  };
  nav.append(btn(t('prev'), s.page - 1, 'prev'), el('span', { class: 'pageno', text: t('page', s.page, pages) }),
             btn(t('next'), s.page + 1, 'next'));
}

async function renderList(s) {
  $('doc-view').hidden = true;
  $('list-view').hidden = false;
  $('q').value = s.q;
  $('from').value = s.from;
  $('to').value = s.to;
  $('sort').value = s.sort || 'relevance';
  $('exact').checked = s.exact;
  if (s.from || s.to || s.sort || s.exact) $('more').open = true;
  renderChips(s);
  const p = new URLSearchParams({ q: s.q, limit: String(PAGE), offset: String((s.page - 1) * PAGE) });
  for (const k of ['type', 'agency', 'year', 'from', 'to', 'sort']) if (s[k]) p.set(k, s[k]);
  if (s.exact) p.set('exact', '1');
  const my = ++seq;
  $('summary').textContent = t('loading');
  $('error').hidden = true;
  let res;
  try {
    res = await getJSON('api/search?' + p.toString());
  } catch (e) {
    if (my !== seq) return;
    $('summary').textContent = '';
    $('error').textContent = `${t('error')}: ${e.message}`;
    $('error').hidden = false;
    $('results').replaceChildren();
    $('pager').replaceChildren();
    return;
  }
  if (my !== seq) return;
  const results = res.results;
  $('summary').textContent = res.notice ? t('nowords')
    : res.total === 0 ? t('none') : s.q ? t('results', res.total, res.took_ms.toFixed(1)) : t('all', res.total);
  if (res.total === 0 && res.suggestion) {
    /* "Did you mean": the query with its misspelt words corrected. */
    const a = el('a', { href: '#', id: 'suggestion', text: res.suggestion });
    a.addEventListener('click', (ev) => { ev.preventDefault(); writeState({ ...s, q: res.suggestion, page: 1 }); });
    $('summary').append(' ', t('didyoumean'), ' ', a);
  }
  $('results').replaceChildren(...results.map(resultItem));
  $('results').start = (s.page - 1) * PAGE + 1;
  renderFacets(s, res.facets);
  renderPager(s, res.total);
}

function fmtSize(n) {
  if (n == null) return null;
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;
}

async function renderDoc(id) {
  $('list-view').hidden = true;
  $('chips').replaceChildren();
  $('doc-view').hidden = false;
  $('doc-title').textContent = t('loading');
  $('doc-meta').replaceChildren();
  $('doc-text').textContent = '';
  const my = ++seq;
  let d;
  try {
    d = await getJSON('api/documents/' + encodeURIComponent(id));
  } catch (e) {
    if (my === seq) $('doc-title').textContent = `${t('error')}: ${e.message}`;
    return;
  }
  if (my !== seq) return;
  const m = d.meta || {};
  const name = d.name || (d.path || '').split('/').pop();
  $('doc-title').textContent = d.title || m.title || name || t('untitled');
  $('download').href = 'api/documents/' + encodeURIComponent(id) + '/file';
  $('download').setAttribute('download', name || '');
  const rows = [
    ['number', m.number], ['type', m.type], ['issued', m.issued], ['agency', m.agency], ['place', m.place],
    ['subject', m.subject], ['signer', m.signer], ['signer_title', m.signer_title], ['secrecy', m.secrecy],
    ['urgency', m.urgency], ['path', d.path], ['mime', d.mime], ['size', fmtSize(d.size)], ['pages', d.pages],
    ['ocr_confidence', d.ocr_confidence ?? m.ocr_confidence], ['status_label', d.status ? t('st_' + d.status) : null],
    ['sha256', d.sha256],
  ];
  for (const [k, v] of rows) {
    if (v == null || v === '') continue;
    $('doc-meta').append(el('dt', { text: t(k) }), el('dd', { class: k === 'sha256' ? 'mono' : '', text: String(v) }));
  }
  $('doc-text').textContent = d.text || '';
  window.scrollTo(0, 0);
}

function render() {
  applyLang();
  const s = readState();
  if (s.doc) renderDoc(s.doc); else renderList(s);
}

document.addEventListener('DOMContentLoaded', () => {
  $('search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const s = readState();
    writeState(formState(s));
  });
  for (const id of ['from', 'to', 'sort', 'exact']) {
    $(id).addEventListener('change', () => writeState(formState(readState())));
  }
  $('lang').addEventListener('click', () => {
    lang = lang === 'vi' ? 'en' : 'vi';
    localStorage.setItem('vanthu.lang', lang);
    render();
  });
  $('back').addEventListener('click', (ev) => {
    ev.preventDefault();
    if (history.length > 1) history.back(); else location.hash = '';
  });
  $('home').addEventListener('click', (ev) => { ev.preventDefault(); location.hash = ''; render(); });
  window.addEventListener('hashchange', render);
  adoptQueryString();
  render();
});

// A link shared as /?q=... (what a form, a chat client or a person types)
// opens that search: its parameters move into the hash, where state lives.
function adoptQueryString() {
  if (!location.search || location.hash.length > 1) return;
  const from = new URLSearchParams(location.search.slice(1));
  const to = new URLSearchParams();
  for (const k of ['q', 'type', 'agency', 'year', 'from', 'to', 'sort', 'exact', 'page', 'doc']) {
    if (from.get(k)) to.set(k, from.get(k));
  }
  history.replaceState(null, '', location.pathname + (to.toString() ? '#' + to.toString() : ''));
}

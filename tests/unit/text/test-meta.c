/* Unit tests for the metadata extractor (text/meta_*.c): vietnamese.md §(c)
 * cases 1-15, one page per document type of Phụ lục III (NĐ 30/2020),
 * OCR-damaged variants, merged header columns, and text that is not an
 * official document.
 *
 * The internal header is included so that the line-level matchers (F1,
 * F4) can be tested on their own, as STYLE §8 allows. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "text/meta.h"
#include "text/meta_internal.h"
#include "text/norm.h"

/* ------------------------------------------------------------------ */
/* Helpers */

static void run(struct text_meta *m, const char *p1, const char *last)
{
    assert_int_equal(text_meta_extract(p1, strlen(p1), last, last != NULL ? strlen(last) : 0,
                                       m, NULL),
                     0);
}

static void check_field(const struct text_meta *m, enum text_meta_field f, const char *want,
                        const char *file, int line)
{
    const char *got = text_meta_get(m, f);

    if (want == NULL && got != NULL)
        fail_msg("%s:%d: %s: expected none, got '%s'", file, line, text_meta_field_name(f), got);
    if (want != NULL && got == NULL)
        fail_msg("%s:%d: %s: expected '%s', got none", file, line, text_meta_field_name(f), want);
    if (want != NULL && strcmp(got, want) != 0)
        fail_msg("%s:%d: %s: expected '%s', got '%s'", file, line, text_meta_field_name(f), want,
                 got);
    if (got != NULL && (m->conf[f] < 1 || m->conf[f] > 100))
        fail_msg("%s:%d: %s: confidence %d out of range", file, line, text_meta_field_name(f),
                 m->conf[f]);
    if (got == NULL && m->conf[f] != 0)
        fail_msg("%s:%d: %s: confidence %d for an absent field", file, line,
                 text_meta_field_name(f), m->conf[f]);
}

#define FIELD(m, f, want) check_field((m), TEXT_META_##f, (want), __FILE__, __LINE__)

/* No official field at all: what non-official text must give. */
static void check_not_official(const struct text_meta *m, const char *file, int line)
{
    static const enum text_meta_field official[] = {
        TEXT_META_NUMBER,  TEXT_META_TYPE,          TEXT_META_AGENCY,      TEXT_META_PLACE,
        TEXT_META_ISSUED,  TEXT_META_SUBJECT,       TEXT_META_SIGNER,      TEXT_META_SIGNER_TITLE,
        TEXT_META_SECRECY, TEXT_META_URGENCY,       TEXT_META_NUMBER_KEY,  TEXT_META_SYMBOL,
        TEXT_META_TYPE_CODE, TEXT_META_PARENT_AGENCY, TEXT_META_ISSUER_CODE, TEXT_META_UNIT,
        TEXT_META_SCOPE,
    };

    for (size_t i = 0; i < sizeof(official) / sizeof(official[0]); i++)
        check_field(m, official[i], NULL, file, line);
    if (m->flags != 0 || m->num != -1 || m->year_in_number != 0)
        fail_msg("%s:%d: flags %#x num %d year %d on non-official text", file, line, m->flags,
                 m->num, m->year_in_number);
}

#define NOT_OFFICIAL(m) check_not_official((m), __FILE__, __LINE__)

/* F1 on a single line, through the internal parser. */
static int line_number(const char *line, struct numparse *np)
{
    struct mpage pg;
    int ok;

    text__page_init(&pg);
    assert_int_equal(text__page_load(&pg, line, strlen(line)), 0);
    assert_true(pg.nl >= 1);
    ok = text__parse_number(&pg, &pg.ln[0], np);
    text__page_release(&pg);
    return ok;
}

/* F4 on a single line: returns 1 and the place (or "") and date. */
static int line_date(const char *line, char *place, size_t cap, int *y, int *mo, int *d)
{
    struct mpage pg;
    struct dateparse dp;
    struct sbuf sb;
    int ok;

    text__page_init(&pg);
    assert_int_equal(text__page_load(&pg, line, strlen(line)), 0);
    memset(&dp, 0, sizeof(dp));
    ok = text__find_dateline(&pg, pg.ln[0].b, pg.ln[0].e, 2100, 0, &dp);
    sb_reset(&sb);
    if (ok && dp.pb != NOPOS)
        text__sb_span(&sb, &pg, dp.pb, dp.pe);
    snprintf(place, cap, "%s", sb.s);
    *y = dp.y;
    *mo = dp.m;
    *d = dp.d;
    text__page_release(&pg);
    return ok;
}

/* ------------------------------------------------------------------ */
/* vietnamese.md §(c) 1-10: number lines and date lines */

static void test_case01_number(void **state)
{
    struct text_meta m;
    struct numparse np;

    (void)state;
    assert_true(line_number("Số: 123/QĐ-UBND", &np));
    assert_int_equal(np.num, 123);
    assert_int_equal(np.nseg, 2);
    assert_string_equal(np.seg[0], "QĐ");
    assert_string_equal(np.seg[1], "UBND");

    run(&m, "Số: 123/QĐ-UBND", NULL);
    assert_true(m.flags & TEXT_META_OFFICIAL);
    assert_int_equal(m.num, 123);
    FIELD(&m, NUMBER, "123/QĐ-UBND");
    FIELD(&m, NUMBER_KEY, "123/qd-ubnd");
    FIELD(&m, SYMBOL, "QĐ-UBND");
    FIELD(&m, TYPE_CODE, "QĐ");
    FIELD(&m, TYPE, "Quyết định");
    FIELD(&m, ISSUER_CODE, "UBND");
    FIELD(&m, UNIT, NULL);
    text_meta_release(&m);
}

static void test_case02_qppl(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, "Số: 05/2020/QĐ-UBND", NULL);
    assert_int_equal(m.num, 5);
    assert_int_equal(m.year_in_number, 2020);
    assert_true(m.flags & TEXT_META_QPPL);
    FIELD(&m, NUMBER, "05/2020/QĐ-UBND");
    FIELD(&m, NUMBER_KEY, "5/2020/qd-ubnd");
    FIELD(&m, TYPE_CODE, "QĐ");
    FIELD(&m, ISSUER_CODE, "UBND");
    text_meta_release(&m);
}

static void test_case03_cong_van(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, "Số: 1234 /UBND-VP", NULL);
    assert_int_equal(m.num, 1234);
    FIELD(&m, NUMBER, "1234/UBND-VP");
    FIELD(&m, TYPE, "Công văn");
    FIELD(&m, TYPE_CODE, NULL);
    FIELD(&m, ISSUER_CODE, "UBND");
    FIELD(&m, UNIT, "VP");
    text_meta_release(&m);
}

static void test_case04_damaged_label(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, "Sô: 45/TTr-STTTT", NULL);
    assert_int_equal(m.num, 45);
    FIELD(&m, NUMBER, "45/TTr-STTTT");
    FIELD(&m, TYPE_CODE, "TTr");
    FIELD(&m, TYPE, "Tờ trình");
    FIELD(&m, ISSUER_CODE, "STTTT");
    assert_true(m.conf[TEXT_META_NUMBER] < 90); /* the label was repaired */
    text_meta_release(&m);
}

static void test_case05_ocr_digits(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, "S6: 3O/QD\u2013UBND", NULL);
    assert_int_equal(m.num, 30);
    FIELD(&m, NUMBER, "30/QĐ-UBND");
    FIELD(&m, SYMBOL, "QĐ-UBND");
    FIELD(&m, TYPE_CODE, "QĐ");
    text_meta_release(&m);
}

static void test_case06_party(void **state)
{
    struct text_meta m;
    struct numparse np;

    (void)state;
    assert_true(line_number("Số 36-HD/VPTW", &np));
    assert_true(np.party);
    assert_int_equal(np.num, 36);
    assert_string_equal(np.seg[0], "HD");
    assert_string_equal(np.seg[1], "VPTW");

    run(&m, "Số 36-HD/VPTW", NULL);
    assert_true(m.flags & TEXT_META_PARTY);
    assert_int_equal(m.num, 36);
    FIELD(&m, NUMBER, "36-HD/VPTW");
    FIELD(&m, NUMBER_KEY, "36-hd/vptw");
    FIELD(&m, TYPE_CODE, "HD");
    FIELD(&m, TYPE, "Hướng dẫn");
    FIELD(&m, ISSUER_CODE, "VPTW");
    text_meta_release(&m);
}

static void test_case07_unnumbered(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, "Số:      /C\u00D0-UBND", NULL);
    assert_int_equal(m.num, -1);
    assert_true(m.flags & TEXT_META_UNNUMBERED);
    FIELD(&m, NUMBER, NULL);
    FIELD(&m, NUMBER_KEY, NULL);
    FIELD(&m, SYMBOL, "CĐ-UBND");
    FIELD(&m, TYPE_CODE, "CĐ");
    FIELD(&m, TYPE, "Công điện");
    text_meta_release(&m);
}

static void test_case08_date_ocr(void **state)
{
    char place[64];
    int y, mo, d;

    (void)state;
    assert_true(line_date("Nam \u00D0ịnh, ngảy 2O thảng 5 nãm 2016", place, sizeof(place), &y,
                          &mo, &d));
    assert_string_equal(place, "Nam Định");
    assert_int_equal(y, 2016);
    assert_int_equal(mo, 5);
    assert_int_equal(d, 20);
}

static void test_case09_date_blank_day(void **state)
{
    char place[64];
    int y, mo, d;

    (void)state;
    assert_true(line_date("Nam Định, ngày      tháng 5 năm 2016", place, sizeof(place), &y, &mo,
                          &d));
    assert_string_equal(place, "Nam Định");
    assert_int_equal(y, 2016);
    assert_int_equal(mo, 5);
    assert_int_equal(d, 0);
    /* The template's dotted blank too. */
    assert_true(line_date("Hà Nội, ngày …… tháng 02 năm 2021", place, sizeof(place), &y, &mo,
                          &d));
    assert_string_equal(place, "Hà Nội");
    assert_int_equal(mo, 2);
    assert_int_equal(d, 0);
}

static void test_case08_09_in_page(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "ỦY BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Nam \u00D0ịnh, ngảy 2O thảng 5 nãm 2016\n",
        NULL);
    FIELD(&m, PLACE, "Nam Định");
    FIELD(&m, ISSUED, "2016-05-20");
    FIELD(&m, AGENCY, "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH");
    text_meta_release(&m);

    run(&m,
        "ỦY BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nSố:   /KH-UBND\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Nam Định, ngày      tháng 5 năm 2016\n",
        NULL);
    FIELD(&m, ISSUED, "2016-05");
    FIELD(&m, PLACE, "Nam Định");
    FIELD(&m, TYPE, "Kế hoạch");
    text_meta_release(&m);
}

static void test_case10_merged_columns(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, "Số: 45/KH-UBND      Nam Định, ngày 03 tháng 02 năm 2021", NULL);
    assert_int_equal(m.num, 45);
    FIELD(&m, NUMBER, "45/KH-UBND");
    FIELD(&m, TYPE_CODE, "KH");
    FIELD(&m, TYPE, "Kế hoạch");
    FIELD(&m, PLACE, "Nam Định");
    FIELD(&m, ISSUED, "2021-02-03");
    text_meta_release(&m);
    /* Glued with a single space, as some OCR output is. */
    run(&m, "Số: 45/KH-UBND Nam Định, ngày 03 tháng 02 năm 2021", NULL);
    FIELD(&m, PLACE, "Nam Định");
    FIELD(&m, ISSUED, "2021-02-03");
    text_meta_release(&m);
}

static void test_number_variants(void **state)
{
    struct numparse np;
    struct text_meta m;

    (void)state;
    /* Spacing noise. */
    run(&m, "Số:123/ QĐ - UBND", NULL);
    FIELD(&m, NUMBER, "123/QĐ-UBND");
    text_meta_release(&m);
    /* Year followed by a dash. */
    assert_true(line_number("Số: 82/2005-QĐ-UBND", &np));
    assert_int_equal(np.num, 82);
    assert_int_equal(np.year, 2005);
    /* Three segments; a unit after the issuer. */
    run(&m, "Số: 218/QĐ-UBND-TH", NULL);
    FIELD(&m, ISSUER_CODE, "UBND");
    FIELD(&m, UNIT, "TH");
    text_meta_release(&m);
    /* QPPL of the central government. */
    run(&m, "Số: 30/2020/NĐ-CP", NULL);
    FIELD(&m, TYPE, "Nghị định");
    FIELD(&m, TYPE_CODE, "NĐ");
    FIELD(&m, ISSUER_CODE, "CP");
    FIELD(&m, NUMBER_KEY, "30/2020/nd-cp");
    text_meta_release(&m);
    /* HDND -> HĐND; l read as 1. */
    run(&m, "Số: l2/2016/NQ-HDND", NULL);
    FIELD(&m, NUMBER, "12/2016/NQ-HĐND");
    text_meta_release(&m);
    /* Upper-cased mixed codes get their canonical case. */
    run(&m, "Số: 7/TTR-SNV", NULL);
    FIELD(&m, TYPE_CODE, "TTr");
    FIELD(&m, NUMBER, "7/TTr-SNV");
    text_meta_release(&m);
    /* Refused: no digit for sure, a third slash, a lower-case symbol, a
     * word after the label. */
    assert_false(line_number("Số: lO/QĐ-UBND", &np));
    assert_false(line_number("Số: 123/HD/NN", &np));
    assert_false(line_number("Số: 123/qd-ubnd", &np));
    assert_false(line_number("Số đầu tiên được phát sóng", &np));
    assert_false(line_number("Sở Nội vụ", &np));
    assert_false(line_number("Căn cứ Quyết định số 123/QĐ-UBND", &np));
    assert_false(line_number("Số: 27/QĐ", &np));
    /* A one-segment symbol parses, but alone does not make a document. */
    assert_true(line_number("Số: 123/UB", &np));
    run(&m, "Số: 123/UB", NULL);
    NOT_OFFICIAL(&m);
    text_meta_release(&m);
    run(&m, "Số: 123/UB\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n", NULL);
    FIELD(&m, NUMBER, "123/UB");
    FIELD(&m, TYPE, "Công văn");
    text_meta_release(&m);
}

static void test_date_refusals(void **state)
{
    char place[64];
    int y, mo, d;

    (void)state;
    /* Not a calendar date. */
    assert_false(line_date("Hà Nội, ngày 30 tháng 02 năm 2021", place, sizeof(place), &y, &mo, &d));
    assert_false(line_date("Hà Nội, ngày 3 tháng 13 năm 2021", place, sizeof(place), &y, &mo, &d));
    assert_false(line_date("Hà Nội, ngày 3 tháng 1 năm 1890", place, sizeof(place), &y, &mo, &d));
    /* Prose before the comma: not a date line. */
    assert_false(line_date("Hội nghị được tổ chức long trọng tại thành phố Nam Định, ngày 3 "
                           "tháng 1 năm 2021",
                           place, sizeof(place), &y, &mo, &d));
    /* 29 February of a leap year is fine. */
    assert_true(line_date("Hà Nội, ngày 29 tháng 02 năm 2020", place, sizeof(place), &y, &mo, &d));
    assert_int_equal(d, 29);
}

/* ------------------------------------------------------------------ */
/* vietnamese.md §(c) 11-15: whole pages */

static const char page_qd[] =
    "ỦY BAN NHÂN DÂN\n"
    "TỈNH NAM ĐỊNH\n"
    "___\n"
    "Số: 512/QĐ-UBND\n"
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Độc lập - Tự do - Hạnh phúc\n"
    "________________________\n"
    "Nam Định, ngày 10 tháng 3 năm 2021\n"
    "\n"
    "QUYẾT ĐỊNH\n"
    "Về việc phê duyệt Kế hoạch chuyển đổi số\n"
    "năm 2021 của tỉnh Nam Định\n"
    "______\n"
    "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH\n"
    "\n"
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;\n"
    "Căn cứ Quyết định số 749/QĐ-TTg ngày 03/6/2020 của Thủ tướng Chính phủ;\n"
    "Theo đề nghị của Giám đốc Sở Thông tin và Truyền thông,\n"
    "\n"
    "QUYẾT ĐỊNH:\n"
    "\n"
    "Điều 1. Phê duyệt Kế hoạch chuyển đổi số năm 2021 của tỉnh Nam Định.\n";

static const char page_qd_last[] =
    "Điều 3. Chánh Văn phòng UBND tỉnh, Giám đốc Sở Thông tin và Truyền thông và các\n"
    "cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành Quyết định này./.\n"
    "\n"
    "Nơi nhận:\n"
    "- Như Điều 3;\n"
    "- Bộ Thông tin và Truyền thông;\n"
    "- Lưu: VT, VP5.\n"
    "KT. CHỦ TỊCH\n"
    "PHÓ CHỦ TỊCH\n"
    "(Đã ký)\n"
    "\n"
    "Trần Văn Hùng\n";

static void test_case11_quyet_dinh(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, page_qd, page_qd_last);
    assert_true(m.flags & TEXT_META_OFFICIAL);
    assert_false(m.flags & TEXT_META_SYM_SUSPECT);
    FIELD(&m, AGENCY, "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH");
    FIELD(&m, PARENT_AGENCY, NULL);
    FIELD(&m, NUMBER, "512/QĐ-UBND");
    FIELD(&m, TYPE, "Quyết định");
    FIELD(&m, TYPE_CODE, "QĐ");
    FIELD(&m, ISSUER_CODE, "UBND");
    FIELD(&m, PLACE, "Nam Định");
    FIELD(&m, ISSUED, "2021-03-10");
    FIELD(&m, SUBJECT, "Về việc phê duyệt Kế hoạch chuyển đổi số năm 2021 của tỉnh Nam Định");
    FIELD(&m, TITLE, "Quyết định 512/QĐ-UBND về việc phê duyệt Kế hoạch chuyển đổi số năm "
                     "2021 của tỉnh Nam Định");
    FIELD(&m, SIGNER, "Trần Văn Hùng");
    FIELD(&m, SIGNER_TITLE, "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH");
    FIELD(&m, SECRECY, NULL);
    FIELD(&m, URGENCY, NULL);
    FIELD(&m, LANG, "vi");
    text_meta_release(&m);
}

static const char page_cv[] =
    "UBND TỈNH NAM ĐỊNH\n"
    "SỞ THÔNG TIN VÀ TRUYỀN THÔNG\n"
    "_______\n"
    "Số: 1502/STTTT-BCVT\n"
    "V/v triển khai chữ ký số\n"
    "cho cán bộ, công chức\n"
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Độc lập - Tự do - Hạnh phúc\n"
    "_______________________\n"
    "Nam Định, ngày 15 tháng 9 năm 2021\n"
    "\n"
    "Kính gửi:\n"
    "- Các sở, ban, ngành;\n"
    "- UBND các huyện, thành phố.\n"
    "\n"
    "Thực hiện Kế hoạch số 45/KH-UBND ngày 03/02/2021 của UBND tỉnh, Sở Thông tin và Truyền\n"
    "thông đề nghị các cơ quan, đơn vị triển khai chữ ký số chuyên dùng như sau:\n"
    "\n"
    "Nơi nhận:\n"
    "- Như trên;\n"
    "- Lưu: VT, BCVT.\n"
    "GIÁM ĐỐC\n"
    "(Đã ký)\n"
    "Nguyễn Thanh Bình\n";

static void test_case12_cong_van(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, page_cv, NULL);
    FIELD(&m, PARENT_AGENCY, "UBND TỈNH NAM ĐỊNH");
    FIELD(&m, AGENCY, "SỞ THÔNG TIN VÀ TRUYỀN THÔNG");
    FIELD(&m, NUMBER, "1502/STTTT-BCVT");
    FIELD(&m, TYPE, "Công văn");
    FIELD(&m, TYPE_CODE, NULL);
    FIELD(&m, ISSUER_CODE, "STTTT");
    FIELD(&m, UNIT, "BCVT");
    FIELD(&m, SUBJECT, "triển khai chữ ký số cho cán bộ, công chức");
    FIELD(&m, TITLE,
          "Công văn 1502/STTTT-BCVT về việc triển khai chữ ký số cho cán bộ, công chức");
    FIELD(&m, PLACE, "Nam Định");
    FIELD(&m, ISSUED, "2021-09-15");
    FIELD(&m, SIGNER, "Nguyễn Thanh Bình");
    FIELD(&m, SIGNER_TITLE, "GIÁM ĐỐC");
    text_meta_release(&m);
}

static void test_case13_signer(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, page_qd, "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n(Đã ký)\nTrần Văn Hùng\n");
    FIELD(&m, SIGNER_TITLE, "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH");
    FIELD(&m, SIGNER, "Trần Văn Hùng");
    text_meta_release(&m);

    /* A three-line authority, and the "Nơi nhận" column glued on. */
    run(&m, page_qd,
        "Nơi nhận: TM. ỦY BAN NHÂN DÂN\n"
        "- Như Điều 3; KT. CHỦ TỊCH\n"
        "- Lưu: VT. PHÓ CHỦ TỊCH\n"
        "\n"
        "Trần Văn Hùng\n");
    FIELD(&m, SIGNER_TITLE, "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH");
    FIELD(&m, SIGNER, "Trần Văn Hùng");
    text_meta_release(&m);

    /* The same with wide gaps (pdftotext -layout). */
    run(&m, page_qd,
        "Nơi nhận:                                 KT. CHỦ TỊCH\n"
        "- Như Điều 3;                             PHÓ CHỦ TỊCH\n"
        "- Lưu: VT, VP5.\n"
        "                                          (Đã ký)\n"
        "                                          Trần Văn Hùng\n");
    FIELD(&m, SIGNER_TITLE, "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH");
    FIELD(&m, SIGNER, "Trần Văn Hùng");
    text_meta_release(&m);

    /* No name under the title: no signer at all. */
    run(&m, page_qd, "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n(Đã ký)\n");
    FIELD(&m, SIGNER, NULL);
    FIELD(&m, SIGNER_TITLE, NULL);
    text_meta_release(&m);
}

static void test_case14_urgency(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "ỦY BAN NHÂN DÂN\n"
        "TỈNH NAM ĐỊNH\n"
        "Số: 88/UBND-NC\n"
        "V/v tăng cường công tác bảo vệ bí mật nhà nước\n"
        "HOẢ TỐC\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "Nam Định, ngày 02 tháng 8 năm 2021\n"
        "Kính gửi: Các sở, ban, ngành.\n"
        "Để bảo vệ bí mật nhà nước, Ủy ban nhân dân tỉnh yêu cầu các cơ quan thực hiện nghiêm…\n"
        "MẬT khẩn trương là từ trong thân bài, không phải dấu.\n",
        NULL);
    FIELD(&m, URGENCY, "HỎA TỐC");
    FIELD(&m, SECRECY, NULL);
    FIELD(&m, AGENCY, "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH");
    FIELD(&m, SUBJECT, "tăng cường công tác bảo vệ bí mật nhà nước");
    FIELD(&m, TYPE, "Công văn");
    text_meta_release(&m);
}

static void test_case15_secrecy(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "MẶT TRẬN TỔ QUỐC VIỆT NAM TỈNH NAM ĐỊNH\n"
        "MẬT\n"
        "Số: 17/BC-MTTQ\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "Nam Định, ngày 20 tháng 12 năm 2021\n"
        "BÁO CÁO\n"
        "Tình hình tư tưởng của nhân dân năm 2021\n",
        NULL);
    FIELD(&m, SECRECY, "MẬT");
    FIELD(&m, URGENCY, NULL);
    FIELD(&m, AGENCY, "MẶT TRẬN TỔ QUỐC VIỆT NAM TỈNH NAM ĐỊNH");
    FIELD(&m, TYPE, "Báo cáo");
    FIELD(&m, SUBJECT, "Tình hình tư tưởng của nhân dân năm 2021");
    text_meta_release(&m);
}

static void test_marks_other(void **state)
{
    struct text_meta m;

    (void)state;
    /* Framed stamps, a scope mark, and a lost-diacritic two-word stamp. */
    run(&m,
        "BỘ NỘI VỤ\n"
        "| TỐI MẬT |\n"
        "[THƯỢNG KHẨN]\n"
        "LƯU HÀNH NỘI BỘ\n"
        "Số: 3/BNV-VP\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Hà Nội, ngày 05 tháng 01 năm 2020\n",
        NULL);
    FIELD(&m, SECRECY, "TỐI MẬT");
    FIELD(&m, URGENCY, "THƯỢNG KHẨN");
    FIELD(&m, SCOPE, "LƯU HÀNH NỘI BỘ");
    FIELD(&m, AGENCY, "BỘ NỘI VỤ");
    text_meta_release(&m);

    run(&m, "BỘ NỘI VỤ\nTOI MAT\nKHAN\nSố: 3/BNV-VP\n", NULL);
    FIELD(&m, SECRECY, "TỐI MẬT");
    FIELD(&m, URGENCY, "KHẨN");
    assert_true(m.conf[TEXT_META_SECRECY] < m.conf[TEXT_META_NUMBER]);
    text_meta_release(&m);
}

/* ------------------------------------------------------------------ */
/* One page per document type of Phụ lục III, in two layouts */

struct tcase {
    const char *line;    /* the type line as printed */
    const char *code;    /* its code in the symbol */
    const char *name;    /* expected type */
    const char *subject; /* trích yếu, or NULL when the form has none */
};

static const struct tcase tcases[] = {
    {"NGHỊ QUYẾT", "NQ", "Nghị quyết", "Về việc thông qua danh mục dự án đầu tư công năm 2021"},
    {"QUYẾT ĐỊNH", "QĐ", "Quyết định", "Về việc thành lập Tổ công tác chuyển đổi số"},
    {"CHỈ THỊ", "CT", "Chỉ thị", "Về tăng cường bảo đảm an toàn, an ninh mạng"},
    {"QUY CHẾ", "QC", "Quy chế", "Quản lý, vận hành Hệ thống quản lý văn bản và điều hành"},
    {"QUY ĐỊNH", "QyĐ", "Quy định", "Về công tác văn thư, lưu trữ của Sở"},
    {"THÔNG CÁO", "TC", "Thông cáo", "Kết quả kỳ họp thứ hai Hội đồng nhân dân tỉnh"},
    {"THÔNG BÁO", "TB", "Thông báo", "Kết luận của Giám đốc Sở tại cuộc họp giao ban tháng 4"},
    {"HƯỚNG DẪN", "HD", "Hướng dẫn", "Thực hiện chế độ báo cáo thống kê năm 2021"},
    {"CHƯƠNG TRÌNH", "CTr", "Chương trình", "Công tác năm 2021 của Sở Nội vụ"},
    {"KẾ HOẠCH", "KH", "Kế hoạch", "Triển khai dịch vụ công trực tuyến mức độ 3, 4 năm 2021"},
    {"PHƯƠNG ÁN", "PA", "Phương án", "Ứng phó với mưa lũ năm 2021"},
    {"ĐỀ ÁN", "ĐA", "Đề án", "Vị trí việc làm của Sở Nội vụ"},
    {"DỰ ÁN", "DA", "Dự án", "Số hóa tài liệu lưu trữ lịch sử tỉnh Nam Định"},
    {"BÁO CÁO", "BC", "Báo cáo", "Kết quả công tác cải cách hành chính quý I năm 2021"},
    {"BIÊN BẢN", "BB", "Biên bản", "Họp Hội đồng thi đua, khen thưởng Sở"},
    {"TỜ TRÌNH", "TTr", "Tờ trình", "Về việc đề nghị phê duyệt biên chế công chức năm 2021"},
    {"HỢP ĐỒNG", "HĐ", "Hợp đồng", "Về việc cung cấp dịch vụ đường truyền số liệu chuyên dùng"},
    {"CÔNG ĐIỆN", "CĐ", "Công điện", "Về việc tập trung ứng phó với bão số 2"},
    {"BẢN GHI NHỚ", "BGN", "Bản ghi nhớ", "Hợp tác phát triển chính quyền số giai đoạn 2021-2025"},
    {"BẢN THỎA THUẬN", "BTT", "Bản thỏa thuận", "Về việc phối hợp quản lý hồ sơ lưu trữ"},
    {"GIẤY UỶ QUYỀN", "GUQ", "Giấy uỷ quyền", NULL},
    {"GIẤY MỜI", "GM", "Giấy mời", "Dự Hội nghị tổng kết công tác năm 2020"},
    {"GIẤY GIỚI THIỆU", "GGT", "Giấy giới thiệu", NULL},
    {"GIẤY NGHỈ PHÉP", "GNP", "Giấy nghỉ phép", NULL},
    {"PHIẾU GỬI", "PG", "Phiếu gửi", NULL},
    {"PHIẾU CHUYỂN", "PC", "Phiếu chuyển", NULL},
    {"PHIẾU BÁO", "PB", "Phiếu báo", NULL},
};

/* Block order, as Tesseract --psm 3 reads the page: left column, right
 * column, then the centred title (Mẫu 1.4). */
static void page_blocks(char *out, size_t cap, const struct tcase *tc)
{
    int n = snprintf(out, cap,
                     "UBND TỈNH NAM ĐỊNH\n"
                     "SỞ NỘI VỤ\n"
                     "_______\n"
                     "Số: 27/%s-SNV\n"
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
                     "Độc lập - Tự do - Hạnh phúc\n"
                     "_______________________\n"
                     "Nam Định, ngày 15 tháng 4 năm 2021\n"
                     "\n"
                     "%s\n",
                     tc->code, tc->line);

    if (tc->subject != NULL)
        n += snprintf(out + n, cap - (size_t)n, "%s\n", tc->subject);
    snprintf(out + n, cap - (size_t)n,
             "_______\n"
             "\n"
             "Sở Nội vụ tỉnh Nam Định trân trọng đề nghị các cơ quan, đơn vị phối hợp "
             "thực hiện nội dung sau đây theo đúng quy định hiện hành.\n"
             "Nơi nhận:\n"
             "- Như trên;\n"
             "- Lưu: VT, TCCB.\n"
             "KT. GIÁM ĐỐC\n"
             "PHÓ GIÁM ĐỐC\n"
             "(Đã ký)\n"
             "Nguyễn Thị Lan\n");
}

/* The same page as pdftotext -layout prints it: the columns share lines. */
static void page_layout(char *out, size_t cap, const struct tcase *tc)
{
    int n = snprintf(out, cap,
                     "    UBND TỈNH NAM ĐỊNH              CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
                     "        SỞ NỘI VỤ                         Độc lập - Tự do - Hạnh phúc\n"
                     "         _______                       _______________________\n"
                     "\n"
                     "    Số: 27/%s-SNV                     Nam Định, ngày 15 tháng 4 năm 2021\n"
                     "\n"
                     "                         %s\n",
                     tc->code, tc->line);

    if (tc->subject != NULL)
        n += snprintf(out + n, cap - (size_t)n, "          %s\n", tc->subject);
    snprintf(out + n, cap - (size_t)n,
             "                           _______\n"
             "\n"
             "      Sở Nội vụ tỉnh Nam Định trân trọng đề nghị các cơ quan, đơn vị phối hợp "
             "thực hiện nội dung sau đây theo đúng quy định hiện hành.\n"
             "\n"
             "Nơi nhận:                                          KT. GIÁM ĐỐC\n"
             "- Như trên;                                       PHÓ GIÁM ĐỐC\n"
             "- Lưu: VT, TCCB.\n"
             "                                                      (Đã ký)\n"
             "\n"
             "                                                  Nguyễn Thị Lan\n");
}

static void check_tcase(const struct tcase *tc, const char *page, const char *layout)
{
    struct text_meta m;
    char num[64];
    int bilateral = strcmp(tc->code, "HĐ") == 0 || strcmp(tc->code, "BGN") == 0 ||
                    strcmp(tc->code, "BTT") == 0;

    snprintf(num, sizeof(num), "27/%s-SNV", tc->code);
    run(&m, page, NULL);
    if (text_meta_get(&m, TEXT_META_TYPE) == NULL ||
        strcmp(text_meta_get(&m, TEXT_META_TYPE), tc->name) != 0)
        fail_msg("%s (%s): type '%s'", tc->name, layout,
                 text_meta_get(&m, TEXT_META_TYPE) ? text_meta_get(&m, TEXT_META_TYPE) : "-");
    FIELD(&m, NUMBER, num);
    FIELD(&m, TYPE_CODE, tc->code);
    FIELD(&m, ISSUER_CODE, "SNV");
    FIELD(&m, AGENCY, "SỞ NỘI VỤ");
    FIELD(&m, PARENT_AGENCY, "UBND TỈNH NAM ĐỊNH");
    FIELD(&m, PLACE, "Nam Định");
    FIELD(&m, ISSUED, "2021-04-15");
    FIELD(&m, SUBJECT, tc->subject);
    /* Contracts and agreements are signed by both parties: no one signer. */
    FIELD(&m, SIGNER, bilateral ? NULL : "Nguyễn Thị Lan");
    FIELD(&m, SIGNER_TITLE, bilateral ? NULL : "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC");
    assert_false(m.flags & TEXT_META_SYM_SUSPECT);
    text_meta_release(&m);
}

static void test_all_types(void **state)
{
    char page[4096];

    (void)state;
    for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
        page_blocks(page, sizeof(page), &tcases[i]);
        check_tcase(&tcases[i], page, "blocks");
        page_layout(page, sizeof(page), &tcases[i]);
        check_tcase(&tcases[i], page, "layout");
    }
}

/* ------------------------------------------------------------------ */
/* Realistic forms with their own features */

static void test_nghi_quyet_hdnd(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "HỘI ĐỒNG NHÂN DÂN\n"
        "TỈNH NAM ĐỊNH\n"
        "Số: 20/2016/NQ-HĐND\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "Nam Định, ngày 08 tháng 12 năm 2016\n"
        "NGHỊ QUYẾT\n"
        "Quy định mức chi bảo đảm cho công tác cải cách hành chính\n"
        "trên địa bàn tỉnh Nam Định\n"
        "HỘI ĐỒNG NHÂN DÂN TỈNH NAM ĐỊNH\n"
        "KHÓA XVIII, KỲ HỌP THỨ BA\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;\n",
        "Nghị quyết này đã được Hội đồng nhân dân tỉnh Nam Định khóa XVIII, kỳ họp thứ ba\n"
        "thông qua ngày 08 tháng 12 năm 2016./.\n"
        "CHỦ TỊCH\n"
        "(Đã ký)\n"
        "Trần Văn Chung\n");
    FIELD(&m, NUMBER, "20/2016/NQ-HĐND");
    FIELD(&m, NUMBER_KEY, "20/2016/nq-hdnd");
    assert_true(m.flags & TEXT_META_QPPL);
    assert_int_equal(m.year_in_number, 2016);
    FIELD(&m, TYPE, "Nghị quyết");
    FIELD(&m, AGENCY, "HỘI ĐỒNG NHÂN DÂN TỈNH NAM ĐỊNH");
    FIELD(&m, ISSUER_CODE, "HĐND");
    FIELD(&m, ISSUED, "2016-12-08");
    FIELD(&m, SUBJECT, "Quy định mức chi bảo đảm cho công tác cải cách hành chính trên địa "
                       "bàn tỉnh Nam Định");
    FIELD(&m, SIGNER_TITLE, "CHỦ TỊCH");
    FIELD(&m, SIGNER, "Trần Văn Chung");
    text_meta_release(&m);
}

static void test_to_trinh(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "UBND TỈNH NAM ĐỊNH\n"
        "SỞ NỘI VỤ\n"
        "Số: 45/TTr-SNV\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "Nam Định, ngày 22 tháng 6 năm 2021\n"
        "TỜ TRÌNH\n"
        "Về việc phê duyệt Đề án vị trí việc làm\n"
        "Kính gửi: Ủy ban nhân dân tỉnh Nam Định.\n"
        "Căn cứ Nghị định số 62/2020/NĐ-CP ngày 01/6/2020 của Chính phủ;\n",
        NULL);
    FIELD(&m, TYPE, "Tờ trình");
    FIELD(&m, TYPE_CODE, "TTr");
    FIELD(&m, SUBJECT, "Về việc phê duyệt Đề án vị trí việc làm");
    FIELD(&m, TITLE, "Tờ trình 45/TTr-SNV về việc phê duyệt Đề án vị trí việc làm");
    assert_int_equal(m.ndates, 2);
    assert_int_equal(m.dates[0].year, 2021);
    assert_int_equal(m.dates[0].month, 6);
    assert_int_equal(m.dates[0].day, 22);
    assert_int_equal(m.dates[1].year, 2020);
    assert_int_equal(m.dates[1].month, 6);
    assert_int_equal(m.dates[1].day, 1);
    text_meta_release(&m);
}

static void test_cong_dien(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "ỦY BAN NHÂN DÂN\n"
        "TỈNH NAM ĐỊNH\n"
        "Số: 02/CĐ-UBND\n"
        "HỎA TỐC\n"
        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "Nam Định, ngày 10 tháng 9 năm 2021\n"
        "CÔNG ĐIỆN\n"
        "Về việc tập trung ứng phó với bão số 5\n"
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH điện:\n"
        "- Chủ tịch UBND các huyện, thành phố;\n",
        "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\n\n\nPhạm Đình Nghị\n");
    FIELD(&m, TYPE, "Công điện");
    FIELD(&m, URGENCY, "HỎA TỐC");
    FIELD(&m, SUBJECT, "Về việc tập trung ứng phó với bão số 5");
    FIELD(&m, SIGNER_TITLE, "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH");
    FIELD(&m, SIGNER, "Phạm Đình Nghị");
    text_meta_release(&m);
}

static void test_subject_without_rule(void **state)
{
    struct text_meta m;

    (void)state;
    /* OCR lost the rule under the summary: the body's first line must not
     * be read as more summary. */
    run(&m,
        "SỞ NỘI VỤ\nSố: 31/TB-SNV\nNam Định, ngày 12 tháng 3 năm 2021\n"
        "THÔNG BÁO\n"
        "Kết luận của Giám đốc Sở tại cuộc họp giao ban\n"
        "tháng 3 năm 2021\n"
        "Ngày 10/3/2021, Giám đốc Sở Nội vụ chủ trì cuộc họp giao ban\n"
        "với các phòng, đơn vị thuộc Sở.\n",
        NULL);
    FIELD(&m, SUBJECT, "Kết luận của Giám đốc Sở tại cuộc họp giao ban tháng 3 năm 2021");
    text_meta_release(&m);

    run(&m,
        "SỞ NỘI VỤ\nSố: 32/SNV-VP\nV/v báo cáo kết quả thực hiện\n"
        "Thực hiện Công văn số 12/UBND-VP của UBND tỉnh, Sở Nội vụ báo cáo như sau:\n",
        NULL);
    FIELD(&m, SUBJECT, "báo cáo kết quả thực hiện");
    text_meta_release(&m);
}

static void test_giay_moi(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "UBND TỈNH NAM ĐỊNH\n"
        "VĂN PHÒNG\n"
        "Số: 12/GM-VP\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "Nam Định, ngày 05 tháng 01 năm 2022\n"
        "GIẤY MỜI\n"
        "Dự Hội nghị tổng kết công tác văn thư, lưu trữ năm 2021\n"
        "Văn phòng UBND tỉnh trân trọng kính mời: Đại diện lãnh đạo các sở, ngành.\n"
        "Thời gian: 08 giờ 00, ngày 10 tháng 01 năm 2022.\n",
        NULL);
    FIELD(&m, TYPE, "Giấy mời");
    FIELD(&m, AGENCY, "VĂN PHÒNG");
    FIELD(&m, PARENT_AGENCY, "UBND TỈNH NAM ĐỊNH");
    FIELD(&m, SUBJECT, "Dự Hội nghị tổng kết công tác văn thư, lưu trữ năm 2021");
    FIELD(&m, TITLE, "Giấy mời 12/GM-VP dự Hội nghị tổng kết công tác văn thư, lưu trữ năm 2021");
    FIELD(&m, ISSUED, "2022-01-05");
    text_meta_release(&m);
}

static void test_bien_ban(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "SỞ NỘI VỤ\n"
        "PHÒNG CÔNG CHỨC, VIÊN CHỨC\n"
        "Số: 03/BB-CCVC\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "BIÊN BẢN\n"
        "Họp xét nâng bậc lương trước thời hạn năm 2021\n"
        "\n"
        "Thời gian bắt đầu: 14 giờ 00, ngày 20 tháng 10 năm 2021\n"
        "Địa điểm: Phòng họp Sở Nội vụ\n",
        "Cuộc họp kết thúc vào 16 giờ 30, ngày 20 tháng 10 năm 2021./.\n"
        "THƯ KÝ                                    CHỦ TỌA\n"
        "(Chữ ký)                                  (Chữ ký)\n"
        "Lê Thị Mai                                Đỗ Văn Toàn\n");
    FIELD(&m, TYPE, "Biên bản");
    FIELD(&m, AGENCY, "PHÒNG CÔNG CHỨC, VIÊN CHỨC");
    FIELD(&m, PARENT_AGENCY, "SỞ NỘI VỤ");
    FIELD(&m, SUBJECT, "Họp xét nâng bậc lương trước thời hạn năm 2021");
    /* A biên bản has no date line in its header. */
    FIELD(&m, ISSUED, NULL);
    FIELD(&m, SIGNER_TITLE, "CHỦ TỌA");
    FIELD(&m, SIGNER, "Đỗ Văn Toàn");
    text_meta_release(&m);
}

static void test_hop_dong(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG\n"
        "TRUNG TÂM CÔNG NGHỆ THÔNG TIN\n"
        "Số: 15/2021/HĐ-TTCNTT\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "Nam Định, ngày 02 tháng 3 năm 2021\n"
        "HỢP ĐỒNG\n"
        "Về việc thuê dịch vụ lưu trữ dữ liệu\n"
        "Căn cứ Bộ luật Dân sự số 91/2015/QH13 ngày 24 tháng 11 năm 2015;\n",
        "ĐẠI DIỆN BÊN A                         ĐẠI DIỆN BÊN B\n"
        "GIÁM ĐỐC                               GIÁM ĐỐC\n"
        "Nguyễn Văn Nam                         Trần Thị Hoa\n");
    FIELD(&m, TYPE, "Hợp đồng");
    FIELD(&m, TYPE_CODE, "HĐ");
    FIELD(&m, NUMBER, "15/2021/HĐ-TTCNTT");
    FIELD(&m, PARENT_AGENCY, "SỞ THÔNG TIN VÀ TRUYỀN THÔNG");
    FIELD(&m, AGENCY, "TRUNG TÂM CÔNG NGHỆ THÔNG TIN");
    FIELD(&m, SUBJECT, "Về việc thuê dịch vụ lưu trữ dữ liệu");
    FIELD(&m, SIGNER, NULL);
    text_meta_release(&m);
}

static void test_type_conflicts(void **state)
{
    struct text_meta m;

    (void)state;
    /* OCR lost the Đ of HĐ: the type line decides, the symbol is suspect. */
    run(&m,
        "TRUNG TÂM CÔNG NGHỆ THÔNG TIN\nSố: 15/HD-TTCNTT\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nNam Định, ngày 02 tháng 3 năm 2021\n"
        "HỢP ĐỒNG\nVề việc thuê dịch vụ lưu trữ dữ liệu\n",
        NULL);
    FIELD(&m, TYPE, "Hợp đồng");
    FIELD(&m, TYPE_CODE, "HĐ");
    FIELD(&m, NUMBER, "15/HD-TTCNTT");
    assert_true(m.flags & TEXT_META_SYM_SUSPECT);
    text_meta_release(&m);

    /* Thanh tra writes TTr: with a V/v line it is a công văn from TTr. */
    run(&m,
        "UBND TỈNH NAM ĐỊNH\nTHANH TRA TỈNH\nSố: 210/TTr-NV3\nV/v cung cấp hồ sơ thanh tra\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nNam Định, ngày 02 tháng 3 năm 2021\n",
        NULL);
    FIELD(&m, TYPE, "Công văn");
    FIELD(&m, TYPE_CODE, NULL);
    FIELD(&m, ISSUER_CODE, "TTr");
    FIELD(&m, UNIT, "NV3");
    FIELD(&m, SUBJECT, "cung cấp hồ sơ thanh tra");
    FIELD(&m, AGENCY, "THANH TRA TỈNH");
    assert_true(m.flags & TEXT_META_SYM_SUSPECT);
    text_meta_release(&m);
}

/* ------------------------------------------------------------------ */
/* Degraded input */

static void test_lost_diacritics(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "UY BAN NHAN DAN\n"
        "TINH NAM DINH\n"
        "So: 512/QD-UBND\n"
        "CONG HOA XA HOI CHU NGHIA VIET NAM\n"
        "Doc lap - Tu do - Hanh phuc\n"
        "Nam Dinh, ngay 10 thang 3 nam 2021\n"
        "QUYET DINH\n"
        "Ve viec phe duyet Ke hoach chuyen doi so\n"
        "nam 2021 cua tinh Nam Dinh\n"
        "CHU TICH UY BAN NHAN DAN TINH NAM DINH\n"
        "Can cu Luat To chuc chinh quyen dia phuong;\n",
        "KT. CHU TICH\nPHO CHU TICH\n(Da ky)\nTran Van Hung\n");
    FIELD(&m, NUMBER, "512/QĐ-UBND");
    FIELD(&m, NUMBER_KEY, "512/qd-ubnd");
    FIELD(&m, TYPE, "Quyết định");
    FIELD(&m, AGENCY, "UY BAN NHAN DAN TINH NAM DINH");
    FIELD(&m, PLACE, "Nam Dinh");
    FIELD(&m, ISSUED, "2021-03-10");
    FIELD(&m, SUBJECT, "Ve viec phe duyet Ke hoach chuyen doi so nam 2021 cua tinh Nam Dinh");
    FIELD(&m, SIGNER_TITLE, "KT. CHU TICH / PHO CHU TICH");
    FIELD(&m, SIGNER, "Tran Van Hung");
    FIELD(&m, LANG, "vi");
    assert_true(m.conf[TEXT_META_NUMBER] < 90);
    text_meta_release(&m);
}

static void test_ocr_confusions(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "ỦY BAN NHÂN DÂN\n"
        "TỈNH NAM ÐỊNH\n"
        "|  Sô: 5l2/QÐ — UBND\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập – Tự do – Hạnh phúc\n"
        "Nam Ðịnh, ngảy l0 thảng O3 nãm 2O21\n"
        "QUYỂT ĐỊNF\n"
        "Về việc phê duyệt Kế hoạch chuyển đổi số\n",
        NULL);
    FIELD(&m, NUMBER, "512/QĐ-UBND");
    FIELD(&m, AGENCY, "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH");
    FIELD(&m, PLACE, "Nam Định");
    FIELD(&m, ISSUED, "2021-03-10");
    FIELD(&m, TYPE, "Quyết định");
    assert_true(m.conf[TEXT_META_TYPE] < 90); /* one edit away */
    assert_true(m.conf[TEXT_META_ISSUED] < 90);
    FIELD(&m, SUBJECT, "Về việc phê duyệt Kế hoạch chuyển đổi số");
    text_meta_release(&m);

    /* Two edits away from anything: no type line. */
    run(&m, "SỞ NỘI VỤ\nSố: 5/SNV-VP\nQUYXT ĐXNH\nVề việc phê duyệt\n", NULL);
    FIELD(&m, TYPE, "Công văn");
    FIELD(&m, SUBJECT, NULL);
    text_meta_release(&m);
}

/* Pages are read through text/norm's cleanup, the index's, with OCR's
 * punctuation repaired on top: '\\' read for '/', '~' for '-', box
 * frames "[ ]". */
static void test_page_ocr_punctuation(void **state)
{
    struct numparse np;
    struct text_meta m;

    (void)state;
    run(&m, "Số: 123\\QĐ~UBND", NULL);
    FIELD(&m, NUMBER, "123/QĐ-UBND");
    text_meta_release(&m);
    assert_true(line_number("[Số: 45/KH-UBND]", &np));
    assert_int_equal(np.num, 45);
    assert_string_equal(np.seg[1], "UBND");
}

/* Every space separator is a space (U+2000-200A, U+205F, U+1680 ...) and
 * every line separator a line end (\v, NEL, U+2028, U+2029), for the
 * extractor as for the index. */
static void test_page_separators(void **state)
{
    char place[64];
    int y, mo, d;
    struct text_meta m;

    (void)state;
    run(&m, "Số:\u2003" "512/QĐ\u2009-\u2009UBND", NULL);
    FIELD(&m, NUMBER, "512/QĐ-UBND");
    text_meta_release(&m);
    assert_true(line_date("Nam\u2002Định,\u200a" "ngày\u2000" "10 tháng\u205f" "3 năm\u1680" "2021",
                          place, sizeof(place), &y, &mo, &d));
    assert_string_equal(place, "Nam Định");
    assert_int_equal(y, 2021);
    assert_int_equal(mo, 3);
    assert_int_equal(d, 10);
    run(&m,
        "ỦY BAN NHÂN DÂN\u2028TỈNH NAM ĐỊNH\v___\xc2\x85Số: 512/QĐ-UBND\u2029"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n",
        NULL);
    FIELD(&m, AGENCY, "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH");
    FIELD(&m, NUMBER, "512/QĐ-UBND");
    text_meta_release(&m);
}

/* A control character reads as a space, as in the index: a Word table's
 * cell mark between the header columns must not glue them. */
static void test_page_controls(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m, "Số: 12/QĐ-UBND\aHà Nội, ngày 5 tháng 3 năm 2021\x01", NULL);
    FIELD(&m, NUMBER, "12/QĐ-UBND");
    FIELD(&m, PLACE, "Hà Nội");
    FIELD(&m, ISSUED, "2021-03-05");
    text_meta_release(&m);
}

static void test_nfd_crlf(void **state)
{
    struct text_meta m;

    (void)state;
    /* Decomposed input with marks in non-canonical order (circumflex
     * before dot below), and CRLF line ends. */
    run(&m,
        "U\u0309Y BAN NHA\u0302N DA\u0302N\r\n"
        "TI\u0309NH NAM \u0110I\u0323NH\r\n"
        "So\u0302\u0301: 9/QD-UBND\r\n"
        "CO\u0302\u0323NG HO\u0300A XA\u0303 HO\u0302\u0323I "
        "CHU\u0309 NGHI\u0303A VIE\u0302\u0323T NAM\r\n"
        "Nam \u0110i\u0323nh, nga\u0300y 1 tha\u0301ng 7 na\u0306m 2021\r\n"
        "QUYE\u0302\u0301T \u0110I\u0323NH\r\n"
        "Ve\u0302\u0300 vie\u0323\u0302c ba\u0309o ve\u0323\u0302 bi\u0301 ma\u0323\u0302t\r\n"
        "\r\n",
        NULL);
    FIELD(&m, AGENCY, "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH");
    FIELD(&m, NUMBER, "9/QĐ-UBND");
    FIELD(&m, PLACE, "Nam Định");
    FIELD(&m, ISSUED, "2021-07-01");
    FIELD(&m, SUBJECT, "Về việc bảo vệ bí mật");
    text_meta_release(&m);
}

static void test_form_feed_pages(void **state)
{
    struct text_meta m;
    char full[4096];

    (void)state;
    snprintf(full, sizeof(full), "%s\fTrang giữa không có gì.\n\f%s", page_qd, page_qd_last);
    /* The whole text for both pages. */
    assert_int_equal(text_meta_extract(full, strlen(full), full, strlen(full), &m, NULL), 0);
    FIELD(&m, NUMBER, "512/QĐ-UBND");
    FIELD(&m, SIGNER, "Trần Văn Hùng");
    text_meta_release(&m);
    /* Page 1 alone: the signature is not on it. */
    run(&m, page_qd, NULL);
    FIELD(&m, NUMBER, "512/QĐ-UBND");
    FIELD(&m, SIGNER, NULL);
    text_meta_release(&m);
}

static void test_garbage(void **state)
{
    static const char junk[] = "\xff\xfe\x80Số: 1\xc3/QĐ\x00\x01\x02 \xe1\xbb";
    struct text_meta m;
    char big[TEXT_META_PAGE_MAX + 4096];

    (void)state;
    assert_int_equal(text_meta_extract(junk, sizeof(junk) - 1, junk, sizeof(junk) - 1, &m, NULL),
                     0);
    NOT_OFFICIAL(&m);
    text_meta_release(&m);
    assert_int_equal(text_meta_extract("", 0, NULL, 0, &m, NULL), 0);
    NOT_OFFICIAL(&m);
    FIELD(&m, TITLE, NULL);
    FIELD(&m, LANG, NULL);
    text_meta_release(&m);
    /* Over the cap: read, not refused. */
    memset(big, 'a', sizeof(big));
    for (size_t i = 80; i < sizeof(big); i += 81)
        big[i] = '\n';
    memcpy(big, "Số: 7/UBND-VP\n", strlen("Số: 7/UBND-VP\n"));
    assert_int_equal(text_meta_extract(big, sizeof(big), big, sizeof(big), &m, NULL), 0);
    FIELD(&m, NUMBER, "7/UBND-VP");
    text_meta_release(&m);
}

/* ------------------------------------------------------------------ */
/* Not official documents */

static char *read_fixture(const char *name)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    FILE *f;
    char *s;
    long n;

    snprintf(path, sizeof(path), "%s/tests/fixtures/meta/%s", top != NULL ? top : ".", name);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void test_seed_article(void **state)
{
    struct text_meta m;
    char *s = read_fixture("namdinh-cntt-2016.txt");

    (void)state;
    if (s == NULL)
        skip();
    run(&m, s, s);
    NOT_OFFICIAL(&m);
    FIELD(&m, TITLE, "Nam Định đẩy mạnh ứng dụng Công nghệ thông tin trong hoạt động của các "
                     "cơ quan nhà nước");
    FIELD(&m, LANG, "vi");
    assert_true(m.ndates >= 2);
    assert_int_equal(m.dates[0].year, 2016);
    assert_int_equal(m.dates[0].month, 5);
    assert_int_equal(m.dates[0].day, 20);
    text_meta_release(&m);
    free(s);
}

static void test_news(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "Thủ tướng ban hành Quyết định phê duyệt Chương trình chuyển đổi số quốc gia\n"
        "Hà Nội, ngày 3 tháng 6 năm 2020\n"
        "(Chinhphu.vn) - Thủ tướng Chính phủ vừa ký Quyết định số 749/QĐ-TTg ngày 03/6/2020 "
        "phê duyệt Chương trình chuyển đổi số quốc gia đến năm 2025, định hướng đến năm 2030.\n"
        "QUYẾT ĐỊNH\n"
        "Theo Quyết định, tầm nhìn đến năm 2030 Việt Nam trở thành quốc gia số.\n"
        "Số: 749/QĐ-TTg là văn bản quan trọng, theo các chuyên gia.\n",
        NULL);
    NOT_OFFICIAL(&m);
    FIELD(&m, LANG, "vi");
    FIELD(&m, TITLE,
          "Thủ tướng ban hành Quyết định phê duyệt Chương trình chuyển đổi số quốc gia");
    text_meta_release(&m);
}

static void test_english_letter(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "Archive Services Ltd\n"
        "12 Baker Street, London\n"
        "5 March 2021\n"
        "\n"
        "Dear Ms Nguyen,\n"
        "\n"
        "Thank you for your letter of 1 March. We are pleased to confirm that the scanned\n"
        "records will be delivered to your office by the end of the month. Please do not\n"
        "hesitate to contact us if you have any questions about the schedule.\n"
        "\n"
        "Yours sincerely,\n"
        "GENERAL MANAGER\n"
        "John Smith\n",
        NULL);
    NOT_OFFICIAL(&m);
    FIELD(&m, LANG, "en");
    FIELD(&m, TITLE, "Archive Services Ltd");
    text_meta_release(&m);
}

static void test_table(void **state)
{
    struct text_meta m;

    (void)state;
    /* Short rows, so that the header zone covers them all. */
    run(&m,
        "DANH SÁCH VĂN BẢN\n"
        "STT\tSố\tNgày\n"
        "1\t512/QĐ-UBND\t10/03/2021\n"
        "| Số: | 27/QĐ | MẬT | KHẨN |\n"
        "Số: 28/UB\n",
        NULL);
    NOT_OFFICIAL(&m);
    text_meta_release(&m);

    run(&m,
        "SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM 2021\n"
        "STT\tSố, ký hiệu\tNgày tháng\tTên loại và trích yếu\tNgười ký\n"
        "1\t512/QĐ-UBND\t10/03/2021\tQuyết định phê duyệt Kế hoạch chuyển đổi số\tTrần Văn Hùng\n"
        "2\t1502/STTTT-BCVT\t15/09/2021\tCông văn triển khai chữ ký số\tNguyễn Thanh Bình\n"
        "3\t45/KH-UBND\t03/02/2021\tKế hoạch chuyển đổi số\tTrần Văn Hùng\n"
        "| Số: | 27/QĐ | MẬT | KHẨN |\n"
        "Số: 28/UB\n",
        NULL);
    NOT_OFFICIAL(&m);
    FIELD(&m, TITLE, "SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM 2021");
    assert_int_equal(m.ndates, 3);
    assert_int_equal(m.dates[2].month, 2);
    text_meta_release(&m);
}

/* ------------------------------------------------------------------ */
/* API */

static void test_api(void **state)
{
    static const char *const order[] = {"number", "type",   "agency",  "place",
                                        "issued", "subject", "signer", "signer_title",
                                        "title",  "lang"};
    struct text_meta m;
    const char *name, *value;
    size_t pos = 0, k = 0;

    (void)state;
    assert_string_equal(text_meta_field_name(TEXT_META_NUMBER), "number");
    assert_string_equal(text_meta_field_name(TEXT_META_SIGNER_TITLE), "signer_title");
    assert_string_equal(text_meta_field_name(TEXT_META_LANG), "lang");
    assert_string_equal(text_meta_field_name(TEXT_META_NUMBER_KEY), "number_key");
    assert_null(text_meta_field_name(TEXT_META_NFIELDS));
    assert_null(text_meta_field_name((enum text_meta_field) - 1));

    run(&m, page_qd, page_qd_last);
    while (text_meta_next(&m, &pos, &name, &value)) {
        assert_true(k < sizeof(order) / sizeof(order[0]));
        assert_string_equal(name, order[k]);
        k++;
    }
    assert_int_equal(k, sizeof(order) / sizeof(order[0]));
    assert_false(text_meta_next(&m, &pos, &name, &value));
    assert_ptr_equal(text_meta_get(&m, TEXT_META_AGENCY), m.agency);
    assert_null(text_meta_get(&m, TEXT_META_NFIELDS));
    text_meta_release(&m);
    assert_null(m.number);
    text_meta_release(&m);
    text_meta_release(NULL);

    text_meta_init(&m);
    pos = 0;
    assert_false(text_meta_next(&m, &pos, &name, &value));
    assert_int_equal(m.num, -1);
}

/* utf8proc's fold of one code point: lowercase, marks stripped. */
static int32_t ref_fold(int32_t c)
{
    utf8proc_int32_t d[8];
    utf8proc_ssize_t n;
    int bc = 0;

    c = utf8proc_tolower(c);
    n = utf8proc_decompose_char(c, d, 8, UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK, &bc);
    return n < 1 || n > 8 ? c : d[0];
}

/* The fold and the letter classes pages are read with (text/norm's tables)
 * agree with utf8proc on one code point. */
static void check_cp(int32_t c)
{
    utf8proc_category_t cat = utf8proc_category(c);
    int letter = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
                 cat == UTF8PROC_CATEGORY_LT || cat == UTF8PROC_CATEGORY_LM ||
                 cat == UTF8PROC_CATEGORY_LO;

    /* đ -> d by hand: it has no decomposition; Ð ð Ɖ, its look-alikes,
     * are made Đ đ before anything is folded. */
    if (c != 0x110 && c != 0x111 && c != 0xD0 && c != 0xF0 && c != 0x189 &&
        fold_cp(c) != ref_fold(c))
        fail_msg("fold U+%04X: %d != %d", (unsigned)c, fold_cp(c), ref_fold(c));
    if (is_upper(c) != (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT))
        fail_msg("U+%04X: upper case %d", (unsigned)c, is_upper(c));
    if (is_lower(c) != (cat == UTF8PROC_CATEGORY_LL))
        fail_msg("U+%04X: lower case %d", (unsigned)c, is_lower(c));
    if (is_letter(c) != letter)
        fail_msg("U+%04X: letter %d", (unsigned)c, is_letter(c));
}

static void test_helpers(void **state)
{
    char f[64];

    (void)state;
    text__fold_str("Số 5/2020/QĐ-UBND Đà Nẵng", f, sizeof(f));
    assert_string_equal(f, "so 5/2020/qd-ubnd da nang");
    assert_int_equal(text__edit_distance("quyetdinh", "quyetdinh"), 0);
    assert_int_equal(text__edit_distance("quyetdinf", "quyetdinh"), 1);
    assert_int_equal(text__edit_distance("thongbao", "thongcao"), 1);
    assert_int_equal(text__edit_distance("quydinh", "quyetdinh"), 2);
    assert_int_equal(fold_cp(0x1ED8), 'o'); /* Ộ */
    assert_int_equal(fold_cp(0x1B0), 'u');  /* ư */
    assert_int_equal(fold_cp(0x110), 'd');  /* Đ */
    assert_int_equal(fold_cp(0x301), 0x301); /* a lone mark stays, fc parallel to cp */
    for (int32_t c = 0x80; c < 0x2000; c++)
        check_cp(c);
    for (int32_t c = 0x1E00; c < 0x1F00; c++)
        check_cp(c);
}

/* ------------------------------------------------------------------ */
/* OCR output of the rendered pages (bench/meta-e2e.py, `vanthu ocr`) that
 * the extractor got wrong: the lines below are Tesseract's, as read. */

/* The Quốc hiệu wrapped: its "VIỆT NAM" tail is glued to the agency line
 * below, and the right column's place and date to the V/v line (d01). */
static void test_ocr_wrapped_motto_cong_van(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "UBND TỈNH THÁI BÌNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
        "SỞ NỘI VỤ VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "Số: 1234/SNV\n"
        "V/v hướng dẫn lập hồ sơ và nộp Thái Bình, ngày 08 tháng 11 năm 2022\n"
        "lưu hồ sơ\n"
        "vào Lưu trữ cơ quan\n"
        "\n"
        "Kính gửi: Các cơ quan, đơn vị trong tỉnh.\n"
        "\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6\n"
        "năm 2015;\n",
        "Nơi nhận: GIÁM ĐỐC\n- Như trên;\n- Lưu: VT, VP. (Đã ký)\n\nNguyễn Thị Lan\n");
    FIELD(&m, PARENT_AGENCY, "UBND TỈNH THÁI BÌNH");
    FIELD(&m, AGENCY, "SỞ NỘI VỤ");
    FIELD(&m, NUMBER, "1234/SNV");
    FIELD(&m, TYPE, "Công văn");
    FIELD(&m, PLACE, "Thái Bình");
    FIELD(&m, ISSUED, "2022-11-08");
    FIELD(&m, SUBJECT, "hướng dẫn lập hồ sơ và nộp lưu hồ sơ vào Lưu trữ cơ quan");
    FIELD(&m, SIGNER, "Nguyễn Thị Lan");
    text_meta_release(&m);

    /* The tail alone on its line (d02), and inside a wrapped agency name,
     * whose last word follows on the motto's line (d07). */
    run(&m,
        "BỘ NỘI VỤ CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
        "VIỆT NAM\n"
        "Số: 07/BC-BNV Độc lập - Tự do - Hạnh phúc\n"
        "\n"
        "Hà Nội, ngày 20 tháng 01 năm 2023\n"
        "\n"
        "BÁO CÁO\n"
        "Kết quả thực hiện công tác văn thư năm 2022\n",
        NULL);
    FIELD(&m, AGENCY, "BỘ NỘI VỤ");
    FIELD(&m, PARENT_AGENCY, NULL);
    FIELD(&m, NUMBER, "07/BC-BNV");
    FIELD(&m, ISSUED, "2023-01-20");
    text_meta_release(&m);
    run(&m,
        "ỦY BAN NHÂN DÂN _ CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
        "\n"
        "THÀNH PHỐ NAM VIỆT NAM\n"
        "ĐỊNH Độc lập - Tự do - Hạnh phúc\n"
        "Số: 05/CT-UBND Nam Định, ngày 02 tháng 4 năm 2019\n"
        "CHỈ THỊ\n"
        "\n"
        "Về tăng cường công tác văn thư, lưu trữ\n"
        "trên địa bàn thành phố\n",
        NULL);
    FIELD(&m, AGENCY, "ỦY BAN NHÂN DÂN THÀNH PHỐ NAM ĐỊNH");
    FIELD(&m, NUMBER, "05/CT-UBND");
    FIELD(&m, ISSUED, "2019-04-02");
    FIELD(&m, SUBJECT, "Về tăng cường công tác văn thư, lưu trữ trên địa bàn thành phố");
    text_meta_release(&m);

    /* "CỘNG" read as "GỘNG" (d00 at 150 DPI): the motto still ends the
     * agency. */
    run(&m,
        "ỦY BAN NHÂN DÂN _ GỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
        "TỈNH NAM ĐỊNH VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "\n"
        "Số: 512/QĐ-UBND\n"
        "\n"
        "Nam Định, ngày 15 tháng 3 năm 2021\n"
        "\n"
        "QUYẾT ĐỊNH\n",
        NULL);
    FIELD(&m, AGENCY, "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH");
    text_meta_release(&m);

    /* Under a whole Quốc hiệu, a name ending in "VIỆT NAM" keeps it. */
    run(&m,
        "ỦY BAN MẶT TRẬN TỔ QUỐC CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "VIỆT NAM Độc lập - Tự do - Hạnh phúc\n"
        "Số: 15/TB-MTTQ Hà Nội, ngày 02 tháng 4 năm 2019\n"
        "THÔNG BÁO\n",
        NULL);
    FIELD(&m, AGENCY, "ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM");
    text_meta_release(&m);
}

/* The Quốc hiệu wrapped before its last word (DejaVu Serif, wider than
 * Times: tests/integration/meta.sh): the lone "NAM" is cut from the next
 * line only, and not after HÀ or QUẢNG unless doubled. */
static void test_ocr_motto_one_word_tail(void **state)
{
    static const char *const cases[][2] = {
        {"ÚY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHÚ NGHĨA VIỆT\n"
         "TĨNH NAM ĐỊNH NAM\n"
         "Độc lập - Tự do - Hạnh phúc\n"
         "Số: 512/QĐ-UBND\n",
         "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH"},
        {"UBND TÍNH THÁI BÌNH _ CỘNG HÒA XÃ HỘI CHÚ NGHĨA VIỆT\n"
         "SỞ NỘI VỤ NAM\n"
         "Độc lập - Tự do - Hạnh phúc\n"
         "Số: 1234/SNV-VP\n",
         "SỞ NỘI VỤ"},
        {"HỘI ĐỒNG NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT\n"
         "TỈNH HÀ NAM NAM\n"
         "Số: 20/NQ-HĐND\n",
         "HỘI ĐỒNG NHÂN DÂN TỈNH HÀ NAM"},
        {"HỘI ĐỒNG NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT\n"
         "TỈNH HÀ NAM\n"
         "Số: 20/NQ-HĐND\n",
         "HỘI ĐỒNG NHÂN DÂN TỈNH HÀ NAM"},
        {"HỘI ĐỒNG NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT\n"
         "NAM\n"
         "TỈNH QUẢNG NAM\n"
         "Số: 20/NQ-HĐND\n",
         "HỘI ĐỒNG NHÂN DÂN TỈNH QUẢNG NAM"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct text_meta m;

        run(&m, cases[i][0], NULL);
        if (m.agency == NULL || strcmp(m.agency, cases[i][1]) != 0)
            fail_msg("case %zu: agency '%s', want '%s'", i, m.agency ? m.agency : "(none)",
                     cases[i][1]);
        /* TỈNH read TÍNH after the abbreviated head */
        if (i == 1)
            FIELD(&m, PARENT_AGENCY, "UBND TỈNH THÁI BÌNH");
        text_meta_release(&m);
    }
}

/* Agency words damaged by OCR, put right by the agency vocabulary. */
static void test_ocr_agency_repair(void **state)
{
    static const char *const cases[][2] = {
        /* d09: marks lost beside the bold motto, a stray quote */
        {"UBND TỈNH NINH BÌNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
         "\n"
         "SỞ THÔNG TIN VÀ VIỆT NAM\n"
         "'TRUYEN THONG Độc lập - Tự do - Hạnh phúc\n"
         "Số: 2150/STTTT Ninh Bình, ngày 19 tháng 10 năm 2021\n",
         "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"},
        /* d00 noisy: a tilde on DÂN */
        {"ỦY BAN NHÂN DẪN CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
         "TỈNH NAM ĐỊNH VIỆT NAM\n"
         "Độc lập - Tự do - Hạnh phúc\n"
         "Số: 512/QĐ-UBND\n",
         "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH"},
        /* d12 at 150 DPI: the spaces lost */
        {"ỦY BANNHÂNDÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
         "\n"
         "THÀNH PHỐ NAM VIỆT NAM\n"
         "ĐỊNH Độc lập - Tự do - Hạnh phúc\n"
         "Số: 09/ĐA-UBND Nam Định, ngày 07 tháng 7 năm 2018\n",
         "ỦY BAN NHÂN DÂN THÀNH PHỐ NAM ĐỊNH"},
        /* d16 noisy: TỈNH read TÍNH */
        {"HỘI ĐỒNG NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
         "TÍNH HÀ NAM VIỆT NAM\n"
         "Độc lập - Tự do - Hạnh phúc\n"
         "\n"
         "Số: 152/BC-HĐND\n",
         "HỘI ĐỒNG NHÂN DÂN TỈNH HÀ NAM"},
        /* d04 noisy: a full stop after DÂN */
        {"HỘI ĐỒNG NHÂN DÂN. CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
         "TỈNH HÀ NAM VIỆT NAM\n"
         "Độc lập - Tự do - Hạnh phúc\n"
         "\n"
         "Số: 20/NQ-HĐND\n",
         "HỘI ĐỒNG NHÂN DÂN TỈNH HÀ NAM"},
        /* wrong tones on the head word */
        {"UBND TỈNH THÁI BÌNH\nSƠ NỘI VỤ\nSố: 1234/SNV-VP\n", "SỞ NỘI VỤ"},
        {"ÚY BAN NHÂN DÂN\nHUYỆN HẢI HẬU\nSố: 36/TB-UBND\n", "ỦY BAN NHÂN DÂN HUYỆN HẢI HẬU"},
        /* d14 noisy: a noise line between the agency and the number */
        {"BỘ NỘI VỤ CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
         "g5 TU GD VIỆT NAM\n"
         "Số: 4876/BNV Độc lập - Tự do - Hạnh phúc\n"
         "V/v góp ý dự thảo Thông tư\n",
         "BỘ NỘI VỤ"},
        /* left as written: the other tone placement, a one-word head
         * without a sector name after it, a text without any marks */
        {"UỶ BAN NHÂN DÂN\nTỈNH HOÀ BÌNH\nSố: 12/QĐ-UBND\n", "UỶ BAN NHÂN DÂN TỈNH HOÀ BÌNH"},
        {"TRƯỜNG TIỂU HỌC\nSỐ 2 XUÂN HÒA\nSố: 12/TB-TH\n", "TRƯỜNG TIỂU HỌC SỐ 2 XUÂN HÒA"},
        {"UY BAN NHAN DAN\nTINH HA NAM\nSo: 12/QD-UBND\n", "UY BAN NHAN DAN TINH HA NAM"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct text_meta m;

        run(&m, cases[i][0], NULL);
        if (m.agency == NULL || strcmp(m.agency, cases[i][1]) != 0)
            fail_msg("case %zu: agency '%s', want '%s'", i, m.agency ? m.agency : "(none)",
                     cases[i][1]);
        text_meta_release(&m);
    }
}

/* d14: the V/v block split by a blank line, the place and date merged into
 * its second line. */
static void test_ocr_vv_merged_date(void **state)
{
    struct text_meta m;
    char place[64];
    int y, mo, d;

    (void)state;
    run(&m,
        "BỘ NỘI VỤ CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
        "VIỆT NAM\n"
        "Số: 4876/BNV Độc lập - Tự do - Hạnh phúc\n"
        "V/v góp ý dự thảo Thông tư\n"
        "\n"
        "hướng dẫn quản lý văn bản điện Hà Nội, ngày 22 tháng 9 năm 2020\n"
        "\n"
        "Kính gửi: Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung\n"
        "ương.\n",
        NULL);
    FIELD(&m, AGENCY, "BỘ NỘI VỤ");
    FIELD(&m, TYPE, "Công văn");
    FIELD(&m, PLACE, "Hà Nội");
    FIELD(&m, ISSUED, "2020-09-22");
    FIELD(&m, SUBJECT, "góp ý dự thảo Thông tư hướng dẫn quản lý văn bản điện");
    text_meta_release(&m);

    /* d14 as JPEG: the second v of "V/v" lost, the date merged mid-line. */
    run(&m,
        "BỘ NỘI VỤ CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "\n"
        "Số: 4876/BNV\n"
        "V/ góp ý dự thảo Thông tư hướng Hà Nội, ngày 22 tháng 9 năm 2020\n"
        "dẫn quản lý văn bản điện tử\n"
        "\n"
        "Kính gửi: Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương.\n",
        NULL);
    FIELD(&m, TYPE, "Công văn");
    FIELD(&m, ISSUED, "2020-09-22");
    FIELD(&m, SUBJECT, "góp ý dự thảo Thông tư hướng dẫn quản lý văn bản điện tử");
    text_meta_release(&m);
    /* "V/" then a capital or a digit is no V/v. */
    run(&m, "SỞ NỘI VỤ\nSố: 12/SNV-VP\nV/ 12 Thông tư\n", NULL);
    FIELD(&m, SUBJECT, NULL);
    text_meta_release(&m);

    /* The same line read alone: prose with a date stays refused. */
    assert_false(line_date("hướng dẫn quản lý văn bản điện Hà Nội, ngày 22 tháng 9 năm 2020",
                           place, sizeof(place), &y, &mo, &d));
    /* A page of prose is no official document for all its mid-line dates. */
    run(&m,
        "Theo thông báo của Sở Nội vụ tỉnh Thái Bình, ngày 08 tháng 11 năm 2022 các cơ quan\n"
        "đã nộp lưu hồ sơ vào Lưu trữ cơ quan theo hướng dẫn của Thành phố Hồ Chí Minh,\n"
        "ngày 9 tháng 3 năm 2021 và báo cáo kết quả.\n",
        NULL);
    NOT_OFFICIAL(&m);
    text_meta_release(&m);
}

/* d06: "TTr" read "TTIr"; the TỜ TRÌNH line makes the code certain. */
static void test_ocr_type_code(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "UBND TỈNH NAM ĐỊNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA\n"
        "SỞ TÀI CHÍNH VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "\n"
        "Số: 88/TTIr-STC\n"
        "\n"
        "Nam Định, ngày 14 tháng 9 năm 2022\n"
        "\n"
        "TỜ TRÌNH\n"
        "Về việc phê duyệt dự toán kinh phí số hóa tài liệu lưu trữ\n",
        NULL);
    FIELD(&m, NUMBER, "88/TTr-STC");
    FIELD(&m, TYPE_CODE, "TTr");
    FIELD(&m, ISSUER_CODE, "STC");
    FIELD(&m, AGENCY, "SỞ TÀI CHÍNH");
    assert_true(m.conf[TEXT_META_NUMBER] < 90);
    text_meta_release(&m);
    /* Without the type line nothing says what TTIr was. */
    run(&m, "SỞ TÀI CHÍNH\nSố: 88/TTIr-STC\nNam Định, ngày 14 tháng 9 năm 2022\n", NULL);
    FIELD(&m, NUMBER, "88/TTIr-STC");
    text_meta_release(&m);
}

/* d03 and d09 at 150 DPI: "STTTT" read "S".  A one-letter code is no
 * code: the symbol is left out, the rest of the header still read. */
static void test_ocr_truncated_symbol(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "UBND TỈNH NINH BÌNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "SỞ THÔNG TIN VÀ TRUYỀN Độc lập - Tự do - Hạnh phúc\n"
        "THÔNG\n"
        "Ninh Bình, ngày 03 tháng 02 năm 2021\n"
        "\n"
        "Số: 45/KH-S\n"
        "\n"
        "KẾ HOẠCH\n"
        "Chuyển đổi số tỉnh Ninh Bình năm 2021\n",
        NULL);
    FIELD(&m, NUMBER, NULL);
    FIELD(&m, NUMBER_KEY, NULL);
    FIELD(&m, SYMBOL, NULL);
    FIELD(&m, ISSUER_CODE, NULL);
    FIELD(&m, TYPE, "Kế hoạch");
    FIELD(&m, AGENCY, "SỞ THÔNG TIN VÀ TRUYỀN THÔNG");
    FIELD(&m, PARENT_AGENCY, "UBND TỈNH NINH BÌNH");
    FIELD(&m, ISSUED, "2021-02-03");
    FIELD(&m, SUBJECT, "Chuyển đổi số tỉnh Ninh Bình năm 2021");
    assert_int_equal(m.num, -1);
    text_meta_release(&m);
    run(&m,
        "UBND TỈNH NINH BÌNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "SỞ THÔNG TIN VÀ TRUYỀN Độc lập - Tự do - Hạnh phúc\n"
        "THÔNG\n"
        "Ninh Bình, ngày 19 tháng 10 năm 2021\n"
        "\n"
        "Số: 2150/S\n"
        "V/v triển khai chữ ký số chuyên dùng\n"
        "cho cán bộ, công chức\n"
        "\n"
        "Kính gửi: Các sở, ban, ngành; UBND các huyện, thành phố.\n",
        NULL);
    FIELD(&m, NUMBER, NULL);
    FIELD(&m, ISSUER_CODE, NULL);
    FIELD(&m, TYPE, "Công văn");
    FIELD(&m, AGENCY, "SỞ THÔNG TIN VÀ TRUYỀN THÔNG");
    FIELD(&m, SUBJECT, "triển khai chữ ký số chuyên dùng cho cán bộ, công chức");
    text_meta_release(&m);
}

/* ------------------------------------------------------------------ */
/* Titles */

/* text_title_fit() of s against want (NULL: none). */
static void check_fit(const char *s, size_t max_chars, size_t max_bytes, const char *want,
                      const char *file, int line)
{
    char *got = text_title_fit(s, strlen(s), max_chars, max_bytes);

    if (want == NULL && got != NULL)
        fail_msg("%s:%d: expected no title, got '%s'", file, line, got);
    if (want != NULL && got == NULL)
        fail_msg("%s:%d: expected '%s', got none", file, line, want);
    if (want != NULL && strcmp(got, want) != 0)
        fail_msg("%s:%d: expected '%s', got '%s'", file, line, want, got);
    free(got);
}

#define FIT(s, chars, bytes, want) check_fit((s), (chars), (bytes), (want), __FILE__, __LINE__)

static void check_title(char *got, const char *want, const char *file, int line)
{
    if (want == NULL && got != NULL)
        fail_msg("%s:%d: expected no title, got '%s'", file, line, got);
    if (want != NULL && got == NULL)
        fail_msg("%s:%d: expected '%s', got none", file, line, want);
    if (want != NULL && strcmp(got, want) != 0)
        fail_msg("%s:%d: expected '%s', got '%s'", file, line, want, got);
    free(got);
}

#define MD(s, want)                                                                                \
    check_title(text_title_markdown((s), strlen(s), 0, 0), (want), __FILE__, __LINE__)
#define FIRST(s, max, want)                                                                        \
    check_title(text_title_first_line((s), strlen(s), (max)), (want), __FILE__, __LINE__)

static size_t count_cps(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);

    return n >= k && memcmp(s + n - k, tail, k) == 0;
}

static void test_title_fit(void **state)
{
    (void)state;
    /* Short enough: only white space changes. */
    FIT("  Quyết định\n 512\t\r\n về  việc ", 120, 0, "Quyết định 512 về việc");
    FIT("Tiêu\xC2\xA0" "đề\x01 \xE2\x80\x83 hai", 0, 0, "Tiêu đề hai");
    FIT("abc \xFF def", 0, 0, "abc \xEF\xBF\xBD def");
    FIT("", 10, 0, NULL);
    FIT(" \n\t\f ", 10, 0, NULL);
    FIT("exactly ten", 11, 0, "exactly ten");
    FIT("exactly ten", 0, 11, "exactly ten");

    /* A word boundary, never the middle of a word; "…" counts. */
    FIT("Kết luận của Chủ tịch về công tác số hóa tài liệu lưu trữ", 30, 0,
        "Kết luận của Chủ tịch về công…");
    FIT("Kết luận của Chủ tịch về công tác số hóa tài liệu lưu trữ", 31, 0,
        "Kết luận của Chủ tịch về công…");
    FIT("Kết luận của Chủ tịch về công tác số hóa tài liệu lưu trữ", 34, 0,
        "Kết luận của Chủ tịch về công tác…");
    /* The end of a sentence in the last third wins over a later word... */
    FIT("Đã xong rồi. Tiếp theo là phần hai", 18, 0, "Đã xong rồi…");
    /* ...but not one early in the room. */
    FIT("Xong. Tiếp theo là phần hai của văn bản", 30, 0, "Xong. Tiếp theo là phần hai…");
    /* A clause: after a comma, before " - ". */
    FIT("Kết luận của Chủ tịch, về công tác số hóa tài liệu lưu trữ", 37, 0,
        "Kết luận của Chủ tịch, về công tác…"); /* that comma is too early */
    FIT("Kết luận của Chủ tịch về công tác số hóa, tài liệu lưu trữ của tỉnh", 50, 0,
        "Kết luận của Chủ tịch về công tác số hóa…");
    FIT("Nghị định 30/2020/NĐ-CP - Về công tác văn thư và lưu trữ", 36, 0,
        "Nghị định 30/2020/NĐ-CP…");
    /* A mark that ends the word right at the room goes with the cut. */
    FIT("Kết luận của Chủ tịch về công tác số hóa tài liệu, lưu trữ của tỉnh năm 2022", 50, 0,
        "Kết luận của Chủ tịch về công tác số hóa tài liệu…");
    /* An abbreviation's '.' ends no sentence; "?" stays; no "……". */
    FIT("TP. Hồ Chí Minh và Hà Nội", 10, 0, "TP. Hồ…");
    FIT("Ai ký? Người đứng đầu cơ quan", 10, 0, "Ai ký?…");
    FIT("Chờ đợi… rồi tiếp tục mãi mãi", 12, 0, "Chờ đợi…");

    /* One word longer than the room: cut between characters. */
    FIT("Abcdefghijklmnopqrstuvwxyz", 10, 0, "Abcdefghi…");
    /* NFD: "Việt" is V i e U+0323 U+0302 t; the marks stay with their e. */
    FIT("Vie\xCC\xA3\xCC\x82tnam", 5, 0, "Vi…");
    FIT("Vie\xCC\xA3\xCC\x82tnam", 6, 0, "Vie\xCC\xA3\xCC\x82…");
    /* A flag (two regional indicators) is one cluster. */
    FIT("\xF0\x9F\x87\xBB\xF0\x9F\x87\xB3\xF0\x9F\x87\xBB\xF0\x9F\x87\xB3", 3, 0,
        "\xF0\x9F\x87\xBB\xF0\x9F\x87\xB3…");
    FIT("\xF0\x9F\x87\xBB\xF0\x9F\x87\xB3\xF0\x9F\x87\xBB\xF0\x9F\x87\xB3", 2, 0, NULL);

    /* Bytes: "Việt" is 6 bytes, "…" 3. */
    FIT("Việt Nam Việt Nam Việt Nam", 0, 20, "Việt Nam Việt…");
    FIT("Việt Nam Việt Nam Việt Nam", 0, 19, "Việt Nam…");
    FIT("Việt Nam", 0, 5, "Vi…");
    FIT("Việt Nam", 0, 3, NULL);
}

/* Random titles: every result keeps to its limits, is the start of the
 * collapsed input plus "…", and ends at a word boundary when there was one
 * to take. */
static void test_title_fit_random(void **state)
{
    static const char *const words[] = {"Quyết", "định", "về", "việc", "phê", "duyệt",
                                        "kế", "hoạch,", "năm.", "2021", "NĐ-CP", "-",
                                        "Vie\xCC\xA3\xCC\x82t", "chuyển-đổi-số-toàn-diện",
                                        "a", "(b", "c)"};
    uint32_t rng = 12345;

    (void)state;
    for (int round = 0; round < 3000; round++) {
        char in[1024], flat[1024];
        size_t n = 0, nf = 0, max_chars, max_bytes;
        int nw;
        char *got;

        rng = rng * 1103515245 + 12345;
        nw = 1 + (int)((rng >> 16) % 30);
        for (int w = 0; w < nw; w++) {
            const char *word;

            rng = rng * 1103515245 + 12345;
            word = words[(rng >> 16) % (sizeof(words) / sizeof(words[0]))];
            n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%s",
                                  w == 0 ? "" : (rng >> 8) & 1 ? " " : " \n\t ", word);
            nf += (size_t)snprintf(flat + nf, sizeof(flat) - nf, "%s%s", w > 0 ? " " : "", word);
        }
        rng = rng * 1103515245 + 12345;
        max_chars = (rng >> 16) % 3 == 0 ? 0 : 4 + (rng >> 8) % 80;
        max_bytes = max_chars == 0 || (rng >> 20) % 2 ? 8 + (rng >> 4) % 200 : 0;
        got = text_title_fit(in, n, max_chars, max_bytes);
        if (got == NULL) {
            /* The room always holds a cluster, so only a title that is
             * all trimmed away ("- ...") has none. */
            assert_int_equal(flat[0], '-');
            continue;
        }
        assert_true(text_utf8_valid(got, strlen(got)));
        if (max_chars > 0)
            assert_true(count_cps(got) <= max_chars);
        if (max_bytes > 0)
            assert_true(strlen(got) <= max_bytes);
        if (strcmp(got, flat) == 0) {
            free(got);
            continue;
        }
        assert_true(ends_with(got, "…"));
        {
            size_t k = strlen(got) - strlen("…");

            assert_memory_equal(got, flat, k);
            /* The cut is before a space or a mark-and-space, or inside a
             * word only when the room held no space. */
            if (flat[k] != ' ' && flat[k] != ',' && flat[k] != '.' && flat[k] != '-' &&
                flat[k] != '(') {
                assert_null(memchr(got, ' ', k));
                /* never inside "e" + its marks */
                assert_false((unsigned char)flat[k] == 0xCC);
            }
        }
        free(got);
    }
}

static void test_title_markdown(void **state)
{
    (void)state;
    /* samples/archive/tham-khao/nghi-dinh-30-2020-nd-cp.md */
    MD("# Nghị định 30/2020/NĐ-CP — Về công tác văn thư\n\n> **Số hiệu**: 30/2020/NĐ-CP  \n",
       "Nghị định 30/2020/NĐ-CP — Về công tác văn thư");
    /* ATX: levels, indentation, closing sequences. */
    MD("###### Sáu\n", "Sáu");
    MD("   ## Hai ##   \n", "Hai");
    MD("## C#\n", "C#");
    MD("# Tiêu đề #không-đóng\n", "Tiêu đề #không-đóng");
    MD("#\tTab\n", "Tab");
    MD("# Có mã {#ma-rieng .lop}\n", "Có mã");
    MD("#######  Bảy\n", NULL);
    MD("#hashtag\n", NULL);
    MD("    # mã thụt lề\n", NULL);
    MD("#\n\nNội dung\n", NULL);
    MD("# ##\n", NULL);
    /* Setext, after blank lines and a comment. */
    MD("\n\n<!-- bản nháp -->\nQuyết định số 12\n=================\n", "Quyết định số 12");
    MD("Kế hoạch *năm* 2021\r\n---\r\n", "Kế hoạch năm 2021");
    MD("- mục một\n---\n", NULL);
    MD("> trích dẫn\n===\n", NULL);
    MD("1. mục\n---\n", NULL);
    /* A rule before the heading; a line in strong emphasis. */
    MD("***\n\n## Sau đường kẻ\n", "Sau đường kẻ");
    MD("**QUYẾT ĐỊNH** \nVề việc\n", "QUYẾT ĐỊNH");
    MD("__Thông báo__\n", "Thông báo");
    MD("**Số hiệu**: 30/2020\n", NULL);
    MD("Đoạn văn thường.\n\n# Tiêu đề sau\n", NULL);
    MD("", NULL);

    /* Front matter: its title: first. */
    MD("---\nlayout: post\ntitle: \"Nghị định \\\"30\\\"\"\ndate: 2020-03-05\n---\n# Khác\n",
       "Nghị định \"30\"");
    MD("---\ntitle: 'Nghị định của ''Chính phủ'''\n---\n", "Nghị định của 'Chính phủ'");
    MD("---\ntitle: Văn thư # chú thích\n---\n", "Văn thư");
    MD("---\ntitle: >\n  gập dòng\n---\n# Tiêu đề\n", "Tiêu đề");
    MD("+++\ntitle = \"Bản TOML\"\n+++\n", "Bản TOML");
    MD("---\nlayout: post\n---\n\n# Sau phần đầu\n", "Sau phần đầu");
    /* No closing fence: a rule, then whatever follows. */
    MD("---\ntitle: x\n\nvăn bản\n", NULL);
    MD("\xEF\xBB\xBF# Có BOM\n", "Có BOM");

    /* Inline syntax goes, what it marks stays. */
    MD("# **Nghị định** [30/2020](https://x.vn/a_(b)) `NĐ-CP`\n", "Nghị định 30/2020 NĐ-CP");
    MD("# *nghiêng* _nghiêng_ ***cả hai*** ~~gạch~~ __đậm__\n", "nghiêng nghiêng cả hai gạch đậm");
    MD("# ![ảnh](a.png) [tham chiếu][r] [rỗng][] <https://a.vn/b> <b>đậm</b> <br/>x\n",
       "ảnh tham chiếu rỗng https://a.vn/b đậm x");
    MD("# Chú thích[^1] \\*không\\* \\_nghiêng\\_ \\# `` a`b ``\n",
       "Chú thích *không* _nghiêng_ # a`b");
    /* ...and what only looks like it stays too. */
    MD("# snake_case_name 2 * 3 * 4 a*b*c ~xấp xỉ~ [RELEVANT] a < b > c\n",
       "snake_case_name 2 * 3 * 4 abc ~xấp xỉ~ [RELEVANT] a < b > c");
    MD("# *chưa đóng **x* [chưa](đóng\n", "*chưa đóng *x [chưa](đóng");
    MD("# ![](anh.png)\n", NULL);

    /* Limits as text_title_fit(). */
    check_title(text_title_markdown("# Kết luận của Chủ tịch về công tác số hóa\n", 48, 20, 0),
                "Kết luận của Chủ…", __FILE__, __LINE__);
}

/* The first lines of the phototest page as `vanthu ocr` returns them. */
static const char ocr_phototest[] = "This is a lot of 12 point text to test the\n"
                                    "ocr code and see if it works on all types\n"
                                    "of file format.\n"
                                    "\n"
                                    "The quick brown dog jumped over the\n"
                                    "lazy fox. The quick brown dog jumped\n";

static void test_title_first_line(void **state)
{
    (void)state;
    /* An OCR'd paragraph wrapped by the page is one sentence. */
    FIRST(ocr_phototest, TEXT_TITLE_CHARS,
          "This is a lot of 12 point text to test the ocr code and see if it works on all "
          "types of file format.");
    FIRST(ocr_phototest, 60, "This is a lot of 12 point text to test the ocr code and see…");
    FIRST(ocr_phototest, 0,
          "This is a lot of 12 point text to test the ocr code and see if it works on all "
          "types of file format.");
    /* A heading line stays alone: the next line starts a new sentence, or
     * the line is short, or it ends a sentence. */
    FIRST("Nam Định đẩy mạnh ứng dụng Công nghệ thông tin\nNgày 20/5/2016, Sở ...\n",
          TEXT_TITLE_CHARS, "Nam Định đẩy mạnh ứng dụng Công nghệ thông tin");
    FIRST("BÁO CÁO\ntổng kết năm\n", TEXT_TITLE_CHARS, "BÁO CÁO");
    FIRST("Kính gửi các đơn vị trực thuộc:\ncác sở, ban, ngành\n", TEXT_TITLE_CHARS,
          "Kính gửi các đơn vị trực thuộc:");
    FIRST("Công văn đã được gửi đi hôm qua.\nhôm nay thì chưa\n", TEXT_TITLE_CHARS,
          "Công văn đã được gửi đi hôm qua.");
    /* Never across a blank line or a page. */
    FIRST("Một hai ba bốn năm\n\nsáu bảy\n", TEXT_TITLE_CHARS, "Một hai ba bốn năm");
    FIRST("Một hai ba bốn năm\fsáu bảy\n", TEXT_TITLE_CHARS, "Một hai ba bốn năm");
    /* Rules, frames and specks before the first words; an empty page 1. */
    FIRST("\n  \n=====\n| — . |\n\f\n  Tiêu đề thật\r\nnội dung\n", TEXT_TITLE_CHARS,
          "Tiêu đề thật");
    /* A long line is shortened at a clause or a word. */
    FIRST("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015 và Luật sửa đổi, "
          "bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương\n",
          TEXT_TITLE_CHARS,
          "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015 và Luật sửa "
          "đổi…");
    /* (The comma falls in the last third; without it, the last word.) */
    FIRST("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015 và Luật sửa đổi "
          "bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương\n",
          TEXT_TITLE_CHARS,
          "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015 và Luật sửa đổi "
          "bổ sung một số điều của Luật Tổ…");
    /* Markdown first. */
    FIRST("# Nghị định 30/2020/NĐ-CP - Về công tác văn thư\n\nCăn cứ\n", TEXT_TITLE_CHARS,
          "Nghị định 30/2020/NĐ-CP - Về công tác văn thư");
    FIRST("# Nghị định 30/2020/NĐ-CP - Về công tác văn thư\n", 30, "Nghị định 30/2020/NĐ-CP…");
    FIRST("\n\n — \n", TEXT_TITLE_CHARS, NULL);
    FIRST("", TEXT_TITLE_CHARS, NULL);
    check_title(text_title_first_line(NULL, 0, 10), NULL, __FILE__, __LINE__);
    check_title(text_title_fit(NULL, 0, 10, 0), NULL, __FILE__, __LINE__);
    check_title(text_title_markdown(NULL, 0, 10, 0), NULL, __FILE__, __LINE__);
}

/* Markdown-like noise: whatever the syntax, every title keeps to its
 * limits and is valid UTF-8 (and ASan sees no stray read). */
static void test_title_random_markdown(void **state)
{
    static const char *const bits[] = {
        "#", "# ", "*", "**", "_", "__", "~~", "`", "``", "[", "]", "(", ")", "<", ">", "!",
        "\\", " ", "\n", "---", "===", ":", "{#", "}", "a", "ệ", "e\xCC\x81", "\xFF",
        "\xE1\xBB", "http:", "title: ", "+++", "\r\n", "1. ", "> ", "\f"};
    uint32_t rng = 99;

    (void)state;
    for (int round = 0; round < 4000; round++) {
        char in[600];
        size_t n = 0, max_chars, max_bytes;
        int parts;
        char *r[3];

        rng = rng * 1103515245 + 12345;
        parts = 1 + (int)((rng >> 16) % 60);
        for (int k = 0; k < parts; k++) {
            const char *b;

            rng = rng * 1103515245 + 12345;
            b = bits[(rng >> 16) % (sizeof(bits) / sizeof(bits[0]))];
            if (n + strlen(b) >= sizeof(in))
                break;
            memcpy(in + n, b, strlen(b));
            n += strlen(b);
        }
        rng = rng * 1103515245 + 12345;
        max_chars = (rng >> 16) % 4 == 0 ? 0 : 2 + (rng >> 8) % 40;
        max_bytes = (rng >> 20) % 2 ? 0 : 4 + (rng >> 4) % 60;
        r[0] = text_title_markdown(in, n, max_chars, max_bytes);
        r[1] = text_title_fit(in, n, max_chars, max_bytes);
        r[2] = text_title_first_line(in, n, max_chars);
        for (int k = 0; k < 3; k++) {
            if (r[k] == NULL)
                continue;
            assert_true(r[k][0] != '\0');
            assert_true(text_utf8_valid(r[k], strlen(r[k])));
            if (max_chars > 0)
                assert_true(count_cps(r[k]) <= max_chars);
            if (max_bytes > 0 && k < 2)
                assert_true(strlen(r[k]) <= max_bytes);
            assert_true(r[k][0] != ' ' && r[k][strlen(r[k]) - 1] != ' ');
            free(r[k]);
        }
    }
}

/* The generic title of a Markdown text has no "#" either. */
static void test_title_generic_markdown(void **state)
{
    struct text_meta m;

    (void)state;
    run(&m,
        "# Nghị định 30/2020/NĐ-CP — Về công tác văn thư\n\n"
        "> **Số hiệu**: 30/2020/NĐ-CP  \n"
        "> **Ngày ban hành**: 05/03/2020  \n\n"
        "Căn cứ Luật Tổ chức Chính phủ ngày 19 tháng 6 năm 2015;\n",
        NULL);
    FIELD(&m, TITLE, "Nghị định 30/2020/NĐ-CP - Về công tác văn thư");
    text_meta_release(&m);
    run(&m, "## **Báo cáo** [tổng kết](bao-cao.md) năm 2021\n\nNội dung của báo cáo.\n", NULL);
    FIELD(&m, TITLE, "Báo cáo tổng kết năm 2021");
    text_meta_release(&m);
}

/* A trích yếu longer than the field cap: subject and title end at a word
 * with "…" instead of in the middle of one. */
static void test_title_long_subject(void **state)
{
    static const char *const w[] = {"trưởng", "thường", "hướng",  "nghiệm",
                                    "luyện",  "nguyện", "khuyến", "tưởng"};
    static const char head[] = "Quyết định 512/QĐ-UBND v"; /* "Về" -> "về" */
    char page[4096], full[2048];
    size_t n, nf = 0;
    struct text_meta m;
    const char *subj, *title;

    (void)state;
    n = (size_t)snprintf(page, sizeof(page),
                         "ỦY BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\n___\nSố: 512/QĐ-UBND\n"
                         "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
                         "Nam Định, ngày 10 tháng 3 năm 2021\n\nQUYẾT ĐỊNH\n");
    /* Four lines of 24 and 13 words, 9 bytes a word on average. */
    for (int line = 0; line < 4; line++) {
        int words = line == 0 ? 24 : 13;

        for (int k = 0; k < words; k++) {
            const char *word = line == 0 && k == 0   ? "Về"
                               : line == 0 && k == 1 ? "việc"
                                                     : w[(k * 3 + line) % 8];

            n += (size_t)snprintf(page + n, sizeof(page) - n, "%s%s", k > 0 ? " " : "", word);
            nf += (size_t)snprintf(full + nf, sizeof(full) - nf, "%s%s", nf > 0 ? " " : "",
                                   word);
        }
        n += (size_t)snprintf(page + n, sizeof(page) - n, "\n");
    }
    snprintf(page + n, sizeof(page) - n,
             "______\nCHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH\n\nCăn cứ Luật;\n");
    assert_true(nf > TEXT_META_FIELD_MAX);
    run(&m, page, NULL);
    assert_true(m.flags & TEXT_META_OFFICIAL);
    subj = text_meta_get(&m, TEXT_META_SUBJECT);
    title = text_meta_get(&m, TEXT_META_TITLE);
    assert_non_null(subj);
    assert_non_null(title);
    assert_true(strlen(subj) < TEXT_META_FIELD_MAX);
    assert_true(strlen(title) < TEXT_META_FIELD_MAX);
    assert_true(ends_with(subj, "…"));
    assert_true(ends_with(title, "…"));
    /* The subject is the start of the trích yếu, cut before a space. */
    n = strlen(subj) - strlen("…");
    assert_memory_equal(subj, full, n);
    assert_int_equal(full[n], ' ');
    /* The title is type, number and that subject, cut before a space too. */
    assert_memory_equal(title, head, strlen(head));
    n = strlen(title) - strlen("…") - strlen(head);
    assert_memory_equal(title + strlen(head), full + 1, n);
    assert_int_equal(full[n + 1], ' ');
    text_meta_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case01_number),
        cmocka_unit_test(test_case02_qppl),
        cmocka_unit_test(test_case03_cong_van),
        cmocka_unit_test(test_case04_damaged_label),
        cmocka_unit_test(test_case05_ocr_digits),
        cmocka_unit_test(test_case06_party),
        cmocka_unit_test(test_case07_unnumbered),
        cmocka_unit_test(test_case08_date_ocr),
        cmocka_unit_test(test_case09_date_blank_day),
        cmocka_unit_test(test_case08_09_in_page),
        cmocka_unit_test(test_case10_merged_columns),
        cmocka_unit_test(test_number_variants),
        cmocka_unit_test(test_date_refusals),
        cmocka_unit_test(test_case11_quyet_dinh),
        cmocka_unit_test(test_case12_cong_van),
        cmocka_unit_test(test_case13_signer),
        cmocka_unit_test(test_case14_urgency),
        cmocka_unit_test(test_case15_secrecy),
        cmocka_unit_test(test_marks_other),
        cmocka_unit_test(test_all_types),
        cmocka_unit_test(test_nghi_quyet_hdnd),
        cmocka_unit_test(test_to_trinh),
        cmocka_unit_test(test_cong_dien),
        cmocka_unit_test(test_subject_without_rule),
        cmocka_unit_test(test_giay_moi),
        cmocka_unit_test(test_bien_ban),
        cmocka_unit_test(test_hop_dong),
        cmocka_unit_test(test_type_conflicts),
        cmocka_unit_test(test_lost_diacritics),
        cmocka_unit_test(test_ocr_confusions),
        cmocka_unit_test(test_nfd_crlf),
        cmocka_unit_test(test_page_ocr_punctuation),
        cmocka_unit_test(test_page_separators),
        cmocka_unit_test(test_page_controls),
        cmocka_unit_test(test_form_feed_pages),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_seed_article),
        cmocka_unit_test(test_news),
        cmocka_unit_test(test_english_letter),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_ocr_wrapped_motto_cong_van),
        cmocka_unit_test(test_ocr_motto_one_word_tail),
        cmocka_unit_test(test_ocr_agency_repair),
        cmocka_unit_test(test_ocr_vv_merged_date),
        cmocka_unit_test(test_ocr_type_code),
        cmocka_unit_test(test_ocr_truncated_symbol),
        cmocka_unit_test(test_title_fit),
        cmocka_unit_test(test_title_fit_random),
        cmocka_unit_test(test_title_markdown),
        cmocka_unit_test(test_title_random_markdown),
        cmocka_unit_test(test_title_first_line),
        cmocka_unit_test(test_title_generic_markdown),
        cmocka_unit_test(test_title_long_subject),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

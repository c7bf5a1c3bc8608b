/* meta-bench: time text_meta_extract() per page.
 *
 *   bench/meta-bench [ITERATIONS] [FILE...]
 *
 * Without files it uses three built-in pages (a quyết định in block order,
 * a công văn as pdftotext -layout prints it, a news article).  A file is
 * one document: its first page (up to the first '\f') and its last page
 * are both read, as the indexer does.  Prints microseconds per call and per
 * page read.  Built on request (make bench/meta-bench), never run by make
 * check. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/meta.h"

static const char qd[] =
    "ỦY BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\n___\nSố: 512/QĐ-UBND\n"
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
    "________________________\nNam Định, ngày 10 tháng 3 năm 2021\n\nQUYẾT ĐỊNH\n"
    "Về việc phê duyệt Kế hoạch chuyển đổi số\nnăm 2021 của tỉnh Nam Định\n______\n"
    "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH\n\n"
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;\n"
    "Căn cứ Quyết định số 749/QĐ-TTg ngày 03/6/2020 của Thủ tướng Chính phủ phê duyệt\n"
    "Chương trình chuyển đổi số quốc gia đến năm 2025, định hướng đến năm 2030;\n"
    "Theo đề nghị của Giám đốc Sở Thông tin và Truyền thông tại Tờ trình số 45/TTr-STTTT\n"
    "ngày 01 tháng 3 năm 2021,\n\nQUYẾT ĐỊNH:\n\n"
    "Điều 1. Phê duyệt Kế hoạch chuyển đổi số năm 2021 của tỉnh Nam Định (có Kế hoạch\n"
    "chi tiết kèm theo).\n"
    "Điều 2. Giao Sở Thông tin và Truyền thông chủ trì, phối hợp với các sở, ban, ngành,\n"
    "UBND các huyện, thành phố tổ chức triển khai thực hiện Kế hoạch này; định kỳ báo cáo\n"
    "UBND tỉnh kết quả thực hiện.\n"
    "Điều 3. Chánh Văn phòng UBND tỉnh, Giám đốc Sở Thông tin và Truyền thông, Thủ trưởng\n"
    "các sở, ban, ngành, Chủ tịch UBND các huyện, thành phố và các cơ quan, đơn vị có liên\n"
    "quan chịu trách nhiệm thi hành Quyết định này./.\n\n"
    "Nơi nhận:\n- Như Điều 3;\n- Bộ Thông tin và Truyền thông;\n- Lưu: VT, VP5.\n"
    "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n(Đã ký)\n\nTrần Văn Hùng\n";

static const char cv[] =
    "    UBND TỈNH NAM ĐỊNH              CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "SỞ THÔNG TIN VÀ TRUYỀN THÔNG              Độc lập - Tự do - Hạnh phúc\n"
    "         _______                       _______________________\n\n"
    "  Số: 1502/STTTT-BCVT               Nam Định, ngày 15 tháng 9 năm 2021\n"
    "V/v triển khai chữ ký số\ncho cán bộ, công chức\n\n"
    "                 Kính gửi:  - Các sở, ban, ngành;\n"
    "                            - UBND các huyện, thành phố.\n\n"
    "    Thực hiện Kế hoạch số 45/KH-UBND ngày 03/02/2021 của UBND tỉnh về chuyển đổi số\n"
    "năm 2021, Sở Thông tin và Truyền thông đề nghị các cơ quan, đơn vị triển khai chữ ký\n"
    "số chuyên dùng cho cán bộ, công chức, viên chức như sau:\n"
    "    1. Rà soát nhu cầu sử dụng chứng thư số, gửi về Sở trước ngày 30/9/2021.\n"
    "    2. Cử cán bộ đầu mối phối hợp triển khai, hỗ trợ kỹ thuật tại đơn vị.\n\n"
    "Nơi nhận:                                          GIÁM ĐỐC\n"
    "- Như trên;\n- Lưu: VT, BCVT.                                       (Đã ký)\n\n"
    "                                                  Nguyễn Thanh Bình\n";

static const char news[] =
    "Nam Định đẩy mạnh ứng dụng Công nghệ thông tin trong hoạt động của các cơ quan nhà nước\n"
    "14:56' 20/5/2016\n"
    "(sotttt.namdinh.gov.vn) Trong những năm qua, việc ứng dụng CNTT trong hoạt động của các "
    "cơ quan nhà nước trên địa bàn tỉnh được triển khai tích cực và hiệu quả. Năm 2016, tỉnh "
    "Nam Định xác định xây dựng Chính phủ điện tử là nhiệm vụ trọng tâm, then chốt đồng thời "
    "tỉnh còn được Bộ Thông tin và Truyền thông lựa chọn thí điểm tỉnh trọng tâm thực hiện "
    "chính phủ điện tử.\n\n"
    "Để góp phần đáp ứng nhu cầu xây dựng một chính quyền điện tử hiệu quả, công khai, minh "
    "bạch, tỉnh Nam Định đã chính thức đưa ứng dụng phần mềm quản lý văn bản điều hành vào "
    "sử dụng ở các cơ quan nhà nước.\n";

struct doc {
    const char *name;
    char *text;
    size_t len;
    size_t pages; /* pages read per call: 1 or 2 */
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *s = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        s = malloc((size_t)n + 1);
        if (s != NULL && fread(s, 1, (size_t)n, f) == (size_t)n) {
            s[n] = '\0';
            *len = (size_t)n;
        } else {
            free(s);
            s = NULL;
        }
    }
    fclose(f);
    return s;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct doc docs[64];
    size_t ndocs = 0, calls = 0, pages = 0;
    long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    double t0, t;
    int rc = 0;

    if (iters <= 0) {
        fprintf(stderr, "usage: meta-bench [ITERATIONS] [FILE...]\n");
        return 2;
    }
    for (int i = 2; i < argc && ndocs < 64; i++) {
        struct doc *d = &docs[ndocs];

        d->text = slurp(argv[i], &d->len);
        if (d->text == NULL) {
            fprintf(stderr, "meta-bench: cannot read '%s'\n", argv[i]);
            return 1;
        }
        d->name = argv[i];
        d->pages = memchr(d->text, '\f', d->len) != NULL ? 2 : 1;
        ndocs++;
    }
    if (ndocs == 0) {
        docs[0] = (struct doc){"quyet-dinh", (char *)qd, sizeof(qd) - 1, 1};
        docs[1] = (struct doc){"cong-van-layout", (char *)cv, sizeof(cv) - 1, 1};
        docs[2] = (struct doc){"news", (char *)news, sizeof(news) - 1, 1};
        ndocs = 3;
    }
    for (size_t k = 0; k < ndocs; k++) {
        struct text_meta m;
        size_t pos = 0;
        const char *name, *value;

        if (text_meta_extract(docs[k].text, docs[k].len, docs[k].text, docs[k].len, &m, NULL) < 0)
            return 1;
        printf("%s:", docs[k].name);
        while (text_meta_next(&m, &pos, &name, &value))
            printf(" %s=\"%s\"", name, value);
        printf("\n");
        text_meta_release(&m);
    }
    t0 = now();
    for (long it = 0; it < iters; it++)
        for (size_t k = 0; k < ndocs; k++) {
            struct text_meta m;

            rc |= text_meta_extract(docs[k].text, docs[k].len, docs[k].text, docs[k].len, &m,
                                    NULL);
            text_meta_release(&m);
            calls++;
            pages += docs[k].pages;
        }
    t = now() - t0;
    printf("%zu calls, %zu pages in %.3f s: %.1f us/call, %.1f us/page\n", calls, pages, t,
           t * 1e6 / (double)calls, t * 1e6 / (double)pages);
    if (argc > 2)
        for (size_t k = 0; k < ndocs; k++)
            free(docs[k].text);
    return rc < 0;
}

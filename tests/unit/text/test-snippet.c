/* Unit tests for text/snippet.c: the passage chosen, highlighting in the
 * original accented form, escaping and cutting. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "text/snippet.h"

static char *snip(const char *text, const struct text_snippet_term *t, size_t n, size_t max)
{
    static char out[4096];
    struct buf b;

    buf_init(&b, sizeof(out) - 1);
    assert_int_equal(text_snippet(text, strlen(text), t, n, max, &b), 0);
    strcpy(out, buf_str(&b));
    buf_release(&b);
    return out;
}

static void test_highlight_original_form(void **state)
{
    struct text_snippet_term t[] = {{"quyet", NULL}, {"dinh", NULL}};

    (void)state;
    assert_string_equal(snip("Ban hành Quyết định số 5", t, 2, 200),
                        "Ban hành <b>Quyết</b> <b>định</b> số 5");
}

static void test_exact_form_preferred(void **state)
{
    /* The user typed "phủ": "phủ" is highlighted, "phù" is not. */
    struct text_snippet_term t[] = {{"phu", "phủ"}};

    (void)state;
    assert_string_equal(snip("phù hợp với chính phủ", t, 1, 200), "phù hợp với chính <b>phủ</b>");
    /* Without the exact form in the text, the folded matches show. */
    assert_string_equal(snip("phù hợp", t, 1, 200), "<b>phù</b> hợp");
}

static void test_best_window_and_cut(void **state)
{
    struct text_snippet_term t[] = {{"luu", NULL}, {"tru", NULL}};
    char text[2000];

    (void)state;
    strcpy(text, "lưu ");
    for (int i = 0; i < 60; i++)
        strcat(text, "chữ ");
    strcat(text, "công tác lưu trữ hồ sơ");
    /* The passage with both words wins over the lone first "lưu". */
    assert_non_null(strstr(snip(text, t, 2, 60), "<b>lưu</b> <b>trữ</b>"));
    assert_true(strncmp(snip(text, t, 2, 60), "…", strlen("…")) == 0);
}

static void test_escaping(void **state)
{
    struct text_snippet_term t[] = {{"a", NULL}};

    (void)state;
    assert_string_equal(snip("<x> & \"a\"", t, 1, 200), "&lt;x&gt; &amp; &quot;<b>a</b>&quot;");
}

static void test_no_terms(void **state)
{
    (void)state;
    assert_string_equal(snip("  Dòng đầu tiên\nthứ hai", NULL, 0, 200), "Dòng đầu tiên thứ hai");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_highlight_original_form),
        cmocka_unit_test(test_exact_form_preferred),
        cmocka_unit_test(test_best_window_and_cut),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_no_terms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

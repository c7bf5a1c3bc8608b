/* ocr-mkpdf: write PDFs with known content for the OCR tests and bench.
 *
 *   ocr-mkpdf text OUT.pdf TEXTFILE   A4 pages of TEXTFILE (UTF-8, one line
 *                                     per line, '\f' starts a page) set in
 *                                     DejaVu Serif: a born-digital PDF with
 *                                     a real text layer
 *   ocr-mkpdf image OUT.pdf PNG...    one page per PNG at 300 DPI and no
 *                                     text: a scanned, image-only PDF */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>

#define A4_W 595.276
#define A4_H 841.89

static int text_pdf(const char *out, const char *in)
{
    cairo_surface_t *s = cairo_pdf_surface_create(out, A4_W, A4_H);
    cairo_t *cr = cairo_create(s);
    FILE *f = fopen(in, "r");
    char line[4096];
    double y = 72;

    if (f == NULL) {
        perror(in);
        return 1;
    }
    cairo_select_font_face(cr, "DejaVu Serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 11);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *nl = strchr(line, '\n');

        if (nl != NULL)
            *nl = '\0';
        if (line[0] == '\f' || y > A4_H - 72) {
            cairo_show_page(cr);
            y = 72;
            if (line[0] == '\f')
                memmove(line, line + 1, strlen(line));
        }
        cairo_move_to(cr, 60, y);
        cairo_show_text(cr, line);
        y += 16;
    }
    fclose(f);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "ocr-mkpdf: %s\n", cairo_status_to_string(cairo_surface_status(s)));
        return 1;
    }
    cairo_surface_destroy(s);
    return 0;
}

static int image_pdf(const char *out, char **pngs, int n)
{
    cairo_surface_t *s = cairo_pdf_surface_create(out, A4_W, A4_H);
    cairo_t *cr = cairo_create(s);

    for (int i = 0; i < n; i++) {
        cairo_surface_t *img = cairo_image_surface_create_from_png(pngs[i]);
        double w, h;

        if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
            fprintf(stderr, "ocr-mkpdf: cannot read '%s'\n", pngs[i]);
            return 1;
        }
        w = cairo_image_surface_get_width(img) * 72.0 / 300;
        h = cairo_image_surface_get_height(img) * 72.0 / 300;
        cairo_pdf_surface_set_size(s, w, h);
        cairo_save(cr);
        cairo_scale(cr, 72.0 / 300, 72.0 / 300);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_paint(cr);
        cairo_restore(cr);
        cairo_show_page(cr);
        cairo_surface_destroy(img);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "text") == 0)
        return text_pdf(argv[2], argv[3]);
    if (argc >= 4 && strcmp(argv[1], "image") == 0)
        return image_pdf(argv[2], argv + 3, argc - 3);
    fprintf(stderr, "usage: ocr-mkpdf text OUT.pdf TEXTFILE | image OUT.pdf PNG...\n");
    return 2;
}

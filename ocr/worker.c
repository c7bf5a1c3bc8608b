/* vanthu-ocr-worker: one OCR worker process, supervised by ocr/pool.c.
 *
 * DESIGN
 *
 * The parent (the `vanthu` binary) never links Tesseract, Leptonica or
 * poppler: all three run here, in a process that can crash, hang or run out
 * of memory without harming anything but the one document it was reading.
 * The worker
 *
 *   - confines itself before it reads a model or a document (ocr/sandbox.h,
 *     docs/security-workers.md): a switch from root to an unprivileged user,
 *     death with the parent, no descriptors but its pipes, no_new_privs and
 *     a seccomp filter that denies every socket; it never opens a document:
 *     the pool passes each one as an open descriptor (ocr/fdpass.h);
 *   - sets its own rlimits: RLIMIT_AS (the memory cap, whole process) and,
 *     before every job, a soft RLIMIT_CPU of "CPU used so far + per-job
 *     budget", so a runaway page dies of SIGXCPU while a long-lived worker
 *     is never charged for earlier jobs; core dumps are off;
 *   - loads the Tesseract model once (plus the small "osd" model for
 *     orientation detection) and reuses it for every page of every job; a
 *     job asking for another language re-initialises once and keeps it;
 *   - reads job frames on stdin and writes one result frame per job on
 *     stdout (ocr/proto.h); everything else it prints goes to stderr.
 *
 * Per page (read_page): header check (pixel count, page count) before any
 * decode, then 8-bit grey; noise detection and a 3x3 median only when the
 * page is noisy (ocr-notes.md: a blind median wrecks thin text), both at
 * the page's own resolution; resolution normalisation (pages of 250 DPI or
 * more are read at 200 DPI, pages under 150 DPI upscaled to 300); orientation by
 * Leptonica's ascender/descender test, with Tesseract OSD only when that is
 * unsure or the page then reads with low confidence; deskew (Leptonica, on
 * the same binarised copy); then the LSTM recogniser.  bench/RESULTS.md has
 * the cost and benefit of each step; --verbose logs each step's CPU time.
 * PDF pages use their text layer when it holds real text, else they are
 * rendered at 300 DPI by poppler/cairo and OCR'd.
 *
 * Test modes for fault tests (tests/unit/ocr/test-pool.c): --test-echo
 * answers with the file's bytes instead of OCR (no model load), --test-sandbox
 * with what the sandbox let through (ocr_sandbox_probe), --test-sandbox-fail
 * STEP acts as if the kernel refused that sandbox step, --crash-after
 * N dies of SIGSEGV on the job after N completed ones, --crash-on S dies on
 * any job whose path contains S, --hang sleeps forever on every job and
 * --spin burns CPU (for the RLIMIT_CPU path); --hang-on S and --spin-on S do
 * so only for paths containing S.
 *
 * `vanthu-ocr-worker --once FILE` OCRs one file and prints the text; it is
 * for people and benchmarks, not for the pool.  `--sandbox-selftest`
 * applies the sandbox as in service, tries what it must forbid and prints
 * each result. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cairo.h>
#include <glib.h>
#include <jansson.h>
#include <allheaders.h>
#include <poppler.h>
#include <tesseract/capi.h>

#include "common/buf.h"
#include "common/err.h"
#include "ocr/fdpass.h"
#include "ocr/proto.h"
#include "ocr/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_ASAN 1
#endif
#endif

/* Preprocessing steps (--preprocess LIST, comma-separated names). */
enum {
    PRE_OSD = 1 << 0,
    PRE_DESKEW = 1 << 1,
    PRE_DENOISE = 1 << 2,
    PRE_RESCALE = 1 << 3,
};
#define PRE_DEFAULT (PRE_OSD | PRE_DESKEW | PRE_DENOISE | PRE_RESCALE)

/* Resolution normalisation (see rescale). */
#define LOW_DPI 150     /* upscale pages under this ... */
#define UPSCALE_DPI 300 /* ... to this */
#define HIGH_DPI 250    /* downscale pages at or over this ... */
#define RECOG_DPI 200   /* ... to this, the resolution Tesseract reads */
#define PDF_DPI 300

/* A page whose orientation Leptonica alone decided is checked by
 * Tesseract OSD when its mean word confidence is under this. */
#define VERIFY_CONF 60

/* A page is noisy when more than this fraction of its background differs
 * from its 3x3 median (noise_fraction). */
#define NOISE_MIN_FRACTION 0.03


struct worker {
    /* options */
    const char *lang;
    const char *tessdata;
    unsigned long max_mem_mb;
    unsigned long max_cpu_s;
    unsigned long long max_pixels;
    long max_pages;
    size_t max_text;
    unsigned pre;
    int verbose;
    /* test modes */
    int test_echo;
    int test_sandbox;
    long crash_after;
    const char *crash_on;
    int hang;
    int spin;
    const char *hang_on;
    const char *spin_on;
    /* state */
    TessBaseAPI *api;
    TessBaseAPI *osd;
    char *api_lang;
    long jobs_done;
    struct ocr_sandbox_state sandbox;
};

/* What one page produced, for the result header. */
struct page_info {
    double conf;       /* mean word confidence 0..100; -1 for a text layer */
    const char *source; /* "ocr" or "text" */
    int rotate;        /* orientation found: degrees the page was turned clockwise */
    double skew;       /* deskew angle applied, degrees */
    int denoised;
    int dpi;           /* resolution the page was recognised at (0 unknown) */
};

static void vlog(const struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(const struct worker *w, const char *fmt, ...)
{
    va_list ap;

    if (!w->verbose)
        return;
    fprintf(stderr, "vanthu-ocr-worker[%ld]: ", (long)getpid());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* CPU milliseconds this process has used: step costs in the verbose log
 * (CPU rather than wall time, so a loaded machine does not blur them). */
static double cpu_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- limits ---------------------------------------------------------- */

static int set_limits(const struct worker *w)
{
    struct rlimit rl;

    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
#ifdef WORKER_ASAN
    (void)w;
#else
    /* AddressSanitizer reserves terabytes of address space, so a sanitizer
     * build cannot run under RLIMIT_AS; it still has the CPU limit. */
    if (w->max_mem_mb > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)w->max_mem_mb * 1024 * 1024;
        if (setrlimit(RLIMIT_AS, &rl) < 0)
            return -errno;
    }
#endif
    return 0;
}

/* Allow this job max_cpu_s more seconds of CPU than used so far: the soft
 * limit moves up before each job, the hard limit stays where it was. */
static void arm_cpu_limit(const struct worker *w)
{
    struct rusage ru;
    struct rlimit rl;
    rlim_t want;

    if (w->max_cpu_s == 0 || getrusage(RUSAGE_SELF, &ru) < 0 || getrlimit(RLIMIT_CPU, &rl) < 0)
        return;
    want = (rlim_t)ru.ru_utime.tv_sec + (rlim_t)ru.ru_stime.tv_sec + 1 + w->max_cpu_s;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    rl.rlim_cur = want;
    setrlimit(RLIMIT_CPU, &rl);
}

static int check_pixels(const struct worker *w, long long width, long long height, int page,
                        struct vt_err *err)
{
    if (width <= 0 || height <= 0)
        return vt_err_set(err, VT_EBADINPUT, "page %d has no pixels (%lldx%lld)", page + 1,
                          width, height);
    if ((unsigned long long)width * (unsigned long long)height > w->max_pixels)
        return vt_err_set(err, VT_E2BIG,
                          "page %d is %lldx%lld pixels, over the limit of %llu pixels", page + 1,
                          width, height, w->max_pixels);
    return 0;
}

/* Append n bytes to the job's text, whose cap is max_text. */
static int text_add(const struct worker *w, struct buf *text, const void *p, size_t n,
                    struct vt_err *err)
{
    int rc = buf_add(text, p, n);

    if (rc < 0)
        return vt_err_set(err, rc, "text is over the %zu byte cap", w->max_text);
    return 0;
}

/* ---- Tesseract --------------------------------------------------------- */

static int tess_init(struct worker *w, const char *lang, struct vt_err *err)
{
    if (w->api != NULL && w->api_lang != NULL && strcmp(w->api_lang, lang) == 0)
        return 0;
    if (w->api == NULL)
        w->api = TessBaseAPICreate();
    else
        TessBaseAPIEnd(w->api);
    free(w->api_lang);
    w->api_lang = NULL;
    if (TessBaseAPIInit2(w->api, w->tessdata, lang, OEM_LSTM_ONLY) != 0)
        return vt_err_set(err, VT_EUNSUPPORTED, "cannot load tesseract language '%s'", lang);
    /* Inverted-text detection runs a second recognition on every line with
     * low confidence; scanned letters have no white-on-black text. */
    TessBaseAPISetVariable(w->api, "tessedit_do_invert", "0");
    TessBaseAPISetVariable(w->api, "debug_file", "/dev/null");
    TessBaseAPISetPageSegMode(w->api, PSM_AUTO);
    w->api_lang = strdup(lang);
    if (w->api_lang == NULL)
        return vt_err_set(err, VT_ENOMEM, "out of memory");
    return 0;
}

static int osd_init(struct worker *w, struct vt_err *err)
{
    if (!(w->pre & PRE_OSD) || w->osd != NULL)
        return 0;
    w->osd = TessBaseAPICreate();
    if (TessBaseAPIInit2(w->osd, w->tessdata, "osd", OEM_TESSERACT_ONLY) != 0) {
        TessBaseAPIDelete(w->osd);
        w->osd = NULL;
        return vt_err_set(err, VT_EUNSUPPORTED,
                          "cannot load tesseract 'osd' model (tesseract-ocr-osd)");
    }
    TessBaseAPISetVariable(w->osd, "debug_file", "/dev/null");
    TessBaseAPISetPageSegMode(w->osd, PSM_OSD_ONLY);
    return 0;
}

/* ---- preprocessing ----------------------------------------------------- */

/* Replace *pix by next when next is a new image. */
static void take(PIX **pix, PIX *next)
{
    if (next != NULL && next != *pix) {
        pixDestroy(pix);
        *pix = next;
    } else if (next != NULL) {
        pixDestroy(&next);
    }
}

#define SORT2(a, b)                                                                           \
    do {                                                                                      \
        if ((a) > (b)) {                                                                      \
            int t_ = (a);                                                                     \
            (a) = (b);                                                                        \
            (b) = t_;                                                                         \
        }                                                                                     \
    } while (0)

/* The median of 9 values, by a 19-exchange sorting network (Paeth). */
static int median9(int *p)
{
    SORT2(p[1], p[2]); SORT2(p[4], p[5]); SORT2(p[7], p[8]);
    SORT2(p[0], p[1]); SORT2(p[3], p[4]); SORT2(p[6], p[7]);
    SORT2(p[1], p[2]); SORT2(p[4], p[5]); SORT2(p[7], p[8]);
    SORT2(p[0], p[3]); SORT2(p[5], p[8]); SORT2(p[4], p[7]);
    SORT2(p[3], p[6]); SORT2(p[1], p[4]); SORT2(p[2], p[5]);
    SORT2(p[4], p[7]); SORT2(p[4], p[2]); SORT2(p[6], p[4]);
    SORT2(p[4], p[2]);
    return p[4];
}

/* Is the page noisy?  On a central square of up to side x side pixels,
 * compare pixels with their 3x3 median: on a clean page the two differ only
 * along stroke edges, on a noisy one across the background too.  Returns
 * the fraction of light background pixels (median >= 128) that differ from
 * their median by more than 48.  Every other pixel of every other row is
 * sampled: the same statistic for a quarter of the work, with no copy of
 * the crop (it cost 30 ms a page with a full median filter). */
static double noise_fraction(PIX *gray, l_int32 side)
{
    l_int32 w, h, x0, y0, sw, sh, wpl;
    l_uint32 *data;
    long bg = 0, noisy = 0;

    pixGetDimensions(gray, &w, &h, NULL);
    sw = w < side ? w : side;
    sh = h < side ? h : side;
    x0 = (w - sw) / 2;
    y0 = (h - sh) / 2;
    data = pixGetData(gray);
    wpl = pixGetWpl(gray);
    for (l_int32 y = y0 + 1; y < y0 + sh - 1; y += 2) {
        const l_uint32 *rows[3] = {data + (y - 1) * wpl, data + y * wpl, data + (y + 1) * wpl};

        for (l_int32 x = x0 + 1; x < x0 + sw - 1; x += 2) {
            int win[9], k = 0, m, v;

            for (int r = 0; r < 3; r++)
                for (int c = -1; c <= 1; c++)
                    win[k++] = GET_DATA_BYTE(rows[r], x + c);
            v = win[4];
            m = median9(win);
            if (m < 128)
                continue;
            bg++;
            if (abs(v - m) > 48)
                noisy++;
        }
    }
    return bg > 0 ? (double)noisy / (double)bg : 0;
}

/* Leptonica's orientation test on the binarised page: the number of
 * clockwise quarter turns that make it upright, or -1 when it is not sure.
 *
 * pixOrientDetect compares ascenders with descenders by morphology, upright
 * and turned by 90 degrees: 10-20 ms a page.  Its own decision thresholds
 * (makeOrientDecision: |conf| >= 8 and 2.5 times the other direction) were
 * met on every page of the bench with the right answer (upright pages 9-43,
 * turned ones 11-24); pages it is not sure of go to Tesseract OSD. */
static int orient_leptonica(struct worker *w, PIX *bin, int dpi)
{
    PIX *big = NULL;
    l_float32 up = 0, left = 0;
    l_int32 orient = L_TEXT_ORIENT_UNKNOWN;
    int quads = -1;

    if (bin == NULL)
        return -1;
    /* Its morphology is made for 150-300 DPI text, of which 150 DPI is the
     * weak end: a 150 DPI letter page got up/down 1.9-3.6 (unsure), the same
     * page doubled 38-41. */
    if (dpi > 0 && dpi < 175) {
        big = pixExpandBinaryPower2(bin, 2);
        if (big != NULL)
            bin = big;
    }
    if (pixOrientDetect(bin, &up, &left, 0, 0) == 0 &&
        makeOrientDecision(up, left, 0, 0, &orient, 0) == 0) {
        switch (orient) {
        case L_TEXT_ORIENT_UP: quads = 0; break;
        case L_TEXT_ORIENT_LEFT: quads = 1; break;  /* text turned 90 ccw */
        case L_TEXT_ORIENT_DOWN: quads = 2; break;
        case L_TEXT_ORIENT_RIGHT: quads = 3; break; /* text turned 90 cw */
        default: quads = -1; break;
        }
    }
    vlog(w, "orient: leptonica up %.2f left %.2f -> %d", up, left, quads);
    pixDestroy(&big);
    return quads;
}

/* Tesseract OSD on the page: the number of clockwise quarter turns that
 * make it upright, or -1 when unsure.  It classifies a few hundred
 * characters in four orientations with the legacy classifier: 0.15-0.3 s of
 * CPU a page whatever its size, a fifth of the recognition time, so it runs
 * only when Leptonica is not sure or the result looks wrong. */
static int orient_osd(struct worker *w, PIX *gray, int dpi)
{
    int deg = 0;
    float conf = 0, sconf = 0;
    const char *script = NULL;
    int quads = -1;
    PIX *half = NULL;

    if (w->osd == NULL)
        return -1;
    /* Orientation needs only the shapes of the letters: a page of 250 DPI
     * or more is classified at half resolution. */
    if (dpi >= 250 || (dpi == 0 && pixGetWidth(gray) >= 2000)) {
        half = pixScaleAreaMap2(gray);
        if (half != NULL) {
            gray = half;
            dpi /= 2;
        }
    }
    TessBaseAPISetImage2(w->osd, gray);
    if (dpi > 0)
        TessBaseAPISetSourceResolution(w->osd, dpi);
    if (!TessBaseAPIDetectOrientationScript(w->osd, &deg, &conf, &script, &sconf)) {
        vlog(w, "osd: no result");
        goto out;
    }
    vlog(w, "osd: orientation %d conf %.2f script %s", deg, conf, script ? script : "?");
    /* Below this margin the orientation classifier is guessing (the same
     * order as tesseract's min_orientation_margin). */
    if (conf < 2.0f || deg % 90 != 0)
        goto out;
    /* deg is how far the page is turned clockwise from upright (a page
     * rotated by `convert -rotate 90` reports 90); turning it on by
     * 360 - deg clockwise makes it upright. */
    quads = (4 - (deg / 90) % 4) % 4;
out:
    TessBaseAPIClear(w->osd);
    pixDestroy(&half);
    return quads;
}

static int recognise(struct worker *w, PIX *pix, int dpi, struct buf *text,
                     struct page_info *pi, struct vt_err *err)
{
    char *t = NULL;
    int rc;

    TessBaseAPISetImage2(w->api, pix);
    if (dpi > 0)
        TessBaseAPISetSourceResolution(w->api, dpi);
    if (TessBaseAPIRecognize(w->api, NULL) != 0) {
        rc = vt_err_set(err, VT_EBADINPUT, "tesseract could not recognise the page");
        goto out;
    }
    t = TessBaseAPIGetUTF8Text(w->api);
    pi->conf = TessBaseAPIMeanTextConf(w->api);
    if (t == NULL) {
        rc = vt_err_set(err, VT_ENOMEM, "tesseract returned no text");
        goto out;
    }
    rc = text_add(w, text, t, strlen(t), err);
out:
    if (t != NULL)
        TessDeleteText(t);
    TessBaseAPIClear(w->api);
    return rc;
}

/* Log the CPU time of the step that just ended, and start the next. */
static void step_done(const struct worker *w, const char *step, double *t)
{
    double now = cpu_ms();

    vlog(w, "step %s: %.0f ms", step, now - *t);
    *t = now;
}

/* Turn page (and its binarised copy bin, may be NULL) by quads clockwise
 * quarter turns, deskew it and recognise it into text.  page and bin are
 * borrowed. */
static int read_turned(struct worker *w, PIX *page, PIX *bin, int quads, int dpi,
                       struct buf *text, struct page_info *pi, struct vt_err *err)
{
    PIX *pix = NULL, *b = NULL;
    double t = cpu_ms();
    int rc;

    pix = quads != 0 ? pixRotateOrth(page, quads) : pixClone(page);
    if (bin != NULL)
        b = quads != 0 ? pixRotateOrth(bin, quads) : pixClone(bin);
    if (pix == NULL) {
        rc = vt_err_set(err, VT_ENOMEM, "cannot turn the page");
        goto out;
    }
    pi->rotate = (4 - quads) % 4 * 90;
    pi->skew = 0;
    if ((w->pre & PRE_DESKEW) && b != NULL) {
        l_float32 angle = 0, conf = 0;

        /* Rotate only when Leptonica is confident and the angle is at least
         * 0.1 degree (pixDeskew's own rule); the search runs on the
         * binarised copy the orientation test used. */
        if (pixFindSkew(b, &angle, &conf) == 0 && conf >= 3.0f && fabsf(angle) >= 0.1f) {
            take(&pix, pixRotate(pix, angle * (l_float32)(M_PI / 180), L_ROTATE_AREA_MAP,
                                 L_BRING_IN_WHITE, 0, 0));
            pi->skew = angle;
        }
        vlog(w, "skew %.2f conf %.2f", angle, conf);
        step_done(w, "deskew", &t);
    }
    pi->dpi = dpi;
    rc = recognise(w, pix, dpi, text, pi, err);
    step_done(w, "recognise", &t);
out:
    pixDestroy(&b);
    pixDestroy(&pix);
    return rc;
}

/* Median-filter *pix when it is noisy.  At the page's own resolution:
 * downscaling averages the noise away (a noisy page measured 0.17 at 300
 * DPI, 0.045 at 200) and blurs the edges of clean text (0.008 -> 0.023). */
static void denoise(const struct worker *w, PIX **pix, struct page_info *pi)
{
    double nf = noise_fraction(*pix, 1200);

    vlog(w, "noise fraction %.4f", nf);
    if (nf > NOISE_MIN_FRACTION) {
        take(pix, pixMedianFilter(*pix, 3, 3));
        pi->denoised = 1;
    }
}

/* Resolution.  The LSTM scales every text line to a fixed height (36
 * pixels for the fast models), so a 12 pt line at 300 DPI (about 55
 * pixels) is thrown away in part anyway, while layout analysis and line
 * extraction cost in proportion to the pixels.  Pages of 250 DPI or more
 * are therefore read at 200 DPI: 14% less CPU per page and no class
 * worse on the bench (bench/RESULTS.md); 180 and 150 DPI were faster
 * still but lost marks on JPEG and mixed pages.  Pages under 150 DPI are
 * upscaled to 300.  *dpi (known, outside that range) becomes the new
 * resolution. */
static void rescale(const struct worker *w, PIX **pix, int *dpi)
{
    int to = *dpi < LOW_DPI ? UPSCALE_DPI : RECOG_DPI;
    float f = (float)to / (float)*dpi;
    l_int32 width, height;

    pixGetDimensions(*pix, &width, &height, NULL);
    if ((double)width * f * (double)height * f <= (double)w->max_pixels) {
        /* Area mapping is leptonica's downscaler for factors under 0.7. */
        take(pix, f < 0.7f ? pixScaleAreaMap(*pix, f, f) : pixScaleGrayLI(*pix, f, f));
        *dpi = to;
    }
}

/* The clockwise quarter turns that make the page upright: Leptonica's
 * test on bin, Tesseract OSD on pix when that is unsure (*sure = 0). */
static int orient(struct worker *w, PIX *pix, PIX *bin, int dpi, int *sure)
{
    int quads = orient_leptonica(w, bin, dpi);

    *sure = quads >= 0;
    if (!*sure)
        quads = orient_osd(w, pix, dpi);
    return quads < 0 ? 0 : quads;
}

/* A page read the way Leptonica alone decided, with a low confidence, may
 * be turned wrong (upside-down text reads at 40-50, the bench's pages at
 * 85-96): ask Tesseract OSD, and read again from text_len if it
 * disagrees. */
static int verify_orientation(struct worker *w, PIX *pix, PIX *bin, int quads, int dpi,
                              struct buf *text, size_t text_len, struct page_info *pi,
                              struct vt_err *err)
{
    int q;

    if (pi->conf >= VERIFY_CONF || w->osd == NULL)
        return 0;
    q = orient_osd(w, pix, dpi);
    vlog(w, "confidence %.0f: osd says %d quarter turns, leptonica %d", pi->conf, q, quads);
    if (q < 0 || q == quads)
        return 0;
    buf_setlen(text, text_len);
    return read_turned(w, pix, bin, q, dpi, text, pi, err);
}

/* Preprocess and recognise one page; src is borrowed. */
static int read_page(struct worker *w, PIX *src, struct buf *text, struct page_info *pi,
                     struct vt_err *err)
{
    PIX *pix = NULL, *bin = NULL;
    int dpi = pixGetXRes(src);
    int quads = 0, sure = 0;
    size_t text_len = text->len;
    int rc;
    double t0 = cpu_ms(), t = t0;

    memset(pi, 0, sizeof(*pi));
    pi->source = "ocr";
    pix = pixConvertTo8(src, 0);
    if (pix == NULL)
        return vt_err_set(err, VT_EBADINPUT, "cannot convert page to grey");
    if (dpi < 50 || dpi > 2400)
        dpi = 0;
    vlog(w, "page %dx%d, %d dpi", pixGetWidth(pix), pixGetHeight(pix), dpi);
    if (w->pre & PRE_DENOISE) {
        denoise(w, &pix, pi);
        step_done(w, "denoise", &t);
    }
    if ((w->pre & PRE_RESCALE) && dpi > 0 && (dpi < LOW_DPI || dpi >= HIGH_DPI)) {
        rescale(w, &pix, &dpi);
        step_done(w, "rescale", &t);
    }
    /* One binarised copy serves both the orientation test and the skew
     * search. */
    if (w->pre & (PRE_OSD | PRE_DESKEW))
        bin = pixConvertTo1(pix, 130);
    if (w->pre & PRE_OSD) {
        quads = orient(w, pix, bin, dpi, &sure);
        step_done(w, "orient", &t);
    }
    rc = read_turned(w, pix, bin, quads, dpi, text, pi, err);
    if (rc == 0 && sure)
        rc = verify_orientation(w, pix, bin, quads, dpi, text, text_len, pi, err);
    vlog(w, "page total %.0f ms (conf %.0f)", cpu_ms() - t0, pi->conf);
    pixDestroy(&bin);
    pixDestroy(&pix);
    return rc;
}

/* ---- images ------------------------------------------------------------ */

static int add_page_sep(struct worker *w, struct buf *text, int page, struct vt_err *err)
{
    return page == 0 ? 0 : text_add(w, text, "\f", 1, err);
}

static json_t *page_json(const struct page_info *pi)
{
    json_t *o = json_object();

    json_object_set_new(o, "conf", json_real(pi->conf));
    json_object_set_new(o, "source", json_string(pi->source));
    if (pi->rotate)
        json_object_set_new(o, "rotate", json_integer(pi->rotate));
    if (pi->skew != 0)
        json_object_set_new(o, "skew", json_real(round(pi->skew * 100) / 100));
    if (pi->denoised)
        json_object_set_new(o, "denoise", json_true());
    if (pi->dpi)
        json_object_set_new(o, "dpi", json_integer(pi->dpi));
    return o;
}

/* A TIFF is read as a stream from the job's descriptor: its directories
 * may sit anywhere in the file, and a multi-page file can be far larger than
 * any one page. */
static int run_tiff(struct worker *w, int fd, struct buf *text, json_t *pages,
                    struct vt_err *err)
{
    FILE *fp = NULL;
    l_int32 n = 0;
    PIX *pix = NULL;
    int rc = 0, dfd;

    dfd = dup(fd);
    if (dfd >= 0)
        fp = fdopen(dfd, "rb");
    if (fp == NULL) {
        rc = vt_err_set(err, -errno, "cannot read the file: %s", strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return rc;
    }
    if (tiffGetCount(fp, &n) != 0 || n <= 0) {
        rc = vt_err_set(err, VT_EBADINPUT, "cannot read the tiff directory (corrupt tiff)");
        goto out;
    }
    if (n > w->max_pages) {
        rc = vt_err_set(err, VT_E2BIG, "tiff has %d pages, over the limit of %ld", n,
                        w->max_pages);
        goto out;
    }
    for (l_int32 i = 0; i < n; i++) {
        l_int32 pw = 0, ph = 0, bps, spp, res, cmap, fmt;
        struct page_info pi;

        if (freadHeaderTiff(fp, i, &pw, &ph, &bps, &spp, &res, &cmap, &fmt) != 0) {
            rc = vt_err_set(err, VT_EBADINPUT, "cannot read the header of tiff page %d", i + 1);
            goto out;
        }
        rc = check_pixels(w, pw, ph, i, err);
        if (rc < 0)
            goto out;
        pix = pixReadStreamTiff(fp, i);
        if (pix == NULL) {
            rc = vt_err_set(err, VT_EBADINPUT, "cannot decode tiff page %d (truncated or corrupt)",
                            i + 1);
            goto out;
        }
        rc = add_page_sep(w, text, i, err);
        if (rc < 0)
            goto out;
        rc = read_page(w, pix, text, &pi, err);
        if (rc < 0)
            goto out;
        json_array_append_new(pages, page_json(&pi));
        pixDestroy(&pix);
    }
out:
    pixDestroy(&pix);
    fclose(fp);
    return rc;
}

static int has_tiff_magic(const unsigned char *m)
{
    return (m[0] == 'I' && m[1] == 'I' && m[2] == 42 && m[3] == 0) ||
           (m[0] == 'M' && m[1] == 'M' && m[2] == 0 && m[3] == 42);
}

/* Read all size bytes of fd from offset 0: new, free with free(). */
static unsigned char *read_all(int fd, size_t size, struct vt_err *err)
{
    unsigned char *data = malloc(size > 0 ? size : 1);
    size_t got = 0;

    if (data == NULL) {
        vt_err_set(err, VT_E2BIG, "file of %zu bytes is too large to read", size);
        return NULL;
    }
    while (got < size) {
        ssize_t n = pread(fd, data + got, size - got, (off_t)got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            vt_err_set(err, n < 0 ? -errno : VT_EBADINPUT, "cannot read the file: %s",
                       n < 0 ? strerror(errno) : "it shrank while being read");
            free(data);
            return NULL;
        }
        got += (size_t)n;
    }
    return data;
}

/* A single image (PNG, JPEG, PNM, BMP, ...) is read into memory and decoded
 * from there: Leptonica's header and decode calls for memory mirror the ones
 * for a path, and the file is no larger than its pixels. */
static int run_image(struct worker *w, int fd, size_t size, struct buf *text, json_t *pages,
                     struct vt_err *err)
{
    l_int32 fmt = IFF_UNKNOWN, pw = 0, ph = 0, bps, spp, cmap;
    unsigned char head[12];
    unsigned char *data = NULL;
    struct page_info pi;
    PIX *pix = NULL;
    ssize_t n;
    int rc;

    memset(head, 0, sizeof(head));
    n = pread(fd, head, sizeof(head), 0);
    if (n < 0)
        return vt_err_set(err, -errno, "cannot read the file: %s", strerror(errno));
    if (findFileFormatBuffer(head, &fmt) != 0 || fmt == IFF_UNKNOWN) {
        /* Leptonica calls a TIFF whose directory libtiff cannot read
         * "unknown"; say what is wrong with it instead. */
        if (has_tiff_magic(head))
            return run_tiff(w, fd, text, pages, err);
        return vt_err_set(err, VT_EUNSUPPORTED, "not an image format this build can read");
    }
    if (L_FORMAT_IS_TIFF(fmt))
        return run_tiff(w, fd, text, pages, err);
    data = read_all(fd, size, err);
    if (data == NULL)
        return err->code < 0 ? err->code : VT_EBADINPUT;
    if (pixReadHeaderMem(data, size, &fmt, &pw, &ph, &bps, &spp, &cmap) != 0) {
        rc = vt_err_set(err, VT_EBADINPUT, "cannot read the image header (corrupt image)");
        goto out;
    }
    rc = check_pixels(w, pw, ph, 0, err);
    if (rc < 0)
        goto out;
    pix = pixReadMem(data, size);
    if (pix == NULL) {
        rc = vt_err_set(err, VT_EBADINPUT, "cannot decode the image (truncated or corrupt)");
        goto out;
    }
    /* The encoded bytes are not needed during recognition. */
    free(data);
    data = NULL;
    rc = read_page(w, pix, text, &pi, err);
    if (rc == 0)
        json_array_append_new(pages, page_json(&pi));
out:
    pixDestroy(&pix);
    free(data);
    return rc;
}

/* ---- PDF --------------------------------------------------------------- */

/* A text layer is "real" when it has a fair amount of letters and digits and
 * little that a font without a ToUnicode map produces (replacement and
 * private-use characters). */
static int real_text(const char *t)
{
    long alnum = 0, bad = 0, total = 0;

    if (t == NULL || !g_utf8_validate(t, -1, NULL))
        return 0;
    for (const char *p = t; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (g_unichar_isspace(c))
            continue;
        total++;
        if (g_unichar_isalnum(c))
            alnum++;
        if (c == 0xFFFD || (c >= 0xE000 && c <= 0xF8FF) || c < 0x20)
            bad++;
    }
    return alnum >= 32 && bad * 10 < total;
}

/* The resolution a page of wpt x hpt points is rendered at: 300 DPI, or
 * for a page too large for the pixel limit at 300 DPI (a map, a poster)
 * less, down to 150 DPI. */
static int pdf_dpi(const struct worker *w, double wpt, double hpt)
{
    int dpi = PDF_DPI;

    while (dpi > 150 && (double)(wpt * dpi / 72) * (hpt * dpi / 72) > (double)w->max_pixels)
        dpi -= 50;
    return dpi;
}

/* An 8-bit grey copy (luma, ITU-R 601 weights) of the pw x ph RGB24
 * surface s; NULL when out of memory. */
static PIX *grey_of(cairo_surface_t *s, long long pw, long long ph)
{
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    PIX *pix = pixCreate((l_int32)pw, (l_int32)ph, 8);
    l_uint32 *pd;
    l_int32 wpl;

    if (pix == NULL)
        return NULL;
    pd = pixGetData(pix);
    wpl = pixGetWpl(pix);
    for (long long y = 0; y < ph; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + y * stride);
        l_uint32 *line = pd + y * wpl;

        for (long long x = 0; x < pw; x++) {
            uint32_t v = row[x];
            unsigned r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;

            SET_DATA_BYTE(line, x, (r * 299 + g * 587 + b * 114) / 1000);
        }
    }
    return pix;
}

/* Render page (number index, from 0) for OCR: new, pixDestroy() it; NULL
 * with err set. */
static PIX *render_page(struct worker *w, PopplerPage *page, int index, struct vt_err *err)
{
    double wpt = 0, hpt = 0, scale;
    cairo_surface_t *s;
    cairo_t *cr;
    PIX *pix;
    long long pw, ph;
    int dpi;

    poppler_page_get_size(page, &wpt, &hpt);
    if (!(wpt > 0 && hpt > 0 && wpt < 1e6 && hpt < 1e6)) {
        vt_err_set(err, VT_EBADINPUT, "page %d has an invalid size", index + 1);
        return NULL;
    }
    dpi = pdf_dpi(w, wpt, hpt);
    scale = dpi / 72.0;
    pw = (long long)ceil(wpt * scale);
    ph = (long long)ceil(hpt * scale);
    if (check_pixels(w, pw, ph, index, err) < 0 || pw > 32767 || ph > 32767) {
        vt_err_set(err, VT_E2BIG, "page %d is %lldx%lld pixels at %d dpi, over the limit",
                   index + 1, pw, ph, dpi);
        return NULL;
    }
    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)pw, (int)ph);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        vt_err_set(err, VT_ENOMEM, "cannot allocate page %d raster", index + 1);
        cairo_surface_destroy(s);
        return NULL;
    }
    cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, scale, scale);
    poppler_page_render_for_printing(page, cr);
    cairo_surface_flush(s);
    pix = grey_of(s, pw, ph);
    if (pix == NULL)
        vt_err_set(err, VT_ENOMEM, "cannot allocate page %d image", index + 1);
    else
        pixSetResolution(pix, dpi, dpi);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return pix;
}

/* Poppler reads the document from (a copy of) the job's descriptor: it
 * seeks in the file as it needs pages and never loads it whole. */
static PopplerDocument *open_pdf(int fd, size_t size, GError **gerr)
{
#if POPPLER_CHECK_VERSION(21, 12, 0)
    int dfd = dup(fd);

    (void)size;
    if (dfd < 0) {
        g_set_error(gerr, G_FILE_ERROR, g_file_error_from_errno(errno), "%s", strerror(errno));
        return NULL;
    }
    return poppler_document_new_from_fd(dfd, NULL, gerr); /* takes dfd */
#else
    struct vt_err err;
    unsigned char *data = read_all(fd, size, &err);
    PopplerDocument *doc;
    GBytes *bytes;

    if (data == NULL) {
        g_set_error(gerr, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s", err.msg);
        return NULL;
    }
    bytes = g_bytes_new_with_free_func(data, size, free, data);
    doc = poppler_document_new_from_bytes(bytes, NULL, gerr);
    g_bytes_unref(bytes);
    return doc;
#endif
}

/* Open the job's PDF into *doc (new, g_object_unref() it; may be set on
 * error too) and check that its *n pages are within the limit. */
static int pdf_open(struct worker *w, int fd, size_t size, PopplerDocument **doc, int *n,
                    struct vt_err *err)
{
    GError *gerr = NULL;
    int rc = 0;

    *doc = open_pdf(fd, size, &gerr);
    if (*doc == NULL) {
        if (gerr != NULL && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED)
            rc = vt_err_set(err, VT_EUNSUPPORTED, "pdf is encrypted and needs a password");
        else
            rc = vt_err_set(err, VT_EBADINPUT, "cannot open pdf: %s",
                            gerr != NULL ? gerr->message : "unknown error");
    } else {
        *n = poppler_document_get_n_pages(*doc);
        if (*n <= 0)
            rc = vt_err_set(err, VT_EBADINPUT, "pdf has no readable pages (broken page tree)");
        else if (*n > w->max_pages)
            rc = vt_err_set(err, VT_E2BIG, "pdf has %d pages, over the limit of %ld", *n,
                            w->max_pages);
    }
    if (gerr != NULL)
        g_error_free(gerr);
    return rc;
}

/* Page i of doc: its text layer when that holds real text, else its
 * rendering, OCR'd. */
static int pdf_page(struct worker *w, PopplerDocument *doc, int i, struct buf *text,
                    json_t *pages, struct vt_err *err)
{
    PopplerPage *page = poppler_document_get_page(doc, i);
    struct page_info pi;
    char *t;
    int rc;

    if (page == NULL)
        return vt_err_set(err, VT_EBADINPUT, "cannot read pdf page %d (broken page tree)", i + 1);
    rc = add_page_sep(w, text, i, err);
    if (rc < 0) {
        g_object_unref(page);
        return rc;
    }
    t = poppler_page_get_text(page);
    if (real_text(t)) {
        memset(&pi, 0, sizeof(pi));
        pi.conf = -1;
        pi.source = "text";
        rc = text_add(w, text, t, strlen(t), err);
    } else {
        PIX *pix = render_page(w, page, i, err);

        if (pix == NULL)
            rc = err->code < 0 ? err->code : VT_EBADINPUT;
        else
            rc = read_page(w, pix, text, &pi, err);
        pixDestroy(&pix);
    }
    g_free(t);
    g_object_unref(page);
    if (rc == 0)
        json_array_append_new(pages, page_json(&pi));
    return rc;
}

static int run_pdf(struct worker *w, int fd, size_t size, struct buf *text, json_t *pages,
                   struct vt_err *err)
{
    PopplerDocument *doc = NULL;
    int n = 0, rc;

    rc = pdf_open(w, fd, size, &doc, &n, err);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = pdf_page(w, doc, i, text, pages, err);
    if (doc != NULL)
        g_object_unref(doc);
    return rc;
}

/* ---- jobs -------------------------------------------------------------- */

static int is_pdf(int fd)
{
    char head[1024];
    ssize_t n = pread(fd, head, sizeof(head), 0);

    return n >= 5 && memmem(head, (size_t)n, "%PDF-", 5) != NULL;
}

static int run_echo(struct worker *w, int fd, struct buf *text, json_t *pages,
                    struct vt_err *err)
{
    char chunk[4096];
    struct page_info pi = {.conf = 100, .source = "echo"};
    off_t off = 0;
    ssize_t n;
    int rc = 0;

    while ((n = pread(fd, chunk, sizeof(chunk), off)) > 0) {
        off += n;
        rc = text_add(w, text, chunk, (size_t)n, err);
        if (rc < 0)
            break;
    }
    if (n < 0)
        rc = vt_err_set(err, -errno, "cannot read the file: %s", strerror(errno));
    if (rc == 0)
        json_array_append_new(pages, page_json(&pi));
    return rc;
}

/* --test-sandbox: the job's text is what the sandbox lets through. */
static int run_probe(struct worker *w, struct buf *text, json_t *pages, struct vt_err *err)
{
    struct page_info pi = {.conf = 100, .source = "probe"};
    struct buf out;
    int rc;

    buf_init(&out, BUF_NOLIMIT);
    ocr_sandbox_probe(&w->sandbox, &out);
    rc = text_add(w, text, out.ptr, out.len, err);
    buf_release(&out);
    if (rc == 0)
        json_array_append_new(pages, page_json(&pi));
    return rc;
}

/* One job: the document is fd (open for reading, borrowed); path names it
 * in messages and for the test modes, and is never opened. */
static int run_job(struct worker *w, int fd, const char *path, const char *lang,
                   struct buf *text, json_t *pages, struct vt_err *err)
{
    struct stat st;
    int rc;

    if (w->crash_on != NULL && strstr(path, w->crash_on) != NULL) {
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
    if (w->crash_after >= 0 && w->jobs_done >= w->crash_after) {
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
    if (w->hang || (w->hang_on != NULL && strstr(path, w->hang_on) != NULL))
        for (;;)
            pause();
    if (w->spin || (w->spin_on != NULL && strstr(path, w->spin_on) != NULL)) {
        volatile unsigned long x = 0;

        for (;;)
            x++;
    }
    if (w->test_sandbox)
        return run_probe(w, text, pages, err);
    if (fstat(fd, &st) < 0)
        return vt_err_set(err, -errno, "cannot read '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return vt_err_set(err, VT_EUNSUPPORTED, "not a regular file");
    if (st.st_size == 0)
        return vt_err_set(err, VT_EBADINPUT, "empty file");
    if (w->test_echo)
        return run_echo(w, fd, text, pages, err);
    rc = tess_init(w, lang, err);
    if (rc < 0)
        return rc;
    if (is_pdf(fd))
        return run_pdf(w, fd, (size_t)st.st_size, text, pages, err);
    return run_image(w, fd, (size_t)st.st_size, text, pages, err);
}

static int send_frame(json_t *h, const void *body, size_t len)
{
    struct buf out;
    int rc;

    buf_init(&out, BUF_NOLIMIT);
    rc = ocr_proto_encode(&out, h, body, len);
    if (rc == 0)
        rc = ocr_proto_write_all(STDOUT_FILENO, out.ptr, out.len);
    buf_release(&out);
    json_decref(h);
    return rc;
}

/* One job frame: take the job's descriptor, run the job and send its
 * result.  Returns 0, or a negative code when the worker cannot go on (a
 * frame that is no job, a reply that cannot be written). */
static int serve_job(struct worker *w, const struct ocr_frame *f)
{
    const char *type = NULL, *path = NULL, *lang = NULL;
    json_int_t id = 0;
    struct vt_err err;
    struct buf text;
    json_t *pages, *res;
    int fd = -1, rc;

    if (json_unpack(f->header, "{s:s, s:I, s:s, s?:s}", "type", &type, "id", &id, "path", &path,
                    "lang", &lang) != 0 ||
        strcmp(type, "job") != 0) {
        fprintf(stderr, "vanthu-ocr-worker: unexpected frame\n");
        return VT_EBADINPUT;
    }
    vt_err_clear(&err);
    arm_cpu_limit(w);
    buf_init(&text, w->max_text);
    pages = json_array();
    rc = ocr_fdpass_recv(OCR_FD_CHANNEL, (uint64_t)id, &fd, &err);
    if (rc == 0)
        rc = run_job(w, fd, path, lang != NULL ? lang : w->lang, &text, pages, &err);
    if (fd >= 0)
        close(fd);
    w->jobs_done++;
    if (rc == 0) {
        res = json_pack("{s:s, s:I, s:s, s:o}", "type", "result", "id", id, "status", "ok",
                        "pages", pages);
        rc = send_frame(res, text.ptr, text.len);
    } else {
        json_decref(pages);
        res = json_pack("{s:s, s:I, s:s, s:s, s:s}", "type", "result", "id", id, "status",
                        "failed", "code", vt_errname(rc), "reason", err.msg);
        rc = send_frame(res, NULL, 0);
    }
    buf_release(&text);
    return rc;
}

static int serve(struct worker *w)
{
    struct ocr_proto_decoder dec;
    struct vt_err err;
    int rc;

    ocr_proto_decoder_init(&dec, 0);
    /* What the sandbox could not apply (best effort) goes with "ready", for
     * the pool to log. */
    rc = send_frame(json_pack("{s:s, s:s, s:s}", "type", "ready", "lang", w->lang, "unconfined",
                              w->sandbox.missing),
                    NULL, 0);
    while (rc == 0) {
        struct ocr_frame f;

        vt_err_clear(&err);
        rc = ocr_proto_read_frame(STDIN_FILENO, &dec, &f, &err);
        if (rc <= 0) {
            if (rc < 0)
                fprintf(stderr, "vanthu-ocr-worker: %s\n", err.msg);
            break;
        }
        rc = serve_job(w, &f);
        json_decref(f.header);
    }
    ocr_proto_decoder_release(&dec);
    return rc < 0 ? 1 : 0;
}

static int once(struct worker *w, int fd, const char *path)
{
    struct vt_err err;
    struct buf text;
    json_t *pages = json_array();
    char *pj;
    int rc;

    vt_err_clear(&err);
    buf_init(&text, w->max_text);
    rc = run_job(w, fd, path, w->lang, &text, pages, &err);
    if (rc == 0) {
        fwrite(buf_str(&text), 1, text.len, stdout);
        pj = json_dumps(pages, JSON_COMPACT);
        fprintf(stderr, "%s: %s\n", path, pj);
        free(pj);
    } else {
        fprintf(stderr, "%s: failed: %s\n", path, err.msg);
    }
    json_decref(pages);
    buf_release(&text);
    return rc == 0 ? 0 : 1;
}

static int parse_pre(const char *s, unsigned *out)
{
    char *copy = strdup(s), *save = NULL;
    unsigned pre = 0;
    int rc = 0;

    if (copy == NULL)
        return VT_ENOMEM;
    for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "osd") == 0)
            pre |= PRE_OSD;
        else if (strcmp(t, "deskew") == 0)
            pre |= PRE_DESKEW;
        else if (strcmp(t, "denoise") == 0)
            pre |= PRE_DENOISE;
        else if (strcmp(t, "rescale") == 0)
            pre |= PRE_RESCALE;
        else if (strcmp(t, "none") == 0 || strcmp(t, "default") == 0)
            pre |= strcmp(t, "default") == 0 ? PRE_DEFAULT : 0;
        else
            rc = VT_EUSAGE;
    }
    free(copy);
    *out = pre;
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vanthu-ocr-worker [OPTIONS]           serve jobs on stdin/stdout (ocr/proto.h)\n"
            "       vanthu-ocr-worker [OPTIONS] --once FILE  OCR one file, text to stdout\n"
            "options:\n"
            "  --lang L            tesseract languages (default vie)\n"
            "  --tessdata DIR      tessdata directory (default: tesseract's)\n"
            "  --max-mem MB        address-space limit (default 2048; 0 = none)\n"
            "  --max-cpu S         CPU seconds per job (default 300; 0 = none)\n"
            "  --max-pixels N      pixels per page (default 100000000)\n"
            "  --max-pages N       pages per file (default 500)\n"
            "  --max-text BYTES    text per file (default 16 MiB)\n"
            "  --preprocess LIST   osd,deskew,denoise,rescale | none (default all)\n"
            "  --verbose           log preprocessing decisions and step times on stderr\n"
            "sandbox (docs/security-workers.md):\n"
            "  --user NAME         user to run as when started as root (default nobody)\n"
            "  --sandbox MODE      required: refuse to run unconfined (default);\n"
            "                      best-effort: report what cannot be confined, go on\n"
            "  --parent PID        the pool's pid: die with it\n"
            "  --sandbox-selftest  apply the sandbox, try what it forbids, print the results\n"
            "test modes: --test-echo, --test-sandbox, --test-sandbox-fail STEP,\n"
            "            --crash-after N, --crash-on STR, --hang, --spin, --hang-on STR,\n"
            "            --spin-on STR\n");
}

/* ---- main -------------------------------------------------------------- */

/* The steps of main() return GO_ON, or the status the worker exits with. */
#define GO_ON (-1)

/* What the command line says besides the worker's own options. */
struct args {
    const char *once_path;
    int selftest;
    struct ocr_sandbox_config sb;
};

enum {
    O_LANG = 256, O_TESSDATA, O_MEM, O_CPU, O_PIX, O_PAGES, O_TEXT, O_PRE, O_ONCE, O_ECHO,
    O_CRASH_AFTER, O_CRASH_ON, O_HANG, O_SPIN, O_HANG_ON, O_SPIN_ON, O_VERBOSE, O_HELP, O_USER,
    O_SANDBOX, O_PARENT, O_SELFTEST, O_TEST_SANDBOX, O_TEST_SB_FAIL
};

static const struct option long_opts[] = {
    {"lang", required_argument, NULL, O_LANG},
    {"tessdata", required_argument, NULL, O_TESSDATA},
    {"max-mem", required_argument, NULL, O_MEM},
    {"max-cpu", required_argument, NULL, O_CPU},
    {"max-pixels", required_argument, NULL, O_PIX},
    {"max-pages", required_argument, NULL, O_PAGES},
    {"max-text", required_argument, NULL, O_TEXT},
    {"preprocess", required_argument, NULL, O_PRE},
    {"once", required_argument, NULL, O_ONCE},
    {"test-echo", no_argument, NULL, O_ECHO},
    {"crash-after", required_argument, NULL, O_CRASH_AFTER},
    {"crash-on", required_argument, NULL, O_CRASH_ON},
    {"hang", no_argument, NULL, O_HANG},
    {"spin", no_argument, NULL, O_SPIN},
    {"hang-on", required_argument, NULL, O_HANG_ON},
    {"spin-on", required_argument, NULL, O_SPIN_ON},
    {"verbose", no_argument, NULL, O_VERBOSE},
    {"help", no_argument, NULL, O_HELP},
    {"user", required_argument, NULL, O_USER},
    {"sandbox", required_argument, NULL, O_SANDBOX},
    {"parent", required_argument, NULL, O_PARENT},
    {"sandbox-selftest", no_argument, NULL, O_SELFTEST},
    {"test-sandbox", no_argument, NULL, O_TEST_SANDBOX},
    {"test-sandbox-fail", required_argument, NULL, O_TEST_SB_FAIL},
    {NULL, 0, NULL, 0},
};

static int parse_sandbox_mode(const char *s, struct ocr_sandbox_config *sb)
{
    if (strcmp(s, "required") == 0)
        sb->best_effort = 0;
    else if (strcmp(s, "best-effort") == 0)
        sb->best_effort = 1;
    else
        return VT_EUSAGE;
    return 0;
}

static int parse_args(int argc, char **argv, struct worker *w, struct args *a)
{
    int c;

    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (c) {
        case O_LANG: w->lang = optarg; break;
        case O_TESSDATA: w->tessdata = optarg; break;
        case O_MEM: w->max_mem_mb = strtoul(optarg, NULL, 10); break;
        case O_CPU: w->max_cpu_s = strtoul(optarg, NULL, 10); break;
        case O_PIX: w->max_pixels = strtoull(optarg, NULL, 10); break;
        case O_PAGES: w->max_pages = strtol(optarg, NULL, 10); break;
        case O_TEXT: w->max_text = strtoul(optarg, NULL, 10); break;
        case O_PRE:
            if (parse_pre(optarg, &w->pre) < 0) {
                fprintf(stderr, "vanthu-ocr-worker: bad --preprocess '%s'\n", optarg);
                return 2;
            }
            break;
        case O_ONCE: a->once_path = optarg; break;
        case O_ECHO: w->test_echo = 1; break;
        case O_CRASH_AFTER: w->crash_after = strtol(optarg, NULL, 10); break;
        case O_CRASH_ON: w->crash_on = optarg; break;
        case O_HANG: w->hang = 1; break;
        case O_SPIN: w->spin = 1; break;
        case O_HANG_ON: w->hang_on = optarg; break;
        case O_SPIN_ON: w->spin_on = optarg; break;
        case O_VERBOSE: w->verbose = 1; break;
        case O_HELP: usage(stdout); return 0;
        case O_USER: a->sb.user = optarg; break;
        case O_SANDBOX:
            if (parse_sandbox_mode(optarg, &a->sb) < 0) {
                fprintf(stderr, "vanthu-ocr-worker: bad --sandbox '%s'\n", optarg);
                return 2;
            }
            break;
        case O_PARENT: a->sb.parent = (pid_t)strtol(optarg, NULL, 10); break;
        case O_SELFTEST: a->selftest = 1; break;
        case O_TEST_SANDBOX: w->test_sandbox = 1; break;
        case O_TEST_SB_FAIL: a->sb.test_fail = optarg; break;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    return GO_ON;
}

/* Process-wide settings, before anything is read. */
static int prepare(const struct worker *w)
{
    int rc;

    /* A closed parent must not kill us with SIGPIPE mid-write: the write
     * fails with EPIPE and the worker exits cleanly instead. */
    signal(SIGPIPE, SIG_IGN);
    setMsgSeverity(w->verbose ? L_SEVERITY_WARNING : L_SEVERITY_NONE);
    rc = set_limits(w);
    if (rc < 0) {
        fprintf(stderr, "vanthu-ocr-worker: cannot set rlimits: %s\n", strerror(-rc));
        return 1;
    }
    return GO_ON;
}

/* --once opens its file before the sandbox, as the pool would, and reads
 * it through the same descriptor number (*fd). */
static int open_once(struct args *a, int *fd)
{
    int f = open(a->once_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (f < 0) {
        fprintf(stderr, "%s: failed: cannot open '%s': %s\n", a->once_path, a->once_path,
                strerror(errno));
        return 1;
    }
    if (f != OCR_FD_CHANNEL) {
        if (dup3(f, OCR_FD_CHANNEL, O_CLOEXEC) < 0) {
            fprintf(stderr, "vanthu-ocr-worker: dup3: %s\n", strerror(errno));
            close(f);
            return 1;
        }
        close(f);
    }
    *fd = OCR_FD_CHANNEL;
    a->sb.parent = 0;
    return GO_ON;
}

/* A failure that ends the worker: under the pool a "fatal" frame (the
 * pool's log line says it), else a line on stderr. */
static void report_fatal(const struct args *a, const char *msg)
{
    if (a->once_path == NULL && !a->selftest)
        send_frame(json_pack("{s:s, s:s}", "type", "fatal", "reason", msg), NULL, 0);
    else
        fprintf(stderr, "vanthu-ocr-worker: %s\n", msg);
}

/* The sandbox goes on before any model or document is read; the selftest
 * reports on it and ends there. */
static int confine(struct worker *w, const struct args *a)
{
    struct vt_err err;
    struct buf out;

    vt_err_clear(&err);
    if (ocr_sandbox_apply(&a->sb, &w->sandbox, &err) < 0) {
        report_fatal(a, err.msg);
        return 1;
    }
    if (a->selftest) {
        buf_init(&out, BUF_NOLIMIT);
        ocr_sandbox_probe(&w->sandbox, &out);
        fwrite(out.ptr, 1, out.len, stdout);
        buf_release(&out);
        return 0;
    }
    if (w->sandbox.missing[0] != '\0' && a->once_path != NULL)
        fprintf(stderr, "vanthu-ocr-worker: warning: not confined: %s\n", w->sandbox.missing);
    return GO_ON;
}

/* The models load once, for every page of every job (test modes need
 * none). */
static int load_models(struct worker *w, const struct args *a)
{
    struct vt_err err;
    int rc;

    if (w->test_echo || w->test_sandbox)
        return GO_ON;
    vt_err_clear(&err);
    rc = tess_init(w, w->lang, &err);
    if (rc == 0)
        rc = osd_init(w, &err);
    if (rc < 0) {
        report_fatal(a, err.msg);
        return 1;
    }
    return GO_ON;
}

static void worker_release(struct worker *w)
{
    if (w->api != NULL)
        TessBaseAPIDelete(w->api);
    if (w->osd != NULL)
        TessBaseAPIDelete(w->osd);
    free(w->api_lang);
}

int main(int argc, char **argv)
{
    struct worker w = {
        .lang = "vie",
        .max_mem_mb = 2048,
        .max_cpu_s = 300,
        .max_pixels = 100000000ULL,
        .max_pages = 500,
        .max_text = 16u << 20,
        .pre = PRE_DEFAULT,
        .crash_after = -1,
    };
    struct args a = {.sb = {.keep_fd_max = OCR_FD_CHANNEL}};
    int once_fd = -1, rc;

    rc = parse_args(argc, argv, &w, &a);
    if (rc == GO_ON)
        rc = prepare(&w);
    if (rc == GO_ON && a.once_path != NULL)
        rc = open_once(&a, &once_fd);
    if (rc == GO_ON)
        rc = confine(&w, &a);
    if (rc == GO_ON)
        rc = load_models(&w, &a);
    if (rc == GO_ON)
        rc = a.once_path != NULL ? once(&w, once_fd, a.once_path) : serve(&w);
    worker_release(&w);
    return rc;
}

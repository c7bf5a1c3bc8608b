/* The result: struct text_meta's fields, by number and by name. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "text/meta_internal.h"

static const struct {
    const char *name;
    size_t off;
} fields[TEXT_META_NFIELDS] = {
    [TEXT_META_NUMBER] = {"number", offsetof(struct text_meta, number)},
    [TEXT_META_TYPE] = {"type", offsetof(struct text_meta, type)},
    [TEXT_META_AGENCY] = {"agency", offsetof(struct text_meta, agency)},
    [TEXT_META_PLACE] = {"place", offsetof(struct text_meta, place)},
    [TEXT_META_ISSUED] = {"issued", offsetof(struct text_meta, issued)},
    [TEXT_META_SUBJECT] = {"subject", offsetof(struct text_meta, subject)},
    [TEXT_META_SIGNER] = {"signer", offsetof(struct text_meta, signer)},
    [TEXT_META_SIGNER_TITLE] = {"signer_title", offsetof(struct text_meta, signer_title)},
    [TEXT_META_SECRECY] = {"secrecy", offsetof(struct text_meta, secrecy)},
    [TEXT_META_URGENCY] = {"urgency", offsetof(struct text_meta, urgency)},
    [TEXT_META_TITLE] = {"title", offsetof(struct text_meta, title)},
    [TEXT_META_LANG] = {"lang", offsetof(struct text_meta, lang)},
    [TEXT_META_NUMBER_KEY] = {"number_key", offsetof(struct text_meta, number_key)},
    [TEXT_META_SYMBOL] = {"symbol", offsetof(struct text_meta, symbol)},
    [TEXT_META_TYPE_CODE] = {"type_code", offsetof(struct text_meta, type_code)},
    [TEXT_META_PARENT_AGENCY] = {"parent_agency", offsetof(struct text_meta, parent_agency)},
    [TEXT_META_ISSUER_CODE] = {"issuer_code", offsetof(struct text_meta, issuer_code)},
    [TEXT_META_UNIT] = {"unit", offsetof(struct text_meta, unit)},
    [TEXT_META_SCOPE] = {"scope", offsetof(struct text_meta, scope)},
};

static char **field_ptr(struct text_meta *m, int f)
{
    return (char **)(void *)((char *)m + fields[f].off);
}

/* Set field f to a copy of s (nothing when s is NULL or empty). */
void text__set_field(struct text_meta *m, int f, const char *s, int conf)
{
    char **p = field_ptr(m, f);

    free(*p);
    *p = NULL;
    m->conf[f] = 0;
    if (s == NULL || *s == '\0')
        return;
    *p = xstrdup(s);
    m->conf[f] = (unsigned char)(conf < 1 ? 1 : conf > 100 ? 100 : conf);
}

void text__clear_field(struct text_meta *m, int f)
{
    text__set_field(m, f, NULL, 0);
}

void text_meta_init(struct text_meta *m)
{
    memset(m, 0, sizeof(*m));
    m->num = -1;
}

void text_meta_release(struct text_meta *m)
{
    if (m == NULL)
        return;
    for (int f = 0; f < TEXT_META_NFIELDS; f++)
        free(*field_ptr(m, f));
    text_meta_init(m);
}

const char *text_meta_get(const struct text_meta *m, enum text_meta_field f)
{
    if ((int)f < 0 || f >= TEXT_META_NFIELDS)
        return NULL;
    return *(char *const *)(const void *)((const char *)m + fields[f].off);
}

const char *text_meta_field_name(enum text_meta_field f)
{
    if ((int)f < 0 || f >= TEXT_META_NFIELDS)
        return NULL;
    return fields[f].name;
}

int text_meta_next(const struct text_meta *m, size_t *pos, const char **name,
                   const char **value)
{
    while (*pos < TEXT_META_NRECORD) {
        enum text_meta_field f = (enum text_meta_field)(*pos)++;
        const char *v = text_meta_get(m, f);

        if (v != NULL) {
            *name = fields[f].name;
            *value = v;
            return 1;
        }
    }
    return 0;
}

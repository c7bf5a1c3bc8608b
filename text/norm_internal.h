/* text/ internals shared between its files (not for other modules). */
#ifndef VT_TEXT_NORM_INTERNAL_H
#define VT_TEXT_NORM_INTERNAL_H

#include <stdint.h>

#include "common/buf.h"

enum { TEXT_CLASS_OTHER, TEXT_CLASS_LETTER, TEXT_CLASS_DIGIT, TEXT_CLASS_MARK };

void text__tables(void);
int text__class(int32_t cp);
int32_t text__fold_cp(int32_t cp);
int32_t text__lower_cp(int32_t cp);
int text__put_cp(struct buf *out, int32_t cp);

#endif

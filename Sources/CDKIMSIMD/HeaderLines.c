#include "CDKIMSIMD.h"
#include "LineBreak.h"

// One search for either line-break byte: the header parser made two memchr calls a line (the CR, then any LF
// before it), each with its own setup, for lines of 40 to 80 octets.
size_t cdkim_first_line_break(const uint8_t *bytes, size_t from, size_t end) {
    return cdkim_line_break(bytes, from, end);
}

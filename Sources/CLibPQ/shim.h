#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
#include <libpq-fe.h>

/// PG_DIAG_SQLSTATE is a character macro; this names it for Swift.
static inline int clibpq_diag_sqlstate(void) { return 'C'; }
/// PG_DIAG_SEVERITY_NONLOCALIZED ('V'): ERROR, FATAL, PANIC... whatever the server's language.
static inline int clibpq_diag_severity_nonlocalized(void) { return 'V'; }
#endif

// libharu (Debian's libhpdf-dev): it ships no pkg-config file, so the module map names the library.
#include <hpdf.h>

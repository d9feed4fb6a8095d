// zlib, for reading .gz data files and writing PNG images.
#include <zlib.h>

// libpng for reading PNG files (Debian: libpng-dev, found through pkg-config libpng). Only its
// simplified API (png_image_*) is used: it reports errors in png_image.message instead of
// longjmp, so Swift can call it directly. Only Datasets/Images/PNGDecoder.swift calls this.
#include <png.h>

// libjpeg(-turbo) for reading JPEG files (Debian: libjpeg62-turbo-dev, pkg-config libjpeg).
// libjpeg ends a fatal error in error_exit, which must not return: it has to longjmp out, and
// Swift cannot setjmp. So the decode lives here in `static inline` functions, each of which sets
// its own setjmp point before calling libjpeg and returns a CJPEG_* status instead. libjpeg never
// prints: the first error or damage warning is formatted into `message` and ends the decode at
// once. Hostile files are bounded: at most CJPEG_MAX_SCANS scans (each progressive scan walks the
// whole coefficient buffer, so thousands of tiny scans would take minutes) and at most
// CJPEG_MAX_MEMORY bytes of libjpeg memory. The decoder's state is all on the heap
// (cjpeg_decoder), so nothing a longjmp skips over is lost.
// Call order: cjpeg_open, cjpeg_read_header, cjpeg_start (grey or RGB), cjpeg_read, cjpeg_close (always).
// Only Datasets/Images/JPEGDecoder.swift calls these.
#include <stdio.h>      // jpeglib.h needs FILE and size_t declared first
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

enum {
    CJPEG_OK = 0,
    CJPEG_CORRUPT = 1,       // libjpeg's fatal error, or a warning that pixel data was padded or guessed
    CJPEG_UNSUPPORTED = 2,   // 12-bit precision, lossless or hierarchical JPEG, a side over 65500
    CJPEG_NO_MEMORY = 3,     // also: the file needs more than CJPEG_MAX_MEMORY
    CJPEG_TOO_MANY_SCANS = 4,
};

/// libjpeg-turbo's own fuzzers stop at 500 scans; real progressive files have about 10.
#define CJPEG_MAX_SCANS 500
/// A 64-megapixel 4:4:4 progressive file needs 384 MiB of coefficients; 1 GiB leaves room.
#define CJPEG_MAX_MEMORY (1L << 30)
/// fatal_code for a scan limit stop (libjpeg's own codes are small non-negative numbers).
#define CJPEG_SCAN_LIMIT_CODE (-1)

typedef struct cjpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr errors;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    int warnings;                    // every warning libjpeg emitted
    int damaged;                     // of those, the ones saying the data is truncated or corrupt (0 or 1: the first ends the decode)
    int fatal_code;                  // msg_code of the error that ended the decode (J_MESSAGE_CODE)
    int channels;                    // samples per output pixel cjpeg_read writes: 1 grey, 3 RGB
    char message[JMSG_LENGTH_MAX];   // the fatal error, else the first damage warning
} cjpeg_decoder;

/// What the file's header says; `exif` points into the decoder (valid until cjpeg_close).
typedef struct cjpeg_header {
    int width, height;               // as stored: before EXIF orientation and DCT scaling
    int components;                  // 1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK
    int color_space;                 // J_COLOR_SPACE of the file
    int progressive;
    const unsigned char *exif;       // the first APP1 marker whose data starts "Exif\0\0"; NULL if none
    unsigned int exif_length;
} cjpeg_header;

/// error_exit: record the message and jump back to the cjpeg_* call in progress (never returns).
static inline void cjpeg_error_exit(j_common_ptr cinfo) {
    cjpeg_decoder *d = (cjpeg_decoder *)cinfo->client_data;
    d->fatal_code = cinfo->err->msg_code;
    (*cinfo->err->format_message)(cinfo, d->message);
    longjmp(d->jump, 1);
}

/// These warnings mean libjpeg padded or guessed pixel data: the image is damaged, an error to us.
/// The others (unknown JFIF revision or Adobe transform, bad ICC marker, extraneous bytes before
/// a marker) leave the pixels intact and are only counted.
static inline int cjpeg_warning_means_damage(int code) {
    return code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE
        || code == JWRN_ARITH_BAD_CODE || code == JWRN_MUST_RESYNC || code == JWRN_BOGUS_PROGRESSION
        || code == JWRN_NOT_SEQUENTIAL;
}

/// emit_message: level -1 is a warning, levels >= 0 are trace messages. A damage warning ends the
/// decode like a fatal error (decoding on would only produce guessed pixels, and a file made of
/// damage could keep libjpeg resynchronising for a long time); the others are only counted.
static inline void cjpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    cjpeg_decoder *d = (cjpeg_decoder *)cinfo->client_data;
    cinfo->err->num_warnings++;
    d->warnings++;
    if (cjpeg_warning_means_damage(cinfo->err->msg_code)) {
        d->damaged++;
        cjpeg_error_exit(cinfo);
    }
}

/// progress_monitor: libjpeg calls it while absorbing each scan; past CJPEG_MAX_SCANS it stops.
static inline void cjpeg_progress_monitor(j_common_ptr cinfo) {
    j_decompress_ptr c = (j_decompress_ptr)cinfo;
    if (c->input_scan_number <= CJPEG_MAX_SCANS) return;
    cjpeg_decoder *d = (cjpeg_decoder *)cinfo->client_data;
    d->fatal_code = CJPEG_SCAN_LIMIT_CODE;
    snprintf(d->message, sizeof d->message, "more than %d scans", CJPEG_MAX_SCANS);
    longjmp(d->jump, 1);
}

/// output_message: libjpeg's default prints to stderr; dtrain reports through `message` instead.
static inline void cjpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

/// The status after a longjmp.
static inline int cjpeg_failure(const cjpeg_decoder *d) {
    switch (d->fatal_code) {
    case CJPEG_SCAN_LIMIT_CODE: return CJPEG_TOO_MANY_SCANS;
    case JERR_BAD_PRECISION: case JERR_SOF_UNSUPPORTED: case JERR_IMAGE_TOO_BIG: return CJPEG_UNSUPPORTED;
    case JERR_OUT_OF_MEMORY: case JERR_NO_BACKING_STORE: return CJPEG_NO_MEMORY;
    default: return CJPEG_CORRUPT;
    }
}

/// A zeroed decoder, or NULL when out of memory.
static inline cjpeg_decoder *cjpeg_open(void) {
    return (cjpeg_decoder *)calloc(1, sizeof(cjpeg_decoder));
}

/// Frees libjpeg's memory (jpeg_destroy is safe on a zeroed or half-created struct) and the decoder.
static inline void cjpeg_close(cjpeg_decoder *d) {
    if (d == NULL) return;
    if (d->cinfo.err != NULL) jpeg_destroy_decompress(&d->cinfo);
    free(d);
}

/// Reads the markers up to the first scan of `bytes` (which must stay valid until cjpeg_close)
/// into `header`, keeping APP1 markers for EXIF.
static inline int cjpeg_read_header(cjpeg_decoder *d, const unsigned char *bytes, unsigned long count,
                                    cjpeg_header *header) {
    if (setjmp(d->jump)) return cjpeg_failure(d);
    d->cinfo.err = jpeg_std_error(&d->errors);
    d->errors.error_exit = cjpeg_error_exit;
    d->errors.emit_message = cjpeg_emit_message;
    d->errors.output_message = cjpeg_output_message;
    d->cinfo.client_data = d;                // jpeg_CreateDecompress keeps err and client_data
    jpeg_create_decompress(&d->cinfo);
    d->cinfo.mem->max_memory_to_use = CJPEG_MAX_MEMORY;
    d->progress.progress_monitor = cjpeg_progress_monitor;
    d->cinfo.progress = &d->progress;
    jpeg_mem_src(&d->cinfo, bytes, count);
    jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&d->cinfo, TRUE);       // TRUE: a tables-only file is an error
    header->width = (int)d->cinfo.image_width;
    header->height = (int)d->cinfo.image_height;
    header->components = d->cinfo.num_components;
    header->color_space = (int)d->cinfo.jpeg_color_space;
    header->progressive = d->cinfo.progressive_mode;
    header->exif = NULL;
    header->exif_length = 0;
    for (jpeg_saved_marker_ptr m = d->cinfo.marker_list; m != NULL; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            header->exif = m->data;
            header->exif_length = m->data_length;
            break;
        }
    }
    return CJPEG_OK;
}

/// Starts decompression at 1/scale_denom size (1, 2, 4 or 8: libjpeg scales in the DCT) to 8-bit
/// grey (rgb == 0) or 8-bit RGB (rgb != 0; a grey file gives R = G = B), or to CMYK for CMYK/YCCK
/// files (libjpeg has no CMYK-to-grey or CMYK-to-RGB conversion; cjpeg_read does it).
/// Output size: ceil(width / scale_denom) x ceil(height / scale_denom).
static inline int cjpeg_start(cjpeg_decoder *d, int scale_denom, int rgb, int *out_width, int *out_height) {
    if (setjmp(d->jump)) return cjpeg_failure(d);
    J_COLOR_SPACE space = d->cinfo.jpeg_color_space;
    d->channels = rgb ? 3 : 1;
    d->cinfo.out_color_space = (space == JCS_CMYK || space == JCS_YCCK) ? JCS_CMYK : rgb ? JCS_RGB : JCS_GRAYSCALE;
    d->cinfo.scale_num = 1;
    d->cinfo.scale_denom = (unsigned int)scale_denom;
    jpeg_start_decompress(&d->cinfo);
    *out_width = (int)d->cinfo.output_width;
    *out_height = (int)d->cinfo.output_height;
    return CJPEG_OK;
}

/// One CMYK row to grey. Adobe's files (APP14 marker) store inverted CMYK, i.e. 255 - ink; others
/// store ink. RGB = (255 - ink C) * (255 - ink K) / 255 and so on; grey = 0.299 R + 0.587 G + 0.114 B.
static inline void cjpeg_cmyk_row_to_gray(const unsigned char *cmyk, unsigned char *gray, unsigned int width,
                                          int inverted) {
    for (unsigned int x = 0; x < width; x++, cmyk += 4) {
        unsigned int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        // c, m, y, k now hold 255 - ink; R = c * k / 255 (scaled by 255 below)
        unsigned int luma = 299 * c * k + 587 * m * k + 114 * y * k;   // <= 1000 * 255 * 255
        gray[x] = (unsigned char)((luma + 127500) / 255000);
    }
}

/// One CMYK row to RGB (interleaved), with the ink rule of cjpeg_cmyk_row_to_gray.
static inline void cjpeg_cmyk_row_to_rgb(const unsigned char *cmyk, unsigned char *rgb, unsigned int width,
                                         int inverted) {
    for (unsigned int x = 0; x < width; x++, cmyk += 4, rgb += 3) {
        unsigned int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        rgb[0] = (unsigned char)((c * k + 127) / 255);
        rgb[1] = (unsigned char)((m * k + 127) / 255);
        rgb[2] = (unsigned char)((y * k + 127) / 255);
    }
}

/// Reads every output row into `out` (output_height rows of output_width * channels bytes, RGB
/// interleaved), then finishes: a truncated file shows up as a damage warning at the latest here.
static inline int cjpeg_read(cjpeg_decoder *d, unsigned char *out) {
    if (setjmp(d->jump)) return cjpeg_failure(d);
    j_decompress_ptr c = &d->cinfo;
    size_t stride = (size_t)c->output_width * (size_t)d->channels;
    if (c->out_color_space == JCS_CMYK) {
        JSAMPARRAY row = (*c->mem->alloc_sarray)((j_common_ptr)c, JPOOL_IMAGE, c->output_width * 4, 1);
        while (c->output_scanline < c->output_height) {
            unsigned char *dst = out + (size_t)c->output_scanline * stride;
            if (jpeg_read_scanlines(c, row, 1) != 1) return CJPEG_CORRUPT;
            if (d->channels == 3) cjpeg_cmyk_row_to_rgb(row[0], dst, c->output_width, c->saw_Adobe_marker);
            else cjpeg_cmyk_row_to_gray(row[0], dst, c->output_width, c->saw_Adobe_marker);
        }
    } else {
        while (c->output_scanline < c->output_height) {
            JSAMPROW dst = out + (size_t)c->output_scanline * stride;
            if (jpeg_read_scanlines(c, &dst, 1) != 1) return CJPEG_CORRUPT;
        }
    }
    jpeg_finish_decompress(c);
    return CJPEG_OK;
}

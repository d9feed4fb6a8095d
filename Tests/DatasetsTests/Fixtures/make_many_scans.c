// Writes images/many_scans.jpg: a valid 16x16 grey progressive JPEG of 704 scans (DC in 11
// successive-approximation passes, then each of the 63 AC coefficients in its own band, first at
// Al 10 (libjpeg's encoder limit) and refined down to Al 0). libjpeg decodes it correctly; dtrain
// refuses it for having more than CJPEG_MAX_SCANS (500) scans, the guard against hostile files of
// thousands of scans.
// Build and run from this folder: cc make_many_scans.c -ljpeg -o /tmp/m && /tmp/m
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(void) {
    enum { side = 16, max_al = 10 };
    static jpeg_scan_info scans[(max_al + 1) * 64];
    int n = 0;
    for (int al = max_al; al >= 0; al--)              // DC: first pass Ah 0, then refinements
        scans[n++] = (jpeg_scan_info){1, {0}, 0, 0, al == max_al ? 0 : al + 1, al};
    for (int k = 1; k < 64; k++)                       // AC coefficient k alone, Al 13 ... 0
        for (int al = max_al; al >= 0; al--)
            scans[n++] = (jpeg_scan_info){1, {0}, k, k, al == max_al ? 0 : al + 1, al};
    unsigned char pixels[side * side];
    for (int i = 0; i < side * side; i++) pixels[i] = (unsigned char)((i * 37) % 256);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    FILE *out = fopen("images/many_scans.jpg", "wb");
    if (!out) { perror("images/many_scans.jpg"); return 1; }
    jpeg_stdio_dest(&c, out);
    c.image_width = side; c.image_height = side; c.input_components = 1; c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    c.scan_info = scans;
    c.num_scans = n;
    c.optimize_coding = TRUE;
    jpeg_start_compress(&c, TRUE);
    for (int y = 0; y < side; y++) { JSAMPROW row = pixels + y * side; jpeg_write_scanlines(&c, &row, 1); }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(out);
    printf("images/many_scans.jpg: %d scans\n", n);
    return 0;
}

#!/usr/bin/env python3
# Writes the small image files ImageDecoderTests reads (run from anywhere; needs PIL + numpy,
# Debian: python3-pil python3-numpy). The files are committed; rerun only to change them, and
# update the tests' expected values with it. Each pattern is a formula the tests recompute.
import os
import struct

import numpy as np
from PIL import Image

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images")
os.makedirs(here, exist_ok=True)


def path(name):
    return os.path.join(here, name)


# 8-bit grey, 8x4: v(x, y) = (29 x + 71 y) mod 256
x, y = np.meshgrid(np.arange(8), np.arange(4))
Image.fromarray(((29 * x + 71 * y) % 256).astype(np.uint8), "L").save(path("gray8.png"))

# 16-bit grey, 8x4: v(x, y) = (8191 x + 3001 y) mod 65536
Image.fromarray(((8191 * x + 3001 * y) % 65536).astype(np.uint16)).save(path("gray16.png"))

# RGB 4x2: red, green, blue, white / black, grey 128, yellow, cyan
rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]],
                [[0, 0, 0], [128, 128, 128], [255, 255, 0], [0, 255, 255]]], np.uint8)
Image.fromarray(rgb, "RGB").save(path("rgb.png"))

# RGBA 4x1: opaque black, transparent black, half-transparent black, grey 100 at alpha 51
rgba = np.array([[[0, 0, 0, 255], [0, 0, 0, 0], [0, 0, 0, 128], [100, 100, 100, 51]]], np.uint8)
Image.fromarray(rgba, "RGBA").save(path("rgba.png"))

# palette 4x2 of grey entries 0, 85, 170, 255: index(x, y) = (x + y) mod 4
palette = Image.fromarray(((x[:2, :4] + y[:2, :4]) % 4).astype(np.uint8), "P")
palette.putpalette([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255])
palette.save(path("palette.png"))
# the same with index 0 fully transparent (tRNS): black becomes white paper
palette.save(path("palette_trns.png"), transparency=0)

# 1-bit 8x2: row 0 alternates black, white from x = 0; row 1 the opposite
Image.fromarray(((x[:2] + y[:2]) % 2 == 1)).save(path("gray1.png"))

# JPEG grey 16x16: v(x, y) = 8 x + 4 y + 40, quality 95
x16, y16 = np.meshgrid(np.arange(16), np.arange(16))
Image.fromarray((8 * x16 + 4 * y16 + 40).astype(np.uint8), "L").save(path("gray.jpg"), quality=95)

# JPEG colour 16x16: four flat 8x8 blocks (red, green / blue, grey 200), baseline and progressive
blocks = np.zeros((16, 16, 3), np.uint8)
blocks[:8, :8] = [255, 0, 0]
blocks[:8, 8:] = [0, 255, 0]
blocks[8:, :8] = [0, 0, 255]
blocks[8:, 8:] = [200, 200, 200]
Image.fromarray(blocks, "RGB").save(path("colour.jpg"), quality=95)
Image.fromarray(blocks, "RGB").save(path("progressive.jpg"), quality=95, progressive=True)

# JPEG CMYK (PIL writes Adobe's inverted CMYK with an APP14 marker) of the same four blocks
Image.fromarray(blocks, "RGB").convert("CMYK").save(path("cmyk.jpg"), quality=95)

# JPEG for DCT reduction, 61x45 grey: v(x, y) = 2 x + 2 y + 20 (smooth, so scaled ~ box average)
x61, y45 = np.meshgrid(np.arange(61), np.arange(45))
Image.fromarray((2 * x61 + 2 * y45 + 20).astype(np.uint8), "L").save(path("reduce.jpg"), quality=90)


# EXIF orientation 1...8. The upright picture is 16x8 white with a black 4x4 square at the top
# left. Each file stores it turned the opposite way, with the orientation that undoes it, so every
# decode must give back the upright picture. Odd orientations are written big-endian ("MM"), even
# little-endian ("II"); IFD0 holds a Make tag before Orientation.
upright = np.full((8, 16), 255, np.uint8)
upright[:4, :4] = 0
upright_image = Image.fromarray(upright, "L")
store = {1: None, 2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180, 4: Image.FLIP_TOP_BOTTOM,
         5: Image.TRANSPOSE, 6: Image.ROTATE_90, 7: Image.TRANSVERSE, 8: Image.ROTATE_270}


def exif(orientation, big_endian):
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "H", 2)
    tiff += struct.pack(e + "HHI", 0x010F, 2, 4) + b"dtr\0"                   # Make, ASCII, inline
    tiff += struct.pack(e + "HHIH", 0x0112, 3, 1, orientation) + b"\0\0"      # Orientation, SHORT
    tiff += struct.pack(e + "I", 0)                                            # no next IFD
    return b"Exif\0\0" + tiff


for o, op in store.items():
    stored = upright_image if op is None else upright_image.transpose(op)
    stored.save(path(f"orient{o}.jpg"), quality=95, exif=exif(o, big_endian=o % 2 == 1))
    # self-check: PIL's own EXIF handling turns the file upright
    from PIL import ImageOps
    back = np.asarray(ImageOps.exif_transpose(Image.open(path(f"orient{o}.jpg"))))
    assert back.shape == upright.shape and np.abs(back.astype(int) - upright).max() < 40, o

total = sum(os.path.getsize(path(n)) for n in os.listdir(here))
print(f"wrote {len(os.listdir(here))} files, {total} bytes, to {here}")

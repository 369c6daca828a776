"""Makes the mode-conversion fixtures: small images in the modes PIL meets in the wild, each beside
`<name>.expected.png`, PIL's own `Image.open(f).convert("RGB")` of it (PIL 9.4, Debian python3-pil).
Run from this folder with Debian's python3; the source photo comes from Debian's mate-backgrounds."""
from PIL import Image

src = Image.open("/usr/share/backgrounds/mate/nature/LadyBird.jpg").convert("RGB").resize((80, 60), Image.BOX)
rgba = src.copy()
rgba.putalpha(Image.linear_gradient("L").resize((80, 60)))

cases = {
    "gray.png": src.convert("L"),
    "gray_alpha.png": rgba.convert("LA"),
    "rgba.png": rgba,
    "palette.png": src.quantize(colors=37),
    "palette.gif": src.quantize(colors=16),
    "bilevel.png": src.convert("1"),
    "cmyk.jpg": src.convert("CMYK"),
    "gray.jpg": src.convert("L"),
}
for name, im in cases.items():
    im.save(name, quality=90) if name.endswith(".jpg") else im.save(name)
    back = Image.open(name)
    print(name, back.mode, back.size)
    back.convert("RGB").save(name.rsplit(".", 1)[0] + "_" + name.rsplit(".", 1)[1] + ".expected.png")

# ADM centre crops by PIL itself, for sizes that enlarge (64) and shrink to an odd side (37) these
# 80x60 images: `<name>_<ext>.crop<S>.png`.
import numpy as np


def center_crop_arr(pil_image, image_size):
    while min(*pil_image.size) >= 2 * image_size:
        pil_image = pil_image.resize(tuple(x // 2 for x in pil_image.size), resample=Image.BOX)
    scale = image_size / min(*pil_image.size)
    pil_image = pil_image.resize(tuple(round(x * scale) for x in pil_image.size), resample=Image.BICUBIC)
    arr = np.array(pil_image)
    crop_y = (arr.shape[0] - image_size) // 2
    crop_x = (arr.shape[1] - image_size) // 2
    return arr[crop_y: crop_y + image_size, crop_x: crop_x + image_size]


for name in cases:
    for size in (64, 37, 20):
        crop = center_crop_arr(Image.open(name).convert("RGB"), size)
        Image.fromarray(crop).save(name.replace(".", "_") + ".crop%d.png" % size)

# Regenerates the numpy-written test arrays (numpy 2.x): python3 gen_npy.py
# Every array's values follow v[i] = (i * 7 % 23) - 11 over its C-order flat index i, cast to the dtype
# (bool: v != 0), so the Java test recomputes the expected values instead of storing them.
import numpy as np

def base(shape, dtype):
    n = int(np.prod(shape))
    v = ((np.arange(n) * 7) % 23 - 11).reshape(shape)
    if np.dtype(dtype).kind == 'b':
        return (v != 0).astype(dtype)
    if np.dtype(dtype).kind == 'u':
        return (v + 11).astype(dtype)
    return (v / 4 if np.dtype(dtype).kind == 'f' else v).astype(dtype)

cases = [
    ("f4_c_v1", (2, 3, 4), "<f4", False, (1, 0)),
    ("f4_f_v1", (2, 3, 4), "<f4", True, (1, 0)),
    ("f8_f_v2", (3, 5), "<f8", True, (2, 0)),
    ("f2_c_v3", (4, 2), "<f2", False, (3, 0)),
    ("i8_c_v1", (6,), "<i8", False, (1, 0)),
    ("i4_f_v1", (2, 2, 3), "<i4", True, (1, 0)),
    ("i2_c_v1", (5,), "<i2", False, (1, 0)),
    ("u1_c_v1", (2, 4, 4, 3), "|u1", False, (1, 0)),
    ("b1_c_v1", (7,), "|b1", False, (1, 0)),
    ("f4_be_v1", (3, 2), ">f4", False, (1, 0)),
    ("i8_be_f_v1", (2, 3), ">i8", True, (1, 0)),
    ("f8_0d_v1", (), "<f8", False, (1, 0)),
]
for name, shape, dt, fortran, ver in cases:
    a = base(shape, dt)
    if fortran:
        a = np.asfortranarray(a)
    with open(name + ".npy", "wb") as f:
        np.lib.format.write_array(f, a, version=ver)
    assert np.array_equal(np.load(name + ".npy"), a)
np.savez("mixed_stored.npz", f4=base((2, 3), "<f4"), u1=base((4,), "|u1"), f_order=np.asfortranarray(base((3, 4), "<f8")))
np.savez_compressed("mixed_deflated.npz", f4=base((2, 3), "<f4"), u1=base((4,), "|u1"), f_order=np.asfortranarray(base((3, 4), "<f8")))

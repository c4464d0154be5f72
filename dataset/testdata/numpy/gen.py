# .npy files written by numpy itself, for TestNpyNumpyFiles.
# Made with Debian's python3-numpy 1.24:  /usr/bin/python3 gen.py
# Every array holds arange(n) (as its dtype) in C order, reshaped; the
# Fortran file stores the same logical array column-major.
import numpy as np

a = np.arange(24).reshape(2, 3, 4)
np.save("f4_2x3x4.npy", a.astype("<f4"))
np.save("f8_be_2x3x4.npy", a.astype(">f8"))
np.save("i2_2x3x4.npy", a.astype("<i2"))
np.save("i4_be_2x3x4.npy", a.astype(">i4"))
np.save("u2_2x3x4.npy", a.astype("<u2"))
np.save("u1_2x3x4.npy", a.astype("u1"))
np.save("i1_2x3x4.npy", a.astype("i1"))
np.save("u8_2x3x4.npy", a.astype("<u8"))
np.save("f4_fortran_2x3x4.npy", np.asfortranarray(a.astype("<f4")))
np.save("bool_2x3x4.npy", (a % 2).astype(bool))
np.save("f4_scalar.npy", np.float32(23))
np.save("f4_empty_0x3.npy", np.zeros((0, 3), "<f4"))
with open("f4_v2_2x3x4.npy", "wb") as f:
    np.lib.format.write_array(f, a.astype("<f4"), version=(2, 0))
with open("f4_v3_2x3x4.npy", "wb") as f:
    np.lib.format.write_array(f, a.astype("<f4"), version=(3, 0))
np.save("c8_unsupported.npy", a.astype("<c8"))
np.save("f2_unsupported.npy", a.astype("<f2"))
np.save("object_unsupported.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
np.save("struct_unsupported.npy", np.zeros(2, dtype=[("x", "<f4"), ("y", "<i8")]))
np.save("str_unsupported.npy", np.array(["ab", "c"]))

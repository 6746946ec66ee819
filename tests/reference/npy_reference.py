"""NumPy-written .npy files for the reader test: arange(24).reshape(2, 3, 4) in several dtypes, a
format 2.0 file, a non-contiguous source array, and two layouts sanity rejects (Fortran order,
big-endian)."""
import os
import sys

import numpy as np

out = os.path.join(sys.argv[1], "npy")
os.makedirs(out, exist_ok=True)
a = np.arange(24).reshape(2, 3, 4)
for name, dtype in [("f4", np.float32), ("f8", np.float64), ("i8", np.int64), ("i4", np.int32), ("u1", np.uint8)]:
    np.save(os.path.join(out, name + ".npy"), a.astype(dtype))
with open(os.path.join(out, "f4_v2.npy"), "wb") as f:
    np.lib.format.write_array(f, a.astype(np.float32), version=(2, 0))
# A strided view (neither C- nor Fortran-contiguous): np.save writes it in C order.
wide = np.zeros((2, 3, 8), dtype=np.float32)
wide[:, :, ::2] = a
np.save(os.path.join(out, "f4_noncontig.npy"), wide[:, :, ::2])
np.save(os.path.join(out, "fortran.npy"), np.asfortranarray(a.astype(np.float32)))
np.save(os.path.join(out, "big_endian.npy"), a.astype(">f4"))

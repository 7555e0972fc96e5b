import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

RTOL = 1e-12  # the one tolerance for compiled kernels against the naive references

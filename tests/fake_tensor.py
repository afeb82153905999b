"""A stand-in for a torch tensor (``.detach().cpu().numpy()``), so tests need no framework."""
import numpy as np


class FakeTensor:
    def __init__(self, arr):
        self.arr = np.asarray(arr)
        self.shape = self.arr.shape

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.arr

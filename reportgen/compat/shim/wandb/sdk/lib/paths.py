import os
from typing import Union

StrPath = Union[str, "os.PathLike[str]"]
FilePathStr = str
URIStr = str
LogicalPath = str

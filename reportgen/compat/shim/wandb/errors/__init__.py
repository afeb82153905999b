from reportgen.errors import *  # noqa: F401,F403
from reportgen.errors import Error, UsageError  # noqa: F401

from reportgen.sdk.run import Run  # noqa: F401
from reportgen.sdk.run_extras import RunStatus  # noqa: F401

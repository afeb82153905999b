from reportgen.sdk.api import Api as PublicApi  # noqa: F401

from . import public  # noqa: F401,E402
